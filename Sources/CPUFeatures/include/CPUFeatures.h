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

/// The highest-numbered CPU the calling thread may run on, or -1 where that cannot be read (Linux
/// only; -1 elsewhere).
int workbook_highest_allowed_cpu(void);

/// Lets thread `thread` (a Linux thread id; 0 is the calling thread) run only on CPU `cpu`, or with
/// `cpu` = -1 on every CPU the system has again. 0 when done, -1 when not (not Linux, no such
/// thread or CPU). bench runs both sides of a one-thread row on the same CPU, because the two vCPUs
/// of this project's virtual machine differ in speed by up to a tenth.
int workbook_set_thread_cpu(int thread, int cpu);

/// Atomic operations on a word shared between threads, for the matrix module's worker threads
/// (LinearAlgebra's Parallelism.swift), all sequentially consistent: what one thread wrote before a
/// store is seen by a thread that loads the stored value, and a store followed by a load of another
/// word is never reordered (a worker going to sleep and a caller waking the sleepers rely on it).
static inline long workbook_atomic_load(const long *word) { return __atomic_load_n(word, __ATOMIC_SEQ_CST); }
static inline void workbook_atomic_store(long *word, long value) { __atomic_store_n(word, value, __ATOMIC_SEQ_CST); }
static inline long workbook_atomic_fetch_add(long *word, long value) {
    return __atomic_fetch_add(word, value, __ATOMIC_SEQ_CST);
}
/// 1, and `*word` is now `desired`, when it held `expected`; 0, and nothing changed, otherwise.
static inline int workbook_atomic_compare_exchange(long *word, long expected, long desired) {
    return __atomic_compare_exchange_n(word, &expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/// Tells the CPU that this thread is waiting in a loop (PAUSE on x86-64, YIELD on arm64), so that the
/// loop spends less power and leaves the core's other resources to the thread that will end the wait.
static inline void workbook_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
