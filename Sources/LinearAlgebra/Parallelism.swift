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

    /// Runs `body` over `0 ..< count` in contiguous chunks, one per thread, on up to ``threadCount``
    /// threads when each gets at least about 131,000 entries (`entriesEach` per item), as the
    /// matrix module's own elementwise operations do; otherwise once, on the calling thread, with the
    /// whole range. For loops over the entries of large tensors that no matrix operation expresses
    /// (a fused update rule, a ReLU's backward pass): each call of `body` must write only the entries
    /// of its own range, and then the result does not depend on the thread count.
    public static func forEachChunk(of count: Int, entriesEach: Int = 1, _ body: (Range<Int>) -> Void) {
        inChunks(count, entriesEach: entriesEach, body)
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
