import Foundation

/// Seconds per run of a workload over several runs: the median and the spread (smallest to largest).
struct Timing {
    let seconds: [Double]

    var median: Double {
        let sorted = seconds.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    var fastest: Double { seconds.min() ?? .nan }
    var slowest: Double { seconds.max() ?? .nan }

    /// `12.3 ms (12.1–12.9)`.
    var summary: String { "\(milliseconds(median)) ms (\(milliseconds(fastest))–\(milliseconds(slowest)))" }
}

/// Three significant digits, in milliseconds.
func milliseconds(_ seconds: Double) -> String {
    let ms = seconds * 1000
    return ms >= 100 ? String(format: "%.0f", ms) : ms >= 10 ? String(format: "%.1f", ms) : String(format: "%.2f", ms)
}

/// Times runs of a workload: one warm-up run, then timed runs in as many batches as asked, so that
/// the Swift runs can be split around the NumPy ones and both meet the same load on a shared machine.
///
/// A run shorter than `minimumSeconds` is repeated until it lasts that long and counts as the mean,
/// so that short workloads are not lost in timer noise; a warm-up run longer than `longSeconds`
/// counts as the first timed run instead of being thrown away.
struct Stopwatch {
    private let run: () -> Double
    private var inner = 1
    private(set) var seconds: [Double] = []
    /// Sums what the runs return, so that the optimiser cannot drop them.
    private(set) var sink = 0.0

    init(minimumSeconds: Double, longSeconds: Double = 5, _ run: @escaping () -> Double) {
        self.run = run
        let start = Stopwatch.now()
        sink += run()
        let once = Stopwatch.now() - start
        inner = Swift.max(1, Int((minimumSeconds / Swift.max(once, 1e-9)).rounded(.up)))
        if once > longSeconds { seconds.append(once) }
    }

    /// Times runs until there are `total` in all.
    mutating func time(until total: Int) {
        while seconds.count < total {
            let start = Stopwatch.now()
            for _ in 0 ..< inner { sink += run() }
            seconds.append((Stopwatch.now() - start) / Double(inner))
        }
    }

    var timing: Timing { Timing(seconds: seconds) }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }
}

/// Runs a Python reference script (`numpy_bench.py`, `torch_bench.py`) with python3, one process per
/// workload and thread count (and, for PyTorch, precision), and reads the JSON object it prints last.
struct ReferenceRunner {
    let script: URL
    /// The module the script imports, whose absence leaves its columns out.
    let module: String
    /// The flag that leaves this reference out, for the error message of a failed run.
    let skipFlag: String

    /// Variables of this process's environment that the reference processes do not inherit.
    static let removedVariables = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"]

    /// Whether the script is there and python3 runs and imports `module`; nil when it does, and when
    /// not, the reason (`missing`: python3 ran and said the module is not installed).
    func availability() -> (reason: String, missing: Bool)? {
        guard FileManager.default.fileExists(atPath: script.path) else {
            return ("the script \(script.path) is missing", false)
        }
        guard let result = try? run(["-c", "import \(module)"], threads: 1) else {
            return ("python3 does not run", true)
        }
        if result.status == 127 { return ("python3 is not on the PATH", true) }   // env's "command not found"
        guard result.status == 0 else {
            let lastLine = result.output.split(separator: "\n").last.map(String.init) ?? ""
            let missing = lastLine.contains("ModuleNotFoundError") || lastLine.contains("No module named")
            return (missing ? "python3 has no \(module)" : "python3 cannot import \(module) (\(lastLine))", missing)
        }
        return nil
    }

    /// Times one workload with the script's libraries limited to `threads` threads.
    func measure<Report: Decodable>(_ arguments: [String], threads: Int, repeats: Int, minimumSeconds: Double,
                                    as _: Report.Type = Report.self) throws -> Report {
        let result = try run([script.path] + arguments + ["--repeats", "\(repeats)", "--min-seconds", "\(minimumSeconds)"],
                             threads: threads)
        let name = script.lastPathComponent, command = arguments.joined(separator: " ")
        // The report is the last line; a library may have warned on standard error before it.
        guard result.status == 0,
              let json = result.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw BenchError.referenceFailed(name, command, skipFlag, result.output)
        }
        do {
            return try JSONDecoder().decode(Report.self, from: Data(json.utf8))
        } catch {
            throw BenchError.referenceFailed(name, command, skipFlag, result.output)
        }
    }

    private func run(_ arguments: [String], threads: Int) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        var environment = ProcessInfo.processInfo.environment
        for name in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"] { environment[name] = "\(threads)" }
        // The libraries as a student has them: OpenBLAS picks its kernel for this CPU itself. Some
        // machines set these two to work around their own set-up (forcing the AVX2 kernels); they are
        // removed for the reference processes only.
        for name in ReferenceRunner.removedVariables { environment[name] = nil }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        // For a while after a Python process exits, the Swift runs on this virtual machine were up
        // to 1.7 times slower (the system reclaiming the process's memory, most likely): a pause of a
        // second lets that pass before Swift is timed again, as NumPy's own start-up does for it.
        Thread.sleep(forTimeInterval: 1)
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// What `numpy_bench.py` reports besides the times.
struct NumPyReport: Decodable {
    let times: [Double]
    let numpy: String
    let blas: String
    let core: String
}

/// What `torch_bench.py` reports besides the times.
struct TorchReport: Decodable {
    let times: [Double]
    let torch: String
    let dtype: String
    /// `torch.get_num_threads()` after the script set it: the row's thread count.
    let threads: Int
    /// `torch.backends.cpu.get_cpu_capability()`: the widest vectors ATen's own kernels use (`AVX512`).
    let capability: String
    let blas: String
    let onednn: String
}

enum BenchError: Error, CustomStringConvertible {
    case referenceFailed(String, String, String, String)

    var description: String {
        switch self {
        case let .referenceFailed(script, workload, skipFlag, output):
            return "\(script) \(workload) failed (run it by hand to see why, or pass \(skipFlag)):\n\(output)"
        }
    }
}

/// What the machine is, for the header of the table.
func machineDescription() -> String {
    var model = "unknown CPU"
    if let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
       let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
       let name = line.split(separator: ":", maxSplits: 1).last {
        model = name.trimmingCharacters(in: .whitespaces)
    }
    let info = ProcessInfo.processInfo
    let memory = Double(info.physicalMemory) / Double(1 << 30)
    return "\(model), \(info.activeProcessorCount) cores, \(String(format: "%.0f", memory)) GiB, \(info.operatingSystemVersionString)"
}

/// The one-minute load average (runnable processes, ours included), to tell a quiet machine from a
/// busy one; nil where the system does not say.
func loadAverage() -> Double? {
    var load = [0.0]
    return getloadavg(&load, 1) == 1 ? load[0] : nil
}
