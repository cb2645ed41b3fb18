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
/// processors otherwise. Setting ``threadCount`` changes it for the rest of the process; the `bench`
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
        if let text = ProcessInfo.processInfo.environment["WORKBOOK_THREADS"], let count = Int(text), count > 0 {
            return count
        }
        return Swift.max(ProcessInfo.processInfo.activeProcessorCount, 1)
    }()
}
