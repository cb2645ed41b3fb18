#ifndef WORKBOOK_CALLOCATOR_H
#define WORKBOOK_CALLOCATOR_H

/// Asks glibc's allocator to serve blocks of up to 32 MB from the heap and to keep freed memory at the
/// top of the heap instead of handing it back: the next block of the same size is then memory the
/// process has already mapped (no page faults). Returns 1 when both settings were taken, 0 when not,
/// and does nothing (returning 0) on systems without glibc. See ChapterSupport/MemoryPolicy.swift.
int workbook_keep_freed_memory(void);

#endif
