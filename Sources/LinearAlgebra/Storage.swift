#if canImport(Glibc)
import Glibc
#endif

/// Fresh storage for matrices: large buffers are backed by 2 MiB pages where the system allows it.
///
/// A new buffer of many megabytes is memory the process has not touched yet, and Linux maps it in
/// one 4 KiB page per fault as it is first written: for a (500, 5,000) result that is 5,000 faults,
/// which cost more than the arithmetic that fills it (the no-loop kNN distances spent 39 ms in
/// five such elementwise steps where NumPy spent 6). Transparent huge pages cut the faults 512-fold,
/// but on systems set to `madvise` (the Debian default) only for memory that asks for them, as NumPy
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
