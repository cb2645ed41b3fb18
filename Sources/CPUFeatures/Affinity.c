// Pinning threads to one CPU, for bench's one-thread rows (see include/CPUFeatures.h). Linux only:
// elsewhere both functions say they cannot (-1), and bench leaves placement to the system.
#if defined(__linux__)
#define _GNU_SOURCE
#include <sched.h>
#include <unistd.h>
#endif
#include "CPUFeatures.h"

#if defined(__linux__)
int workbook_highest_allowed_cpu(void) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return -1;
    for (int cpu = CPU_SETSIZE - 1; cpu >= 0; cpu--) {
        if (CPU_ISSET(cpu, &allowed)) return cpu;
    }
    return -1;
}

int workbook_set_thread_cpu(int thread, int cpu) {
    cpu_set_t chosen;
    CPU_ZERO(&chosen);
    if (cpu >= 0) {
        if (cpu >= CPU_SETSIZE) return -1;
        CPU_SET(cpu, &chosen);
    } else {
        long online = sysconf(_SC_NPROCESSORS_CONF);
        for (long c = 0; c < online && c < CPU_SETSIZE; c++) CPU_SET((int)c, &chosen);
    }
    return sched_setaffinity(thread, sizeof chosen, &chosen) == 0 ? 0 : -1;
}
#else
int workbook_highest_allowed_cpu(void) { return -1; }
int workbook_set_thread_cpu(int thread, int cpu) { (void)thread; (void)cpu; return -1; }
#endif
