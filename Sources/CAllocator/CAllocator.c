#include "CAllocator.h"
#include <stdlib.h>   /* on glibc, defines __GLIBC__ (through features.h), which the test below needs */

#if defined(__GLIBC__)
#include <malloc.h>

int workbook_keep_freed_memory(void) {
    int mmapThreshold = mallopt(M_MMAP_THRESHOLD, 32 << 20);
    int trimThreshold = mallopt(M_TRIM_THRESHOLD, 1 << 30);
    return mmapThreshold == 1 && trimThreshold == 1;
}
#else
int workbook_keep_freed_memory(void) { return 0; }
#endif
