import CPUFeatures
import Dispatch
import Foundation

/// How many threads the matrix product may split its work over.
///
/// Large products (``matmul(_:_:transposeA:transposeB:)`` with at least about a million
/// multiply-adds) are cut into row or column strips that run at the same time on the module's worker
/// threads (``concurrentPerform(iterations:_:)``); smaller ones stay on the calling thread, where
/// starting threads would cost more than it saves. The result does not depend on the thread count: every entry
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

    /// Runs `body(i)` once for each i in `0 ..< iterations`, on the calling thread and the module's
    /// worker threads at the same time, and returns when all have run: what
    /// `DispatchQueue.concurrentPerform` does, with threads that wait for the next call spinning.
    ///
    /// Every parallel loop of the workbook's numeric code runs this way (the matrix product, the
    /// elementwise operations, ``forEachChunk(of:entriesEach:_:)``). One worker per core but one is
    /// started at the first call; after a call a worker waits for the next one spinning for
    /// about 5 ms, then sleeps until it is woken. Training calls in quick succession (a product is two
    /// to four calls, a convnet step some hundred), and waking a sleeping thread is slow on a virtual
    /// machine: with Dispatch's threads, which sleep at once, the second half of a call started 40 µs
    /// to over 0.7 ms late on this project's 2-core VM, often after the calling thread had done all of
    /// it, and a GEMM of n = 512 on two threads took one thread's time for its first ten or so calls
    /// after any pause (OpenBLAS's threads spin about 0.1 s after a call, for the same reason).
    ///
    /// Which thread runs which `i` is not fixed, so `body(i)` must not depend on it; nothing waits for
    /// a worker that is slow to come, since the calling thread takes the iterations that are left. A
    /// call made while another is running (from inside `body`, or from a second thread of the
    /// program) runs on Dispatch's threads instead.
    public static func concurrentPerform(iterations: Int, _ body: (Int) -> Void) {
        if iterations <= 1 {
            if iterations == 1 { body(0) }
            return
        }
        guard let pool = WorkerPool.shared, iterations <= WorkerPool.maximumIterations, pool.begin() else {
            DispatchQueue.concurrentPerform(iterations: iterations, execute: body)
            return
        }
        pool.run(iterations: iterations, body)
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

/// The worker threads behind ``Parallelism/concurrentPerform(iterations:_:)``: one call at a time.
///
/// A call is published in one word, `claims`: its generation (bits 32 and up), its iteration count
/// (bits 16-31) and the next unclaimed iteration (bits 0-15). A thread claims iteration i by
/// compare-and-swap of i + 1 for i in that word, so that a worker that wakes late for an earlier call
/// (another generation) can never take an iteration of a later one. It reads the call's body only
/// after a claim has succeeded: until every claimed iteration is done, the caller does not return,
/// and does not replace the body. `done` counts finished iterations.
final class WorkerPool: @unchecked Sendable {
    /// The pool, with one worker per active processor but one; nil on a single processor.
    static let shared: WorkerPool? = {
        let workers = ProcessInfo.processInfo.activeProcessorCount - 1
        return workers > 0 ? WorkerPool(workers: workers) : nil
    }()

    /// Calls with more iterations run on Dispatch (the word holds 16 bits of count).
    static let maximumIterations = 0xFFFF

    /// How long a worker spins for the next call before it sleeps.
    static let spinNanoseconds: UInt64 = 5_000_000

    private let words = UnsafeMutablePointer<Int>.allocate(capacity: 24)   // three words, each in a cache line of its own
    private var claims: UnsafeMutablePointer<Int> { words }
    private var done: UnsafeMutablePointer<Int> { words + 8 }
    private var sleepers: UnsafeMutablePointer<Int> { words + 16 }
    private let calling = NSLock()
    private let wakeUp = NSCondition()
    private var generation = 0
    nonisolated(unsafe) private var body: ((Int) -> Void)?

    private init(workers: Int) {
        words.initialize(repeating: 0, count: 24)
        for _ in 0 ..< workers {
            let thread = Thread { [unowned self] in self.work() }
            thread.stackSize = 8 << 20
            thread.name = "workbook worker"
            thread.start()
        }
    }

    /// Takes the pool for one call; false when another call holds it.
    func begin() -> Bool { calling.try() }

    /// Publishes the call, takes part in it, and returns when every iteration is done; gives the pool back.
    func run(iterations: Int, _ body: (Int) -> Void) {
        defer { calling.unlock() }
        withoutActuallyEscaping(body) { body in
            self.body = body
            workbook_atomic_store(done, 0)
            generation = (generation + 1) & 0x7FFF_FFFF
            workbook_atomic_store(claims, generation << 32 | iterations << 16)
            if workbook_atomic_load(sleepers) > 0 {
                wakeUp.lock()
                wakeUp.broadcast()
                wakeUp.unlock()
            }
            while let i = claim(generation) {
                body(i)
                _ = workbook_atomic_fetch_add(done, 1)
            }
            while workbook_atomic_load(done) < iterations { workbook_spin_pause() }
            self.body = nil
        }
    }

    /// The next unclaimed iteration of the call of `generation`, or nil when there is none or that
    /// call is over.
    private func claim(_ generation: Int) -> Int? {
        while true {
            let word = workbook_atomic_load(claims)
            let next = word & 0xFFFF, count = (word >> 16) & 0xFFFF
            guard word >> 32 == generation, next < count else { return nil }
            if workbook_atomic_compare_exchange(claims, word, word + 1) != 0 { return next }
        }
    }

    /// A worker: waits for each new call, spinning and then asleep, and takes iterations of it.
    private func work() {
        var seen = 0
        while true {
            seen = waitForCall(after: seen)
            while let i = claim(seen) {
                runClaimed(i)
                _ = workbook_atomic_fetch_add(done, 1)
            }
        }
    }

    /// Runs iteration i of the current call; its own function, so that the worker's copy of the body
    /// is released before the iteration is counted done (`withoutActuallyEscaping` checks that no copy
    /// is left when the call returns).
    @inline(never)
    private func runClaimed(_ i: Int) {
        body?(i)
    }

    /// The generation of the first call published after `seen`: spins for it, then sleeps.
    private func waitForCall(after seen: Int) -> Int {
        let start = DispatchTime.now().uptimeNanoseconds
        var spins = 0
        while true {
            let generation = workbook_atomic_load(claims) >> 32
            if generation != seen { return generation }
            workbook_spin_pause()
            spins += 1
            if spins & 63 == 0 && DispatchTime.now().uptimeNanoseconds - start > Self.spinNanoseconds {
                return sleepForCall(after: seen)
            }
        }
    }

    /// The same, asleep: counted in `sleepers` before its last look, so that a caller publishing after
    /// that look sees the count and wakes it.
    private func sleepForCall(after seen: Int) -> Int {
        wakeUp.lock()
        defer { wakeUp.unlock() }
        _ = workbook_atomic_fetch_add(sleepers, 1)
        defer { _ = workbook_atomic_fetch_add(sleepers, -1) }
        while true {
            let generation = workbook_atomic_load(claims) >> 32
            if generation != seen { return generation }
            wakeUp.wait()
        }
    }
}
