import CAllocator

/// Asks the C allocator to keep the memory of freed blocks for the next ones, which every chapter
/// program does before its first cell (``Notebook`` calls it), and `bench` before its workloads.
///
/// By default glibc serves every block of more than 128 KB (at most 32 MB, its threshold adapting to
/// what a program frees) with a fresh `mmap` and hands it back to the system on `free`, so that a
/// training step which allocates its activations anew (a convnet's are 13 MB each for a batch of 50)
/// maps each of them in again page by page as it is first written: up to 100,000 page faults a step,
/// measured here as a tenth of the step. With blocks up to 32 MB taken from the heap, and the heap's
/// top kept rather than trimmed, a freed activation is the next step's, already mapped. The memory
/// kept is at most the largest step's, which the program needed anyway. Elsewhere (macOS) the system
/// allocator already reuses freed memory, and nothing is changed (CAllocator, a few lines of C around
/// glibc's `mallopt`).
/// - Returns: whether the allocator took both settings (always false where it is not glibc's).
@discardableResult
public func keepFreedMemoryForReuse() -> Bool {
    workbook_keep_freed_memory() == 1
}
