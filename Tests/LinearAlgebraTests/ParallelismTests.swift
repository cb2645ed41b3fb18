import Foundation
import XCTest
@testable import LinearAlgebra

/// `Parallelism.concurrentPerform`, the worker threads behind every parallel loop: each iteration runs
/// exactly once, whatever the number of iterations against the number of workers, after the workers
/// have gone to sleep, from inside another call, and from two threads of the program at once.
final class ParallelismTests: XCTestCase {
    /// How many times each of `iterations` iterations ran, for `calls` calls in a row.
    private func runCounts(iterations: Int, calls: Int = 1) -> [Int] {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: iterations)
        counts.initialize(repeating: 0, count: iterations)
        defer { counts.deallocate() }
        let lock = NSLock()
        for _ in 0 ..< calls {
            Parallelism.concurrentPerform(iterations: iterations) { i in
                lock.withLock { counts[i] += 1 }
            }
        }
        return Array(UnsafeBufferPointer(start: counts, count: iterations))
    }

    func testEveryIterationRunsOnceForAnyCount() {
        for iterations in [0, 1, 2, 3, 7, 64, 1000] {
            XCTAssertEqual(runCounts(iterations: iterations), Array(repeating: 1, count: iterations), "\(iterations) iterations")
        }
    }

    func testManyCallsInARowEachRunEveryIterationOnce() {
        // Calls in quick succession meet workers still spinning from the call before, or late for it.
        XCTAssertEqual(runCounts(iterations: 3, calls: 2000), [2000, 2000, 2000])
    }

    func testACallAfterTheWorkersSleptStillRunsEverything() {
        _ = runCounts(iterations: 2)
        Thread.sleep(forTimeInterval: Double(WorkerPool.spinNanoseconds) * 3e-9)
        XCTAssertEqual(runCounts(iterations: 4), [1, 1, 1, 1])
    }

    func testMoreIterationsThanTheWordHoldsRunOnDispatch() {
        XCTAssertEqual(runCounts(iterations: WorkerPool.maximumIterations + 2).reduce(0, +), WorkerPool.maximumIterations + 2)
    }

    func testACallInsideACallRunsEveryInnerIteration() {
        let lock = NSLock()
        var pairs = Set<[Int]>()
        Parallelism.concurrentPerform(iterations: 3) { i in
            Parallelism.concurrentPerform(iterations: 4) { j in
                _ = lock.withLock { pairs.insert([i, j]) }
            }
        }
        XCTAssertEqual(pairs.count, 12)
    }

    func testTwoThreadsCallingAtOnceEachGetTheirIterations() {
        final class Totals: @unchecked Sendable {
            let lock = NSLock()
            var sums = [0, 0]
        }
        let totals = Totals()
        let group = DispatchGroup()
        for caller in 0 ..< 2 {
            group.enter()
            Thread.detachNewThread {
                for _ in 0 ..< 300 {
                    Parallelism.concurrentPerform(iterations: 5) { i in totals.lock.withLock { totals.sums[caller] += i + 1 } }
                }
                group.leave()
            }
        }
        group.wait()
        XCTAssertEqual(totals.sums, [300 * 15, 300 * 15])
    }

    /// A product big enough for two threads gives the same bits through the pool as on one thread,
    /// also when it comes right after the workers went to sleep.
    func testAThreadedProductAfterAPauseEqualsTheOneThreadProduct() {
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }
        var rng = SeededGenerator(seed: 5)
        let a = Matrix.gaussian(300, 200, using: &rng), b = Matrix.gaussian(200, 250, using: &rng)
        Parallelism.threadCount = 1
        let single = matmul(a, b)
        Parallelism.threadCount = 2
        Thread.sleep(forTimeInterval: Double(WorkerPool.spinNanoseconds) * 3e-9)
        let threaded = matmul(a, b)
        XCTAssertEqual(threaded.storage, single.storage)
    }
}
