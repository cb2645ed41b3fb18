import Foundation
#if arch(x86_64)
import CPUFeatures
#endif

/// Which micro-kernel the matrix product runs: the widest vectors this CPU has, chosen once at run time.
///
/// On x86-64 the package is compiled for AVX2 and FMA (Haswell and later, Package.swift), and a second
/// kernel for AVX-512 lives in a module of its own (LinearAlgebraAVX512) compiled for AVX-512. It runs
/// only when the CPU reports AVX-512 F, CD, BW, DQ and VL and the operating system saves the 512-bit
/// registers (`workbook_cpu_supports_avx512()` in the CPUFeatures target, a few lines of C around
/// `cpuid` and `xgetbv`), so that the same binary runs, and is right, on an AVX2-only CPU. arm64 has
/// only the 4-lane kernel (NEON).
///
/// The environment variable `WORKBOOK_SIMD=avx2` forces the 4-lane kernel (to test both kernels on an
/// AVX-512 machine, or to compare them); `WORKBOOK_SIMD=avx512` asks for the wider one, and any other
/// value, or `avx512` on a CPU without it, is reported once on standard error. Setting ``active``
/// changes the choice for the rest of the process; the `bench` program does so to time both.
///
/// Both kernels sum every entry of a product in the same order of p with one fused multiply-add per
/// term, so they agree to the last bit except where the blocking differs (a sum restarted at another
/// multiple of KC); each gives the same bits on one thread or several.
public enum SIMDKernel: Sendable, CaseIterable, CustomStringConvertible {
    /// A 6 x 8 tile in twelve 4-lane vectors: AVX2 and FMA on x86-64, NEON on arm64.
    case fourLane
    /// A 12 x 16 tile in 24 of the 32 AVX-512 registers of 8 lanes; x86-64 with AVX-512 only.
    case eightLane

    /// What the bench and the reports call it, e.g. `AVX-512 12x16`.
    public var description: String {
        switch self {
        case .fourLane:
            #if arch(x86_64)
            return "AVX2 6x8"
            #elseif arch(arm64)
            return "NEON 6x8"
            #else
            return "SIMD4 6x8"
            #endif
        case .eightLane:
            return "AVX-512 12x16"
        }
    }

    /// The kernels this CPU can run, narrowest first: `[.fourLane]`, or `[.fourLane, .eightLane]` on
    /// x86-64 with AVX-512.
    public static let available: [SIMDKernel] = cpuSupportsAVX512 ? [.fourLane, .eightLane] : [.fourLane]

    /// The kernel products use. Safe to read and set from any thread; setting a kernel this CPU cannot
    /// run stops the program with a message (check ``available`` first).
    public static var active: SIMDKernel {
        get {
            lock.lock()
            defer { lock.unlock() }
            return storedKernel
        }
        set {
            require(available.contains(newValue), "SIMDKernel.active: this CPU cannot run the \(newValue) kernel (available: \(available))")
            lock.lock()
            defer { lock.unlock() }
            storedKernel = newValue
        }
    }

    /// The tile and block sizes of this kernel, and the kernel itself.
    var tiling: Tiling {
        switch self {
        case .fourLane:
            return .fourLane
        case .eightLane:
            #if arch(x86_64)
            if Self.cpuSupportsAVX512 { return .eightLane }
            #endif
            return .fourLane   // unreachable: `active` and `available` never hold it then
        }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var storedKernel: SIMDKernel = {
        let start = startingKernel(environment: ProcessInfo.processInfo.environment["WORKBOOK_SIMD"],
                                   supportsAVX512: cpuSupportsAVX512)
        if let warning = start.warning {
            FileHandle.standardError.write(Data((warning + "\n").utf8))
        }
        return start.kernel
    }()

    /// Asked once: does this CPU, with this operating system, run AVX-512? This is the only gate in
    /// front of the AVX-512 code.
    static let cpuSupportsAVX512: Bool = {
        #if arch(x86_64)
        return workbook_cpu_supports_avx512() != 0
        #else
        return false
        #endif
    }()

    /// The starting kernel for a value of `WORKBOOK_SIMD` (nil or empty when unset), and a warning when
    /// the value is not a kernel's name or asks for one this CPU cannot run.
    static func startingKernel(environment text: String?, supportsAVX512: Bool) -> (kernel: SIMDKernel, warning: String?) {
        let best: SIMDKernel = supportsAVX512 ? .eightLane : .fourLane
        switch text?.lowercased() {
        case nil, "":
            return (best, nil)
        case "avx2":
            return (.fourLane, nil)
        case "avx512" where supportsAVX512:
            return (.eightLane, nil)
        case "avx512":
            return (.fourLane, "warning: WORKBOOK_SIMD=avx512, but this CPU (or its operating system) has no AVX-512; "
                    + "using the \(SIMDKernel.fourLane) kernel")
        default:
            return (best, "warning: WORKBOOK_SIMD=\(text!) is not a kernel (avx2 or avx512); using \(best), "
                    + "the widest this CPU has")
        }
    }
}
