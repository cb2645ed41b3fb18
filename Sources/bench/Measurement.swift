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

/// Times runs of a Swift workload: a warm-up run, which sets how often a timed run repeats a short
/// workload, then timed runs one at a time, so that they can alternate with the references' runs.
///
/// A run shorter than `minimumSeconds` is repeated until it lasts that long and counts as the mean,
/// so that short workloads are not lost in timer noise.
struct Stopwatch {
    private let run: () -> Double
    private let minimumSeconds: Double
    private var inner = 1
    /// Sums what the runs return, so that the optimiser cannot drop them.
    private(set) var sink = 0.0

    init(minimumSeconds: Double, _ run: @escaping () -> Double) {
        self.run = run
        self.minimumSeconds = minimumSeconds
    }

    /// One run, untimed by the table; its seconds.
    mutating func warmUp() -> Double {
        let start = Stopwatch.now()
        sink += run()
        let once = Stopwatch.now() - start
        inner = Swift.max(1, Int((minimumSeconds / Swift.max(once, 1e-9)).rounded(.up)))
        return once
    }

    /// One timed run: the mean seconds of its repeats.
    mutating func time() -> Double {
        let start = Stopwatch.now()
        for _ in 0 ..< inner { sink += run() }
        return (Stopwatch.now() - start) / Double(inner)
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }
}

/// The seconds of each side's runs, timed in rounds: in each round the Swift side runs once, then each
/// reference once, back to back, so that the machine's speed, which drifts by a third within minutes
/// on a shared virtual machine, is nearly the same for all the runs of a round.
struct Rounds {
    private(set) var swift: [Double] = []
    /// One list per reference, in the order given, one entry per round.
    private(set) var references: [[Double]]

    /// Warms every side up (Swift first), then times `count` rounds. When every side's warm-up took
    /// longer than `longSeconds`, the warm-ups count as the first round instead of being thrown away.
    /// Each side starts once the one before has gone idle (``waitUntilIdle(_:maximum:)``; a reference
    /// waits for itself after each answer).
    init(count: Int, swift stopwatch: inout Stopwatch, references processes: [ReferenceProcess], longSeconds: Double = 5) throws {
        references = processes.map { _ in [] }
        let swiftWarmUp = stopwatch.warmUp()
        if !processes.isEmpty { waitUntilIdle(getpid()) }
        let warmUps = [swiftWarmUp] + (try processes.map { try $0.warmUp() })
        if warmUps.allSatisfy({ $0 > longSeconds }) { append(warmUps) }
        while swift.count < count {
            var round = [stopwatch.time()]
            if !processes.isEmpty { waitUntilIdle(getpid()) }
            for process in processes { round.append(try process.time()) }
            append(round)
        }
    }

    private mutating func append(_ round: [Double]) {
        swift.append(round[0])
        for index in references.indices { references[index].append(round[index + 1]) }
    }

    /// The median over the rounds of reference time / Swift time in the same round (above 1: Swift
    /// is faster). Drift slower than a round cancels out of each round's ratio.
    func ratio(_ reference: Int) -> Double {
        Timing(seconds: zip(references[reference], swift).map { $0 / $1 }).median
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
