import Foundation

/// How many threads the matrix product may split its work over.
///
/// Large products (``matmul(_:_:transposeA:transposeB:)`` with at least about a million
/// multiply-adds) are cut into row or column strips that run at the same time with
/// `DispatchQueue.concurrentPerform`; smaller ones stay on the calling thread, where starting
/// threads would cost more than it saves. The result does not depend on the thread count: every entry
/// of the product is summed by one thread in the same order either way.
///
/// The count starts as the environment variable `WORKBOOK_THREADS` when it holds a positive integer
/// (`WORKBOOK_THREADS=1 swift run -c release knn` runs on one core), and as the number of active
/// processors otherwise; any other value is reported once on standard error. Setting ``threadCount`` changes it for the rest of the process; the `bench`
/// program does so to compare one thread with two.
public enum Parallelism {
    /// The most threads a product uses, at least 1. Safe to read and set from any thread.
    public static var threadCount: Int {
        get {
            lock.lock()
            defer { lock.unlock() }
            return storedThreadCount
        }
        set {
            lock.lock()
            defer { lock.unlock() }
            storedThreadCount = Swift.max(newValue, 1)
        }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var storedThreadCount: Int = {
        let processors = Swift.max(ProcessInfo.processInfo.activeProcessorCount, 1)
        let start = startingThreadCount(environment: ProcessInfo.processInfo.environment["WORKBOOK_THREADS"],
                                        processors: processors)
        if let warning = start.warning {
            FileHandle.standardError.write(Data((warning + "\n").utf8))
        }
        return start.count
    }()

    /// The starting count for a value of `WORKBOOK_THREADS` (nil or empty when unset), and a warning when
    /// the value is not a positive integer and so is replaced by `processors`.
    static func startingThreadCount(environment text: String?, processors: Int) -> (count: Int, warning: String?) {
        guard let text, !text.isEmpty else { return (processors, nil) }
        if let count = Int(text), count > 0 { return (count, nil) }
        return (processors, "warning: WORKBOOK_THREADS=\(text) is not a positive whole number; "
                + "using all \(processors) core\(processors == 1 ? "" : "s") instead")
    }
}
