import CPUFeatures
import Dispatch
import Foundation

/// The general matrix product behind ``matmul(_:_:transposeA:transposeB:)``: C = op(A) op(B) + beta C.
///
/// The scheme is the one of Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication"
/// (ACM TOMS 34(3), 2008), in the loop order of Van Zee & van de Geijn, "BLIS: A Framework for Rapidly
/// Instantiating BLAS Functionality" (ACM TOMS 41(3), 2015):
///
/// ```
/// for each column panel of B, NC wide                  (jc)
///   for each depth slice of K, KC deep                 (pc)  pack op(B)[pc, jc] into slivers NR wide   → L3
///     for each row block of A, MC tall                 (ic)  pack op(A)[ic, pc] into panels MR tall    → L2
///       for each sliver of the packed B                (jr)  the sliver stays in L1
///         for each panel of the packed A               (ir)
///           C[ir, jr] (MR x NR) = panel x sliver + beta C   the micro-kernel, all in registers
/// ```
///
/// Packing copies the operands into the order the micro-kernel reads them, contiguous and zero-padded
/// to whole tiles, so that the innermost loop streams through memory with unit stride whatever the
/// shape or the transposes; a transposed operand is never materialised, only packed from the other
/// side. Edge tiles are computed whole on the padding and only their valid part is written back.
/// Each tile's lines of C are requested (`prefetchTile`) just before its micro-kernel runs, which reads
/// and writes C only after the whole depth. The AVX-512 kernel also asks for its panel's and
/// sliver's lines a few steps ahead, and each tile of a sliver asks a share of the next sliver into
/// L2, so that the next sliver is there when the loop reaches it (MicroKernel12x16.swift).
///
/// Two refinements for the shapes of a classifier's gradients, where one side of C is only C = 10
/// classes wide:
/// - when op(A) has at most MC rows, a sliver of B meets only a few panels, so instead of packing a
///   whole KC x NC panel of B first, slivers are packed a group at a time and used at once
///   (`shortProduct`);
/// - a transposed A with few columns of C (Xᵀ dscores) is computed as Cᵀ = op(B)ᵀ op(A)ᵀ, writing the
///   tiles of C transposed, so that X is packed from whole rows rather than short pieces of each.
///
/// Threads split the row blocks of C (each takes the next block, packs its rows of A and shares the
/// packed B), or in `shortProduct` the slivers of B. Each entry of C is summed by one thread in the
/// same order in every case, so the result is the same bit for bit whatever ``Parallelism/threadCount``
/// is, and whichever thread takes which block.
///
/// The micro-kernel and its tile and block sizes come from a ``Tiling`` (GEMMKernel.swift): the 6 x 8
/// AVX2 kernel or, on CPUs with AVX-512, the 12 x 16 one, as ``SIMDKernel/active`` says. Each kernel
/// gives the same bits on any thread count; the two differ only where their KC slices end.
///
/// Rounding: each entry is a sum of K products accumulated with fused multiply-adds in order of p,
/// restarted every KC terms and added to C; its error is bounded like any recursive summation,
/// |error| <= K u sum_p |a_ip b_pj| to first order, with u = 2^-53.

// MARK: - Entry point

/// C = op(A) op(B) + beta C on raw row-major buffers; the leading dimensions are row lengths in memory.
///
/// - Parameters:
///   - transposeA: op(A) = Aᵀ, and `a` holds a (K, M) matrix; otherwise `a` holds (M, K).
///   - transposeB: op(B) = Bᵀ, and `b` holds an (N, K) matrix; otherwise `b` holds (K, N).
///   - m, n, k: op(A) is (M, K), op(B) is (K, N), C is (M, N).
///   - a, b, c: the buffers; an empty one may have no address (nil), the others must.
///   - beta: 0 overwrites C without reading it (C may be uninitialised); 1 accumulates into C.
///   - threads: the most threads to use; small products use one whatever this says.
@usableFromInline
func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
          a: UnsafePointer<Double>?, lda: Int, b: UnsafePointer<Double>?, ldb: Int,
          beta: Double, c: UnsafeMutablePointer<Double>?, ldc: Int,
          threads: Int = Parallelism.threadCount, kernel: SIMDKernel = SIMDKernel.active) {
    guard m > 0 && n > 0, let c else { return }
    guard k > 0, let a, let b else {
        for i in 0 ..< m {
            let row = c + i * ldc
            for j in 0 ..< n { row[j] = beta == 0 ? 0 : beta * row[j] }
        }
        return
    }
    let tiling = kernel.tiling
    // A product with few columns and many rows is computed as Cᵀ = op(B)ᵀ op(A)ᵀ when that turns a
    // transposed A (packed from short pieces of many rows) into an untransposed B (packed from whole
    // rows): Xᵀ dscores with X (49,000, 3,073) and 10 classes streams X row by row this way.
    if transposeA && n < 2 * tiling.nr && m > n {
        blockedProduct(Operand(base: b, stride: ldb, transposed: !transposeB), Operand(base: a, stride: lda, transposed: false),
                       m: n, n: m, k: k, beta: beta, c: c, rowStride: 1, columnStride: ldc, threads: threads, tiling: tiling)
    } else {
        blockedProduct(Operand(base: a, stride: lda, transposed: transposeA), Operand(base: b, stride: ldb, transposed: transposeB),
                       m: m, n: n, k: k, beta: beta, c: c, rowStride: ldc, columnStride: 1, threads: threads, tiling: tiling)
    }
}

/// C = lhs rhs + beta C, where lhs is op(A) (m, k), rhs is op(B) (k, n), and entry (i, j) of C is
/// at `c + i * rowStride + j * columnStride`: the loops of Goto and van de Geijn described above.
func blockedProduct(_ lhs: Operand, _ rhs: Operand, m: Int, n: Int, k: Int, beta: Double,
                    c: UnsafeMutablePointer<Double>, rowStride: Int, columnStride: Int, threads: Int, tiling: Tiling) {
    if m <= tiling.mc {
        shortProduct(lhs, rhs, m: m, n: n, k: k, beta: beta, c: c, rowStride: rowStride, columnStride: columnStride,
                     threads: threads, tiling: tiling)
        return
    }
    let panels = (m + tiling.mr - 1) / tiling.mr
    let threads = threadCount(m: m, n: n, k: k, requested: threads, parts: panels)
    // Row blocks of nearly equal numbers of panels, at most MC rows: 252 rows are three blocks of 84,
    // not 120, 120 and 12 (a block of one or two panels reads every sliver for little work), and the
    // 171 panels of 2,048 rows are 18 blocks of 9 or 10. The count is a multiple of the thread count,
    // so that on idle cores each thread does as many; the threads take them in turn from a shared
    // counter, so that a thread whose core also runs another program does fewer instead of holding
    // the others up at the end of every slice. (Four or more blocks per thread, 60 rows instead of 90,
    // looked about 5 % slower for the 6 x 8 kernel on two threads at n = 512, near the noise of a
    // loaded machine.) The AVX-512 kernel's blocks are halved again on more than one thread
    // (`Tiling.threadedBlockSplit`).
    let panelsPerBlock = tiling.mc / tiling.mr
    let split = threads > 1 ? tiling.threadedBlockSplit : 1
    let blocks = Swift.min(panels, roundUp((panels + panelsPerBlock - 1) / panelsPerBlock, threads) * split)
    let blockHeight = (panels + blocks - 1) / blocks * tiling.mr
    let kcMax = Swift.min(tiling.kc, k)
    let ncMax = Swift.min(tiling.nc, n)
    let packedB = PackingBuffer(count: roundUp(ncMax, tiling.nr) / tiling.nr * tiling.sliverStride(kcMax))
    let packedA = (0 ..< threads).map { _ in PackingBuffer(count: blockHeight / tiling.mr * tiling.panelStride(kcMax)) }
    defer {
        packedB.deallocate()
        for buffer in packedA { buffer.deallocate() }
    }

    for jc in stride(from: 0, to: n, by: tiling.nc) {
        let nc = Swift.min(tiling.nc, n - jc)
        let slivers = (nc + tiling.nr - 1) / tiling.nr
        for pc in stride(from: 0, to: k, by: tiling.kc) {
            let kc = Swift.min(tiling.kc, k - pc)
            let sliceBeta = pc == 0 ? beta : 1
            // The threads pack a share of the slivers each, then all use all of them.
            runConcurrently(threads: threads) { t in
                let part = share(t, of: slivers, among: threads)
                guard !part.isEmpty else { return }
                let first = part.lowerBound * tiling.nr
                packPanelB(rhs, tiling: tiling, row: pc, depth: kc, column: jc + first,
                           width: Swift.min(part.upperBound * tiling.nr, nc) - first,
                           into: packedB.base + part.lowerBound * tiling.sliverStride(kc))
            }
            // Each thread takes the next row block of C, packs its rows of A and runs the kernel over
            // all the slivers.
            let counter = BlockCounter()
            runConcurrently(threads: threads) { t in
                let blockA = packedA[t].base
                while let block = counter.next(below: blocks) {
                    let blockPanels = share(block, of: panels, among: blocks)
                    let ic = blockPanels.lowerBound * tiling.mr
                    let mc = Swift.min(blockPanels.upperBound * tiling.mr, m) - ic
                    packBlockA(lhs, tiling: tiling, row: ic, height: mc, column: pc, depth: kc, into: blockA)
                    let tiles = (mc + tiling.mr - 1) / tiling.mr
                    // The next sliver's cache lines (8 entries each), asked into L2 a share by each
                    // tile of this one (no division per tile: a tile is some thousand cycles).
                    let sliverLines = tiling.sliverStride(kc) / 8
                    let linesPerTile = (sliverLines + tiles - 1) / tiles
                    for s in 0 ..< slivers {
                        let sliver = packedB.base + s * tiling.sliverStride(kc)
                        let width = Swift.min(tiling.nr, nc - s * tiling.nr)
                        let nextLines = s + 1 < slivers ? sliverLines : 0
                        for panel in 0 ..< tiles {
                            let i = ic + panel * tiling.mr
                            let tile = c + i * rowStride + (jc + s * tiling.nr) * columnStride
                            let height = Swift.min(tiling.mr, m - i)
                            let firstLine = Swift.min(panel * linesPerTile, nextLines)
                            prefetchTile(tile, height: height, width: width, rowStride: rowStride, columnStride: columnStride)
                            tiling.multiplyTile(kc, blockA + panel * tiling.panelStride(kc), sliver, tile,
                                                rowStride, columnStride, height, width, sliceBeta,
                                                sliver + tiling.sliverStride(kc) + firstLine * 8,
                                                Swift.min(linesPerTile, nextLines - firstLine))
                        }
                    }
                }
            }
        }
    }
}

/// The same product when op(A) has at most MC rows, so that all of it fits one packed block.
///
/// Each sliver of B then meets only the few panels of that block, and packing the whole KC x NC panel
/// of B first would write it out to L3 and read it back for little reuse. Instead each thread packs
/// its own slivers a group at a time (a group stays in L2) and uses them at once; the threads split
/// the slivers. Xᵀ dscores, computed as Cᵀ (10, 3,073) = dscoresᵀ X, runs this way.
///
/// Each thread walks the whole depth K by itself, packing its own copy of each KC-deep slice of A
/// (a few thousand entries, against hundreds of thousands of multiply-adds), so that the threads
/// meet once per product rather than once per slice: a convolution's dW = doutᵀ X_col has K =
/// 51,200 (200 slices), and a meeting per slice cost more than the second thread saved.
///
/// A deep product with few slivers is split along its depth instead (``depthSegments(slivers:slices:)``).
func shortProduct(_ lhs: Operand, _ rhs: Operand, m: Int, n: Int, k: Int, beta: Double,
                  c: UnsafeMutablePointer<Double>, rowStride: Int, columnStride: Int, threads requested: Int,
                  tiling: Tiling) {
    let slivers = (n + tiling.nr - 1) / tiling.nr
    let slices = (k + tiling.kc - 1) / tiling.kc
    let segments = depthSegments(slivers: slivers, slices: slices)
    let threads = threadCount(m: m, n: n, k: k, requested: requested, parts: segments > 1 ? segments : slivers)
    let kcMax = Swift.min(tiling.kc, k)
    let packedA = (0 ..< threads).map { _ in PackingBuffer(count: roundUp(m, tiling.mr) / tiling.mr * tiling.panelStride(kcMax)) }
    let packedB = (0 ..< threads).map { _ in PackingBuffer(count: tiling.sliverGroup * tiling.sliverStride(kcMax)) }
    defer {
        for buffer in packedA + packedB { buffer.deallocate() }
    }
    guard segments > 1 else {
        runConcurrently(threads: threads) { t in
            multiplySlivers(lhs, rhs, m: m, n: n, slivers: share(t, of: slivers, among: threads), depth: 0 ..< k,
                            beta: beta, c: c, rowStride: rowStride, columnStride: columnStride, tiling: tiling,
                            packedA: packedA[t].base, packedB: packedB[t].base)
        }
        return
    }
    // Each segment of consecutive slices is summed into its own (m, n) partial product, a thread taking
    // whole segments; the partials are then added in segment order, on one thread, into C.
    let partials = PackingBuffer(count: segments * m * n)
    defer { partials.deallocate() }
    runConcurrently(threads: threads) { t in
        for segment in share(t, of: segments, among: threads) {
            let part = share(segment, of: slices, among: segments)
            multiplySlivers(lhs, rhs, m: m, n: n, slivers: 0 ..< slivers,
                            depth: part.lowerBound * tiling.kc ..< Swift.min(part.upperBound * tiling.kc, k),
                            beta: 0, c: partials.base + segment * m * n, rowStride: n, columnStride: 1, tiling: tiling,
                            packedA: packedA[t].base, packedB: packedB[t].base)
        }
    }
    for i in 0 ..< m {
        for j in 0 ..< n {
            var sum = partials.base[i * n + j]
            for segment in 1 ..< segments { sum += partials.base[(segment * m + i) * n + j] }
            let entry = c + i * rowStride + j * columnStride
            entry.pointee = beta == 0 ? sum : multiplyAdd(sum, beta, entry.pointee)
        }
    }
}

/// Into how many parts ``shortProduct`` splits the depth: 4 when B has fewer than 16 slivers (under
/// 256 columns for the 12 x 16 kernel) and K at least 8 slices, 1 otherwise. An affine layer's x W
/// with x (50, 8,192) and W (8,192, 100) has 7 slivers of 16 columns, which two threads split 4 to 3,
/// each packing all of A; cut into four segments of the depth, each thread packs only its half of A
/// and does half the work. The count depends on the shape only, never on the threads, so that the
/// result is the same bit for bit on any number of them. (Two threads did that product in 1.7-1.9 ms
/// with the slivers split and in 1.2-1.5 ms in four segments, interleaved in one process; one thread
/// takes about 2.4 ms either way.)
func depthSegments(slivers: Int, slices: Int) -> Int {
    slivers < 16 && slices >= 8 ? 4 : 1
}

/// C[:, slivers] (+)= op(A)[:, depth] op(B)[depth, slivers] for the slivers (NR columns each) and the
/// depth given: each KC-deep slice of A is packed whole into `packedA`, the slivers a group at a time
/// into `packedB`, and each tile's kernel runs at once. The first slice applies `beta`, the others add.
private func multiplySlivers(_ lhs: Operand, _ rhs: Operand, m: Int, n: Int, slivers part: Range<Int>, depth: Range<Int>,
                             beta: Double, c: UnsafeMutablePointer<Double>, rowStride: Int, columnStride: Int, tiling: Tiling,
                             packedA: UnsafeMutablePointer<Double>, packedB: UnsafeMutablePointer<Double>) {
    guard !part.isEmpty else { return }
    let group = tiling.sliverGroup
    for pc in stride(from: depth.lowerBound, to: depth.upperBound, by: tiling.kc) {
        let kc = Swift.min(tiling.kc, depth.upperBound - pc)
        let sliceBeta = pc == depth.lowerBound ? beta : 1
        packBlockA(lhs, tiling: tiling, row: 0, height: m, column: pc, depth: kc, into: packedA)
        for first in stride(from: part.lowerBound, to: part.upperBound, by: group) {
            let last = Swift.min(first + group, part.upperBound)
            let j0 = first * tiling.nr
            packPanelB(rhs, tiling: tiling, row: pc, depth: kc, column: j0, width: Swift.min(last * tiling.nr, n) - j0,
                       into: packedB)
            for s in first ..< last {
                let sliver = packedB + (s - first) * tiling.sliverStride(kc)
                let j = s * tiling.nr
                for i in stride(from: 0, to: m, by: tiling.mr) {
                    let tile = c + i * rowStride + j * columnStride
                    let height = Swift.min(tiling.mr, m - i), width = Swift.min(tiling.nr, n - j)
                    prefetchTile(tile, height: height, width: width, rowStride: rowStride, columnStride: columnStride)
                    tiling.multiplyTile(kc, packedA + i / tiling.mr * tiling.panelStride(kc), sliver, tile,
                                        rowStride, columnStride, height, width, sliceBeta, sliver, 0)
                }
            }
        }
    }
}

// MARK: - Blocking and threads

/// Products with fewer multiply-adds per thread than this stay on fewer threads: waking a thread
/// costs some tens of microseconds, as long as about a million multiply-adds take.
let minimumWorkPerThread = 1 << 20

/// How many threads an (m, k) x (k, n) product is worth: at most `requested`, at most one per
/// `parts` (row panels or column slivers, whichever the threads split), and at least a million
/// multiply-adds each.
func threadCount(m: Int, n: Int, k: Int, requested: Int, parts: Int) -> Int {
    let work = Double(m) * Double(n) * Double(k)
    let affordable = Int(Swift.min(work / Double(minimumWorkPerThread), Double(requested)))
    return Swift.max(1, Swift.min(affordable, parts))
}

/// Runs `body(t)` for t in 0 ..< threads, concurrently when there is more than one.
func runConcurrently(threads: Int, _ body: (Int) -> Void) {
    Parallelism.concurrentPerform(iterations: threads, body)
}

/// Hands out 0, 1, 2, ... to the threads that ask, each number once: the row blocks of one slice.
final class BlockCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var taken = 0

    /// The next number below `count`, or nil once all are taken.
    func next(below count: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard taken < count else { return nil }
        taken += 1
        return taken - 1
    }
}

/// The t-th of `parts` nearly equal consecutive shares of 0 ..< count.
@inline(__always)
func share(_ t: Int, of count: Int, among parts: Int) -> Range<Int> {
    (t * count / parts) ..< ((t + 1) * count / parts)
}

/// Asks for the cache lines of a tile of C before its micro-kernel runs. The kernel reads and writes
/// C only after its whole depth, some thousands of cycles later, so the lines arrive in time; without
/// the hint, C's rows (each in a page of its own for a large product, more rows than the hardware
/// prefetchers follow) are fetched one miss after another at every KC slice. With it one thread did
/// 2,048^3 about 5 % faster with the 12 x 16 kernel, and n = 1,024 and 2,048 25-30 % faster with the
/// 6 x 8 one (37-38 GFLOP/s against 28-30, best of four runs, CPU time, load 2 to 4).
/// A row of the tile spans at most three cache lines (16 doubles, not necessarily aligned): its
/// first, ninth and last entries lie in all of them.
@inline(__always)
func prefetchTile(_ tile: UnsafeMutablePointer<Double>, height: Int, width: Int, rowStride: Int, columnStride: Int) {
    if columnStride == 1 {
        for r in 0 ..< height {
            let row = tile + r * rowStride
            workbook_prefetch(row)
            if width > 8 { workbook_prefetch(row + 8) }
            workbook_prefetch(row + width - 1)
        }
    } else if rowStride == 1 {
        // A tile written transposed (Cᵀ = op(B)ᵀ op(A)ᵀ): its columns are contiguous.
        for j in 0 ..< width {
            let column = tile + j * columnStride
            workbook_prefetch(column)
            if height > 8 { workbook_prefetch(column + 8) }
            workbook_prefetch(column + height - 1)
        }
    }
}

@inline(__always)
func roundUp(_ x: Int, _ multiple: Int) -> Int { (x + multiple - 1) / multiple * multiple }

/// A row-major operand and whether the product reads it transposed.
struct Operand {
    let base: UnsafePointer<Double>
    let stride: Int
    let transposed: Bool
}

/// Scratch memory for packed operands, aligned to a cache line.
struct PackingBuffer: @unchecked Sendable {
    let base: UnsafeMutablePointer<Double>

    init(count: Int) {
        base = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(count, 1) * MemoryLayout<Double>.stride, alignment: 64)
            .bindMemory(to: Double.self, capacity: Swift.max(count, 1))
    }

    func deallocate() { UnsafeMutableRawPointer(base).deallocate() }
}
