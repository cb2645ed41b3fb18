import Dispatch

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
///
/// Threads split the rows of C (each packs its own A block and shares the packed B) or, for short and
/// wide products, the slivers of B. Each entry of C is summed by one thread in the same order in every
/// case, so the result is the same bit for bit whatever ``Parallelism/threadCount`` is.
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
          threads: Int = Parallelism.threadCount) {
    guard m > 0 && n > 0, let c else { return }
    guard k > 0, let a, let b else {
        for i in 0 ..< m {
            let row = c + i * ldc
            for j in 0 ..< n { row[j] = beta == 0 ? 0 : beta * row[j] }
        }
        return
    }
    let lhs = Operand(base: a, stride: lda, transposed: transposeA)
    let rhs = Operand(base: b, stride: ldb, transposed: transposeB)
    let split = WorkSplit(m: m, n: n, k: k, threads: threads)
    let kcMax = Swift.min(Blocking.kc, k)
    let ncMax = Swift.min(Blocking.nc, n)
    let mcMax = Swift.min(Blocking.mc, m)
    let packedB = PackingBuffer(count: kcMax * roundUp(ncMax, Blocking.nr))
    let packedA = (0 ..< split.threads).map { _ in PackingBuffer(count: kcMax * roundUp(mcMax, Blocking.mr)) }
    defer {
        packedB.deallocate()
        for buffer in packedA { buffer.deallocate() }
    }

    for jc in stride(from: 0, to: n, by: Blocking.nc) {
        let nc = Swift.min(Blocking.nc, n - jc)
        let slivers = (nc + Blocking.nr - 1) / Blocking.nr
        for pc in stride(from: 0, to: k, by: Blocking.kc) {
            let kc = Swift.min(Blocking.kc, k - pc)
            let sliceBeta = pc == 0 ? beta : 1
            split.run { t in
                let part = share(t, of: slivers, among: split.threads)
                guard !part.isEmpty else { return }
                let first = part.lowerBound * Blocking.nr
                packPanelB(rhs, row: pc, depth: kc, column: jc + first,
                           width: Swift.min(part.upperBound * Blocking.nr, nc) - first,
                           into: packedB.base + first * kc)
            }
            split.run { t in
                let rowRange: Range<Int>, sliverRange: Range<Int>
                if split.byRows {
                    let panels = share(t, of: (m + Blocking.mr - 1) / Blocking.mr, among: split.threads)
                    rowRange = panels.lowerBound * Blocking.mr ..< Swift.min(panels.upperBound * Blocking.mr, m)
                    sliverRange = 0 ..< slivers
                } else {
                    rowRange = 0 ..< m
                    sliverRange = share(t, of: slivers, among: split.threads)
                }
                guard !rowRange.isEmpty && !sliverRange.isEmpty else { return }
                let blockA = packedA[t].base
                for ic in stride(from: rowRange.lowerBound, to: rowRange.upperBound, by: Blocking.mc) {
                    let mc = Swift.min(Blocking.mc, rowRange.upperBound - ic)
                    packBlockA(lhs, row: ic, height: mc, column: pc, depth: kc, into: blockA)
                    for s in sliverRange {
                        let sliver = packedB.base + s * Blocking.nr * kc
                        let width = Swift.min(Blocking.nr, nc - s * Blocking.nr)
                        for panel in 0 ..< (mc + Blocking.mr - 1) / Blocking.mr {
                            let i = ic + panel * Blocking.mr
                            microKernel(depth: kc, panel: blockA + panel * Blocking.mr * kc, sliver: sliver,
                                        c: c + i * ldc + jc + s * Blocking.nr, ldc: ldc,
                                        height: Swift.min(Blocking.mr, m - i), width: width, beta: sliceBeta)
                        }
                    }
                }
            }
        }
    }
}

// MARK: - Blocking and threads

/// Tile and block sizes, chosen for AVX2 (16 vector registers of 4 doubles) and measured on the
/// reference machine (48 KiB L1d and 1 MiB L2 per core, 32 MiB shared L3).
enum Blocking {
    /// Rows of the micro-tile: 6 x 8 accumulators are 12 registers of 4 lanes, leaving 4 for one
    /// row of B (2 registers) and a broadcast entry of A.
    static let mr = 6
    /// Columns of the micro-tile: two 4-lane vectors.
    static let nr = 8
    /// Depth of a packed slice: a KC x NR sliver of B (16 KiB) stays in L1 while the panels of A stream by.
    static let kc = 256
    /// Rows of a packed block of A: MC x KC (240 KiB) stays in L2.
    static let mc = 120
    /// Columns of a packed panel of B: KC x NC (8 MiB) stays in L3.
    static let nc = 4096
}

/// How a product is shared among threads: how many, and whether they split the rows of C or the
/// slivers of B.
struct WorkSplit {
    /// Products with fewer multiply-adds than this stay on one thread: waking a second thread costs
    /// some tens of microseconds, as long as about a million multiply-adds take.
    static let minimumWorkPerThread = 1 << 20

    let threads: Int
    let byRows: Bool

    init(m: Int, n: Int, k: Int, threads requested: Int) {
        let panels = (m + Blocking.mr - 1) / Blocking.mr
        let slivers = (Swift.min(n, Blocking.nc) + Blocking.nr - 1) / Blocking.nr
        let work = Double(m) * Double(n) * Double(k)
        let affordable = Int(Swift.min(work / Double(WorkSplit.minimumWorkPerThread), Double(requested)))
        byRows = panels >= 2 * slivers || panels >= 4 * Swift.max(affordable, 1)
        threads = Swift.max(1, Swift.min(affordable, byRows ? panels : slivers))
    }

    /// Runs `body(t)` for t in 0 ..< threads, concurrently when there is more than one.
    func run(_ body: (Int) -> Void) {
        if threads == 1 {
            body(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: threads, execute: body)
        }
    }
}

/// The t-th of `parts` nearly equal consecutive shares of 0 ..< count.
@inline(__always)
func share(_ t: Int, of count: Int, among parts: Int) -> Range<Int> {
    (t * count / parts) ..< ((t + 1) * count / parts)
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
