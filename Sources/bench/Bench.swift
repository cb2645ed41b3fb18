import ArgumentParser
import Foundation
import LinearAlgebra

/// Times the workbook's heavy workloads in Swift and, when python3 with numpy is here, the same
/// workloads in NumPy in the same run, and prints a Markdown table with the ratio numpy / Swift
/// (above 1: Swift is faster). See Sources/bench/README.md.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Swift against NumPy (OpenBLAS) on the workbook's heavy workloads.",
        discussion: "Build in release mode: swift run -c release bench [--quick] [--only gemm] ...")

    @Flag(help: "Fewer runs and GEMM sizes up to 1,024: a first look in about a minute.")
    var quick = false

    @Option(help: "Timed runs per workload and thread count (after one warm-up run); default 7, 3 with --quick.")
    var repeats: Int?

    @Option(name: .customLong("only"), help: """
        Run only these workloads: gemm, knn, softmax, twolayer, conv, solverepoch (one Solver epoch of the \
        two-layer net), convnetstep (one training step of chapter 6's convnet), and knnfull (the full CIFAR-10 \
        distances, not run by default) (repeatable).
        """)
    var families: [Workload.Family] = []

    @Option(name: .customLong("size"), help: "GEMM sizes n (repeatable); default 256, 512, 1024, 2048.")
    var sizes: [Int] = []

    @Option(name: .customLong("threads"), help: "Thread counts (repeatable); default 1 and all cores.")
    var threadCounts: [Int] = []

    @Option(name: .customLong("kernel"), help: """
        Swift matrix kernels to time, each in its own rows: avx2, avx512 (repeatable); default the one \
        WORKBOOK_SIMD selects (the widest this CPU has).
        """)
    var kernels: [SIMDKernel] = []

    @Flag(name: .customLong("no-numpy"), help: "Time the Swift side only.")
    var noNumPy = false

    @Option(help: "The NumPy reference script.")
    var numpyScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("numpy_bench.py").path

    mutating func run() throws {
        let repeats = self.repeats ?? (quick ? 3 : 7)
        let minimumSeconds = quick ? 0.02 : 0.05
        let sizes = self.sizes.isEmpty ? (quick ? [256, 512, 1024] : [256, 512, 1024, 2048]) : self.sizes
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let threadCounts = self.threadCounts.isEmpty ? Array(Set([1, cores])).sorted() : self.threadCounts
        let families = self.families.isEmpty ? Workload.Family.byDefault : self.families
        let kernels = self.kernels.isEmpty ? [SIMDKernel.active] : self.kernels
        for kernel in kernels where !SIMDKernel.available.contains(kernel) {
            throw ValidationError("--kernel \(kernel.argument): this CPU cannot run the \(kernel) kernel (it has \(SIMDKernel.available.map { "\($0)" }.joined(separator: ", ")))")
        }
        var workloads: [Workload] = []
        for family in Workload.Family.allCases where families.contains(family) {
            switch family {
            case .gemm: workloads += sizes.map(Workload.gemm)
            case .knn: workloads.append(.knn)
            case .softmax: workloads.append(.softmax)
            case .twolayer: workloads.append(.twoLayer)
            case .conv: workloads.append(.convolution)
            case .knnfull: workloads.append(.knnFull)
            case .solverepoch: workloads.append(.solverEpoch)
            case .convnetstep: workloads.append(.convNetStep)
            }
        }

        let numpy = NumPyRunner(script: URL(fileURLWithPath: numpyScript))
        let numpyMissing = noNumPy ? "not run (--no-numpy)" : numpy.availability()
        print("Machine: \(machineDescription())\(loadAverage().map { String(format: "; load average %.2f at the start", $0) } ?? "")")
        print("""
            Runs: \(repeats) timed after one warm-up (a warm-up over 5 s counts as the first timed run); \
            times are medians (fastest–slowest) per run\(numpyMissing == nil ? "" : "; numpy: \(numpyMissing!)")
            """)
        print("")
        print("| workload | threads | Swift kernel | Swift | numpy | numpy / Swift | Swift GFLOP/s | numpy GFLOP/s |")
        print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
        var sink = 0.0
        var blas: (String, String, String)?
        for workload in workloads {
            let run = workload.prepare()
            for threads in threadCounts {
                for kernel in kernels {
                    Parallelism.threadCount = threads
                    SIMDKernel.active = kernel
                    // Half the Swift runs before NumPy's and half after, so that a change of load on the
                    // machine meets both sides alike.
                    var stopwatch = Stopwatch(minimumSeconds: minimumSeconds, run)
                    stopwatch.time(until: (repeats + 1) / 2)
                    var numpyTiming: Timing?
                    if numpyMissing == nil {
                        let report = try numpy.measure(workload.numpyArguments, threads: threads, repeats: repeats,
                                                       minimumSeconds: minimumSeconds)
                        numpyTiming = Timing(seconds: report.times)
                        blas = (report.numpy, report.blas, report.core)
                    }
                    stopwatch.time(until: repeats)
                    sink += stopwatch.sink
                    let swift = stopwatch.timing
                    func rate(_ timing: Timing?) -> String {
                        guard let timing, let flops = workload.flops else { return "" }
                        return String(format: "%.1f", flops / timing.median / 1e9)
                    }
                    let ratio = numpyTiming.map { String(format: "%.2f", $0.median / swift.median) } ?? ""
                    print("| \(workload.name) | \(threads) | \(kernel) | \(swift.summary) | \(numpyTiming?.summary ?? "") | \(ratio) | \(rate(swift)) | \(rate(numpyTiming)) |")
                    fflush(stdout)
                }
            }
        }
        if let (version, config, core) = blas {
            let removed = NumPyRunner.removedVariables.compactMap { name in
                ProcessInfo.processInfo.environment[name].map { "\(name)=\($0)" }
            }
            print("")
            print("numpy \(version), \(config); OpenBLAS kernel in use: \(core), its own choice for this CPU"
                  + (removed.isEmpty ? "" : " (this shell's \(removed.joined(separator: " and ")) removed for NumPy)"))
        }
        if let load = loadAverage() {
            print(String(format: "Load average %.2f at the end, on %d cores; bench accounts for up to its thread count, and more means other programs ran too.",
                         load, ProcessInfo.processInfo.activeProcessorCount))
        }
        if sink.isNaN { print("(a workload produced NaN)") }
    }
}

extension Workload.Family: ExpressibleByArgument {}

extension SIMDKernel: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument.lowercased() {
        case "avx2", "neon": self = .fourLane
        case "avx512": self = .eightLane
        default: return nil
        }
    }

    /// The name `--kernel` takes.
    var argument: String { self == .fourLane ? "avx2" : "avx512" }

    public static var allValueStrings: [String] { ["avx2", "avx512"] }
}
