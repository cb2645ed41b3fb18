import Foundation
import Dispatch
import LinearAlgebra

// Memory that the fast layers reuse from step to step, and the threads that share their work.
//
// A training step that allocates its big temporaries afresh pays for them in page faults: glibc hands
// freed blocks of more than a few hundred kilobytes back to the system, so each new one is memory the
// process has never touched, mapped in page by page as it is first written. The fast convolution needs,
// per thread, one image's window matrix (H'·W' x C·HH·WW: 1.2 MB for a CIFAR-10 image and 7 x 7
// filters) and a few small partial sums; those come from here, are allocated once and kept.

/// A pool of scratch buffers, shared by all callers and threads: a buffer is taken for the length of
/// one call, then handed back for the next.
final class ScratchBuffers: @unchecked Sendable {
    static let shared = ScratchBuffers()

    private let lock = NSLock()
    private var idle: [UnsafeMutableBufferPointer<Double>] = []

    /// Runs `body` with at least `count` doubles of uninitialised memory, starting on a 64-byte cache
    /// line, which it must not keep.
    func withBuffer<R>(count: Int, _ body: (UnsafeMutablePointer<Double>) throws -> R) rethrows -> R {
        let buffer = take(count)
        defer { giveBack(buffer) }
        return try body(buffer.baseAddress!)
    }

    private func take(_ count: Int) -> UnsafeMutableBufferPointer<Double> {
        lock.lock()
        defer { lock.unlock() }
        // The smallest idle buffer that is large enough; otherwise one idle buffer (the largest, too
        // small) is replaced by a new one of the size asked for, so the pool does not grow without end.
        if let best = idle.indices.filter({ idle[$0].count >= count }).min(by: { idle[$0].count < idle[$1].count }) {
            return idle.remove(at: best)
        }
        if let largest = idle.indices.max(by: { idle[$0].count < idle[$1].count }) {
            UnsafeMutableRawPointer(idle.remove(at: largest).baseAddress!).deallocate()
        }
        // On a cache line: the direct convolution's padded rows are whole cache lines from there.
        let capacity = Swift.max(count, 1)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Double>.stride, alignment: 64)
        return UnsafeMutableBufferPointer(start: raw.bindMemory(to: Double.self, capacity: capacity), count: capacity)
    }

    private func giveBack(_ buffer: UnsafeMutableBufferPointer<Double>) {
        lock.lock()
        defer { lock.unlock() }
        idle.append(buffer)
    }
}

/// Runs `body` over `0 ..< count` in contiguous chunks, one per thread, on up to
/// ``Parallelism/threadCount`` threads, and only when each thread gets at least `minimumWork` units of
/// work (`workEach` per item): starting a thread costs about as much as a million multiply-adds.
/// Each item is computed the same way whichever chunk it falls in, so the result does not depend on
/// the thread count.
func inChunks(_ count: Int, workEach: Int, minimumWork: Int = 1 << 20, _ body: (Range<Int>) -> Void) {
    let affordable = Swift.max(1, Int(Swift.min(Double(count) * Double(workEach) / Double(minimumWork), 1e6)))
    let threads = Swift.min(Parallelism.threadCount, count, affordable)
    if threads <= 1 {
        body(0 ..< count)
    } else {
        Parallelism.concurrentPerform(iterations: threads) { t in
            body(t * count / threads ..< (t + 1) * count / threads)
        }
    }
}
