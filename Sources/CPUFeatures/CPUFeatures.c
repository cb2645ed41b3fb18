// The run-time check that guards the AVX-512 matrix kernel (see include/CPUFeatures.h). This file is
// compiled without any AVX flag, so it runs on every x86-64 CPU.
#include "CPUFeatures.h"

#if defined(__x86_64__)

#if defined(__APPLE__)
#include <sys/sysctl.h>

static int sysctlSaysYes(const char *name) {
    int value = 0;
    size_t size = sizeof value;
    return sysctlbyname(name, &value, &size, 0, 0) == 0 && value != 0;
}

int workbook_cpu_supports_avx512(void) {
    return sysctlSaysYes("hw.optional.avx512f") && sysctlSaysYes("hw.optional.avx512cd")
        && sysctlSaysYes("hw.optional.avx512bw") && sysctlSaysYes("hw.optional.avx512dq")
        && sysctlSaysYes("hw.optional.avx512vl");
}

#else
#include <cpuid.h>
#include <stdint.h>

/// XCR0, the register of state components the operating system saves (XGETBV with ECX = 0). Written
/// as the instruction itself, since the _xgetbv intrinsic needs a compiler flag this file must not have.
static uint64_t extendedControlRegister0(void) {
    uint32_t low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return ((uint64_t)high << 32) | low;
}

int workbook_cpu_supports_avx512(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    if (!(ecx & (1u << 27))) return 0;                        // OSXSAVE: XGETBV may be used
    // SSE (bit 1), AVX (2), opmask (5), upper halves of ZMM0-15 (6) and ZMM16-31 (7).
    const uint64_t zmmState = (1u << 1) | (1u << 2) | (1u << 5) | (1u << 6) | (1u << 7);
    if ((extendedControlRegister0() & zmmState) != zmmState) return 0;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    // AVX-512 F (bit 16), DQ (17), CD (28), BW (30), VL (31).
    const unsigned int needed = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);
    return (ebx & needed) == needed;
}
#endif

#else
int workbook_cpu_supports_avx512(void) { return 0; }
#endif
