import Foundation

/// A progress line for long loops: rewritten in place on a terminal, printed every tenth of the way
/// (and at the end) when the output goes to a file or a CI log.
public struct ProgressLine {
    private let label: String
    private let total: Int
    private let start = Date()
    private let interactive = isatty(fileno(stdout)) != 0
    private var lastPrintedTenth = -1

    /// - Parameters:
    ///   - label: what is counted, e.g. "fold" or "test block".
    ///   - total: how many steps make the whole.
    public init(_ label: String, total: Int) {
        self.label = label
        self.total = max(total, 1)
    }

    /// Reports that `done` of the `total` steps are finished, with the elapsed time and an estimate of
    /// the time left.
    public mutating func update(_ done: Int, detail: String = "") {
        let elapsed = Date().timeIntervalSince(start)
        let left = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let text = "    \(label) \(done)/\(total)  \(format(seconds: elapsed)) elapsed, ~\(format(seconds: left)) left\(detail.isEmpty ? "" : "  " + detail)"
        if interactive {
            print("\r\u{1B}[K" + text, terminator: done == total ? "\n" : "")
            fflush(stdout)
        } else if done * 10 / total > lastPrintedTenth || done == total {
            lastPrintedTenth = done * 10 / total
            print(text)
        }
    }
}

/// Seconds as "0.42 s", "12.3 s" or "2 min 05 s".
public func format(seconds: Double) -> String {
    // The ranges are those of the rounded value, so that 9.996 s is "10.0 s", not "10.00 s".
    if (seconds * 100).rounded() < 1000 { return String(format: "%.2f s", seconds) }
    if (seconds * 10).rounded() < 1200 { return String(format: "%.1f s", seconds) }
    let whole = Int(seconds.rounded())
    return String(format: "%d min %02d s", whole / 60, whole % 60)
}

/// A count with commas between groups of three digits, as the course writes them: "31,467,520", "-1,000", "760".
public func format(count: Int) -> String {
    let digits = String(count.magnitude)
    var grouped = ""
    for (index, digit) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { grouped += "," }
        grouped.append(digit)
    }
    return (count < 0 ? "-" : "") + grouped
}

/// Runs `body` and returns its result with the wall-clock seconds it took.
public func timed<T>(_ body: () throws -> T) rethrows -> (value: T, seconds: Double) {
    let start = Date()
    let value = try body()
    return (value, Date().timeIntervalSince(start))
}
