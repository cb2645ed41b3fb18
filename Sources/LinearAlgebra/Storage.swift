import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Fresh storage for matrices, and the threads that fill it.
///
/// Large buffers are backed by 2 MiB pages where the system allows it.
///
/// A new buffer of many megabytes is memory the process has not touched yet, and Linux maps it in
/// one 4 KiB page per fault as it is first written: for a (500, 5,000) result that is 5,000 faults,
/// which cost more than the arithmetic that fills it (the no-loop kNN distances spent 39 ms in
/// five such elementwise steps where NumPy spent 6). Transparent huge pages cut the faults 512-fold,
/// but on systems set to `madvise` (as the project's machine is) only for memory that asks for them, as NumPy
/// does for every array of 4 MiB or more. This does the same for the matrices built here.

extension Array where Element == Double {
    /// An array of `count` doubles that `fill` initialises, all of them, in place: one pass over the
    /// memory, and for large arrays the huge-page advice before the first write.
    @inlinable
    init(largeStorage count: Int, _ fill: (UnsafeMutableBufferPointer<Double>) -> Void) {
        self.init(unsafeUninitializedCapacity: count) { storage, initialized in
            adviseHugePages(storage)
            fill(storage)
            initialized = count
        }
    }
}

/// Asks the kernel to back the whole 2 MiB-aligned part of a buffer of 4 MiB or more with huge pages
/// (Linux; elsewhere nothing: macOS has no such advice and picks page sizes itself). Advice only:
/// where it is refused, or transparent huge pages are off, the buffer works as before.
@usableFromInline
func adviseHugePages(_ buffer: UnsafeMutableBufferPointer<Double>) {
    #if canImport(Glibc)
    let bytes = buffer.count * MemoryLayout<Double>.stride
    guard bytes >= 4 << 20, let base = buffer.baseAddress else { return }
    let hugePage = 2 << 20
    let start = (Int(bitPattern: base) + hugePage - 1) & ~(hugePage - 1)
    let end = (Int(bitPattern: base) + bytes) & ~(hugePage - 1)
    if end > start {
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE)
    }
    #endif
}

/// Runs `body` over `0 ..< count` in contiguous chunks, on several threads when there are at least
/// 131,072 entries (1 MB) per thread to go round (`entriesEach` entries per item: a row of a matrix).
/// Waking a thread costs some microseconds; a chunk of that size takes a few hundred.
///
/// For large elementwise results the time goes less into the arithmetic than into memory: reading the
/// operands, and the kernel clearing each fresh page on first write, which a second thread halves.
/// Every entry is still computed by exactly the same expression, so the result is the same whatever
/// the thread count. Up to ``Parallelism/threadCount`` threads.
@inlinable
func inChunks(_ count: Int, entriesEach: Int = 1, _ body: (Range<Int>) -> Void) {
    let entries = count * entriesEach
    let threads = Swift.min(Parallelism.threadCount, entries / minimumEntriesPerThread, count)
    if threads <= 1 {
        body(0 ..< count)
    } else {
        Parallelism.concurrentPerform(iterations: threads) { t in
            body(t * count / threads ..< (t + 1) * count / threads)
        }
    }
}

/// Entries below which an elementwise operation is not worth a second thread.
@usableFromInline
let minimumEntriesPerThread = 1 << 17
