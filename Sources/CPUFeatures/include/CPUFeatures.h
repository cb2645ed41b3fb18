#ifndef WORKBOOK_CPU_FEATURES_H
#define WORKBOOK_CPU_FEATURES_H

/// 1 when this CPU and its operating system can run the AVX-512 matrix kernel, 0 otherwise.
///
/// The kernel's module is built with `-target-cpu skylake-avx512`, so the compiler may use any of
/// AVX-512 F, CD, BW, DQ and VL there: all five must be reported by the CPU (cpuid leaf 7), and the
/// operating system must save the opmask and the 512-bit registers on a context switch (XCR0 bits 5, 6
/// and 7, read with XGETBV once cpuid says OSXSAVE). On macOS, which turns the AVX-512 state on only at
/// a thread's first AVX-512 instruction, XCR0 does not say so in advance; there the kernel's own
/// `hw.optional.avx512*` answers are used instead. Always 0 on other architectures.
int workbook_cpu_supports_avx512(void);

/// Asks the CPU to bring the cache line holding `address` into its caches (all levels), without waiting
/// for it and without faulting on any address: a hint, which the matrix product issues for a tile of C
/// some thousand cycles before its micro-kernel reads and writes that tile.
static inline void workbook_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/// The same hint for the second-level cache only (prefetcht1 on x86-64): for data wanted some
/// thousands of cycles later, which would only push out of L1 what is in use now. The AVX-512 matrix
/// kernel asks so for the sliver of B it will read after the current one.
static inline void workbook_prefetch_l2(const void *address) { __builtin_prefetch(address, 0, 2); }

#endif
