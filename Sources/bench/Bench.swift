import ArgumentParser
import Foundation
import CAllocator
import CPUFeatures
import LinearAlgebra

/// Times the workbook's heavy workloads in Swift and, when python3 with numpy is here, the same
/// workloads in NumPy in the same run, in rounds (Swift, then NumPy, then PyTorch, back to back), and
/// prints a Markdown table with the ratio numpy / Swift, the median of the rounds' ratios (above 1:
/// Swift is faster). When torch is installed too, PyTorch on the CPU adds reference columns
/// (fp64, and fp32 for the convnet step), the ratio torch / Swift beside them. See Sources/bench/README.md.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Swift against NumPy (OpenBLAS), and PyTorch on the CPU when it is installed, on the workbook's heavy workloads.",
        discussion: "Build in release mode: swift run -c release bench [--quick] [--only gemm] ...")

    @Flag(help: "Fewer rounds and GEMM sizes up to 1,024: a first look, in about 4 minutes with NumPy and PyTorch on 2 cores.")
    var quick = false

    @Option(help: "Timed rounds per workload and thread count, each one run of every side (after one warm-up run of each); default 7, 3 with --quick.")
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

    @Flag(name: .customLong("no-pin"), help: "Leave the one-thread rows' placement to the system (by default, on Linux, Swift and its references all run on the highest-numbered CPU).")
    var noPin = false

    @Flag(name: .customLong("no-numpy"), help: "Time the Swift side only.")
    var noNumPy = false

    @Option(help: "The NumPy reference script.")
    var numpyScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("numpy_bench.py").path

    @Flag(name: .customLong("no-torch"), help: "Leave out the PyTorch reference columns even when torch is installed.")
    var noTorch = false

    @Option(help: "The PyTorch reference script (used when python3 imports torch).")
    var torchScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("torch_bench.py").path

    mutating func run() throws {
        // As the chapter programs do (ChapterSupport's keepFreedMemoryForReuse): freed blocks of up to
        // 32 MB stay in the process, so a workload's repeats do not page their temporaries in afresh.
        _ = workbook_keep_freed_memory()
        let repeats = self.repeats ?? (quick ? 3 : 7)
        // Not shorter with --quick: a run follows the other sides' runs and the waits for them to go
        // idle, and the first calls after such a pause are slow on this virtual machine (a GEMM of
        // n = 512 on two threads took 6-10 ms for its first two to four calls after a pause of 0.3 s,
        // then 2.9 ms, whoever's threads ran it); with 20 ms runs, --quick's two-thread n = 512 row gave
        // numpy / Swift 0.51 to 0.90 in six runs, against 0.98 to 1.12 in five with 50 ms runs.
        let minimumSeconds = 0.05
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

        let numpy = ReferenceRunner(script: URL(fileURLWithPath: numpyScript), module: "numpy", skipFlag: "--no-numpy",
                                    threadVariable: "OPENBLAS_NUM_THREADS")
        let numpyMissing = noNumPy ? "not run (--no-numpy)" : numpy.availability().map { reason, missing in
            missing ? "\(reason) (pip install numpy to compare)" : "\(reason) (pass --numpy-script PATH)"
        }
        // PyTorch is a reference only, never a dependency: without it the table is the one above and a
        // line says how to add the columns.
        let torch = ReferenceRunner(script: URL(fileURLWithPath: torchScript), module: "torch", skipFlag: "--no-torch",
                                    threadVariable: "OMP_NUM_THREADS")
        let torchMissing = noTorch ? nil : torch.availability()
        let withTorch = !noTorch && torchMissing == nil
        let withTorchFloat32 = withTorch && workloads.contains { $0.torchFloat32 }
        print("Machine: \(machineDescription())\(loadAverage().map { String(format: "; load average %.2f at the start", $0) } ?? "")")
        let sides = ["Swift"] + (numpyMissing == nil ? ["numpy"] : []) + (withTorch ? ["torch"] : [])
        let round = sides.count == 1 ? "a round is one Swift run"
            : "a round runs \(sides.dropLast().joined(separator: ", ")) and \(sides.last!) once each, back to back"
        print("""
            Runs: \(repeats) rounds after one warm-up run of each side (warm-ups all over 5 s count as the first round); \
            \(round). Times are each side's median (fastest–slowest)\(sides.count == 1 ? "" : """
            ; a ratio is the median over the rounds of that round's reference time / its Swift time (above 1: Swift is faster)
            """)\(numpyMissing == nil ? "" : "; numpy: \(numpyMissing!)")
            """)
        if let (reason, missing) = torchMissing {
            print(missing
                  ? "PyTorch not found (\(reason)): no torch reference columns. They are optional; to add them: pip install torch --index-url https://download.pytorch.org/whl/cpu (see Sources/bench/README.md)."
                  : "PyTorch left out: \(reason); pass --torch-script PATH, or --no-torch to silence this.")
        }
        print("")
        var columns = ["workload", "threads", "Swift kernel", "Swift", "numpy", "numpy / Swift"]
        if withTorch { columns += ["torch fp64", "torch fp64 / Swift"] }
        if withTorchFloat32 { columns += ["torch fp32 (reference)", "torch fp32 / Swift"] }
        columns += ["Swift GFLOP/s", "numpy GFLOP/s"] + (withTorch ? ["torch GFLOP/s"] : [])
        print("| " + columns.joined(separator: " | ") + " |")
        print("| " + columns.map { ["workload", "Swift kernel"].contains($0) ? "---" : "---:" }.joined(separator: " | ") + " |")
        var sink = 0.0
        var blas: (String, String, String)?
        var torchBuild: TorchReport?
        var torchThreads: Set<String> = []    // "asked→used" where torch did not take the row's count
        LiveReferences.shared.installHandlers()
        defer { LiveReferences.shared.stopAll() }
        // One-thread rows run every side on one CPU, the same for all: on this project's virtual
        // machine a one-thread GEMM ran up to a tenth slower on one vCPU than on the other, so a
        // ratio otherwise measured partly which vCPU each process had landed on.
        let highestCPU = Int(workbook_highest_allowed_cpu())    // -1 where it cannot be read
        let pinnedCPU = noPin || highestCPU < 0 ? nil : highestCPU
        var pinnedRows = false
        // The matrix module's worker threads start at its first parallel loop and keep the CPUs their
        // creator was allowed: start them now, before a one-thread row pins this thread.
        Parallelism.concurrentPerform(iterations: 2) { _ in }
        for workload in workloads {
            let run = workload.prepare()
            for threads in threadCounts {
                Parallelism.threadCount = threads
                let pin = threads == 1 ? pinnedCPU : nil
                if let pin, workbook_set_thread_cpu(0, Int32(pin)) == 0 { pinnedRows = true }
                defer { if pin != nil { _ = workbook_set_thread_cpu(0, -1) } }
                // One process per reference (and precision) serves every kernel's rows at this thread
                // count, with the data prepared once; each row warms every side up again.
                var references: [ReferenceProcess] = []
                var numpyIndex: Int?, torchIndex: Int?, torchFloat32Index: Int?
                if numpyMissing == nil {
                    let process = try numpy.start(workload.numpyArguments, threads: threads, minimumSeconds: minimumSeconds)
                    references.append(process)
                    numpyIndex = references.count - 1
                    let report = try decode(NumPyReport.self, process)
                    blas = (report.numpy, report.blas, report.core)
                }
                func startTorch(_ dtype: String) throws -> Int {
                    let process = try torch.start(workload.numpyArguments + ["--dtype", dtype, "--threads", "\(threads)"],
                                                  threads: threads, minimumSeconds: minimumSeconds)
                    references.append(process)
                    let report = try decode(TorchReport.self, process)
                    torchBuild = report
                    if report.threads != threads { torchThreads.insert("\(threads)→\(report.threads)") }
                    return references.count - 1
                }
                if withTorch { torchIndex = try startTorch("float64") }
                if withTorch && workload.torchFloat32 { torchFloat32Index = try startTorch("float32") }
                if let pin { for process in references { process.pinThreads(to: pin) } }
                for kernel in kernels {
                    SIMDKernel.active = kernel
                    var stopwatch = Stopwatch(minimumSeconds: minimumSeconds, run)
                    let rounds = try Rounds(count: repeats, swift: &stopwatch, references: references)
                    sink += stopwatch.sink
                    let swift = Timing(seconds: rounds.swift)
                    func timing(_ index: Int?) -> Timing? { index.map { Timing(seconds: rounds.references[$0]) } }
                    func rate(_ timing: Timing?) -> String {
                        guard let timing, let flops = workload.flops else { return "" }
                        return String(format: "%.1f", flops / timing.median / 1e9)
                    }
                    func ratio(_ index: Int?) -> String { index.map { String(format: "%.2f", rounds.ratio($0)) } ?? "" }
                    var cells = [workload.name, "\(threads)", "\(kernel)", swift.summary, timing(numpyIndex)?.summary ?? "", ratio(numpyIndex)]
                    if withTorch { cells += [timing(torchIndex)?.summary ?? "", ratio(torchIndex)] }
                    if withTorchFloat32 { cells += [timing(torchFloat32Index)?.summary ?? "", ratio(torchFloat32Index)] }
                    cells += [rate(swift), rate(timing(numpyIndex))] + (withTorch ? [rate(timing(torchIndex))] : [])
                    print("| " + cells.joined(separator: " | ") + " |")
                    fflush(stdout)
                }
                // No pause after the exits (the one-shot processes of before needed a second each:
                // Swift ran up to 1.7 times slower right after one exited). stop() waits for the exit,
                // and the next row's references start and prepare their data before anything is
                // timed: the first round after the exit of a NumPy process that held 1.2 GB (softmax)
                // took 5.9 ms in Swift (two-layer net), the median of the row 6.0.
                for process in references { process.stop() }
            }
        }
        if let (version, config, core) = blas {
            let removed = ReferenceRunner.removedVariables.compactMap { name in
                ProcessInfo.processInfo.environment[name].map { "\(name)=\($0)" }
            }
            print("")
            print("numpy \(version), \(config); OpenBLAS kernel in use: \(core), its own choice for this CPU"
                  + (removed.isEmpty ? "" : " (this shell's \(removed.joined(separator: " and ")) removed for NumPy)"))
        }
        if let build = torchBuild {
            if blas == nil { print("") }
            print("""
                torch \(build.torch), a reference only: BLAS \(build.blas), oneDNN \(build.onednn), ATen's CPU \
                capability \(build.capability); torch.set_num_threads(the row's threads)\
                \(torchThreads.isEmpty ? "" : " (but torch used other counts: \(torchThreads.sorted().joined(separator: ", ")))"); fp64 unless the column says fp32\
                \(withTorchFloat32 ? " (single precision, for reference: the workbook computes in fp64)" : ""); \
                OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment as from NumPy's
                """)
        }
        if pinnedRows, let cpu = pinnedCPU {
            print("One-thread rows: Swift and its references all ran on CPU \(cpu) (--no-pin leaves them to the system).")
        }
        if let load = loadAverage() {
            print(String(format: "Load average %.2f at the end, on %d cores; bench accounts for up to its thread count, and more means other programs ran too.",
                         load, ProcessInfo.processInfo.activeProcessorCount))
        }
        if sink.isNaN { print("(a workload produced NaN)") }
    }
}

/// A reference's details line, decoded; a line that does not decode is the script's failure.
private func decode<Report: Decodable>(_: Report.Type, _ process: ReferenceProcess) throws -> Report {
    do {
        return try JSONDecoder().decode(Report.self, from: process.details)
    } catch {
        throw process.failure("its first line, \(String(decoding: process.details, as: UTF8.self)), is not the details bench reads (\(error))")
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
