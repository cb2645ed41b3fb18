#if arch(x86_64)
import LinearAlgebraAVX512
#endif

/// The innermost parts of the matrix product: packing the operands and the register-tiled micro-kernel.
///
/// Packed layouts (MR x NR is the kernel's tile, 6 x 8 here and 12 x 16 for AVX-512; see ``Tiling``):
/// - a panel of op(A), MR rows by KC columns, is stored column after column: entry (i, p) of the panel
///   at `p * MR + i`, so one step of p reads MR consecutive values;
/// - a sliver of op(B), KC rows by NR columns, is stored row after row: entry (p, j) at `p * NR + j`,
///   so one step of p reads one row of the sliver.
/// Rows of a panel past the edge of A, and columns of a sliver past the edge of B, are zeros.
///
/// Everything the micro-kernel and the packing call is in this file: debug builds (optimised, but
/// compiled file by file) inline only within a file, and a call per vector load costs a factor of 3.

/// Four lanes of doubles: one AVX2 register on x86-64 (Package.swift builds for Haswell and later),
/// two NEON registers on arm64.
typealias Lane = SIMD4<Double>

/// A micro-kernel with its tile (MR x NR) and the block sizes measured for it. Two exist:
/// ``fourLane``, the 6 x 8 kernel below (AVX2 on x86-64, NEON on arm64), and on x86-64 ``eightLane``,
/// the 12 x 16 AVX-512 kernel of the LinearAlgebraAVX512 module; ``SIMDKernel`` chooses between them.
/// The packing and the loops around the kernel (GEMM.swift) read the sizes from here.
struct Tiling: Sendable {
    /// Rows and columns of the micro-tile.
    let mr: Int, nr: Int
    /// Depth of a packed slice: a KC x NR sliver of B stays in L1 while the panels of A stream by.
    let kc: Int
    /// Rows of a packed block of A: MC x KC stays in L2.
    let mc: Int
    /// Columns of a packed panel of B (KC x NC stays in L3).
    let nc: Int
    /// Slivers of B packed together from the same rows: they stay in L2, and each row of B is read in
    /// pieces of several cache lines.
    let sliverGroup: Int
    /// On more than one thread, how many pieces each row block of ``mc`` rows is cut into: the threads
    /// meet at the end of every slice, and smaller blocks leave less work on the slower thread then
    /// (this machine's cores often run at different speeds at the same moment).
    let threadedBlockSplit: Int
    /// C[0 ..< height, 0 ..< width] = panel x sliver + beta C for one MR x NR tile; the parameters
    /// of ``microKernel(depth:panel:sliver:c:rowStride:columnStride:height:width:beta:)``, then the
    /// lines the caller will read next (`next`, `nextLines` lines of 8 entries), which the AVX-512
    /// kernel asks into L2 while it runs and the 6 x 8 kernel ignores.
    let multiplyTile: @Sendable (_ depth: Int, _ panel: UnsafePointer<Double>, _ sliver: UnsafePointer<Double>,
                                 _ c: UnsafeMutablePointer<Double>, _ rowStride: Int, _ columnStride: Int,
                                 _ height: Int, _ width: Int, _ beta: Double,
                                 _ next: UnsafePointer<Double>, _ nextLines: Int) -> Void

    /// Entries from one packed panel of A to the next, for panels `depth` deep.
    @inline(__always)
    func panelStride(_ depth: Int) -> Int { mr * depth }

    /// Entries from one packed sliver of B to the next, for slivers `depth` deep.
    @inline(__always)
    func sliverStride(_ depth: Int) -> Int { nr * depth }

    /// The 6 x 8 kernel of this file, for AVX2 (16 vector registers of 4 doubles); block sizes measured
    /// on the reference machine (48 KiB L1d and 1 MiB L2 per core, 32 MiB shared L3):
    /// - 6 x 8 accumulators are 12 registers of 4 lanes, leaving 4 for one row of B (2 registers) and
    ///   a broadcast entry of A;
    /// - KC = 256: a sliver is 16 KiB; MC = 120: a block of A is 240 KiB;
    /// - 16 slivers in a group are 256 KiB;
    /// - NC = 512 (a panel of B is 1 MiB). Panels of 8 MiB ran as fast on a quiet machine, but lost
    ///   10-20 % while another program streamed through the shared L3: one thread did 2,048^3 at 57
    ///   GFLOP/s with 1 MiB panels and 52 with 8 MiB, and the kNN product 500 x 3,072 x 5,000 (Bᵀ) at
    ///   54-60 against 46-50.
    static let fourLane = Tiling(mr: 6, nr: 8, kc: 256, mc: 120, nc: 512, sliverGroup: 16, threadedBlockSplit: 1) { depth, panel, sliver, c, rowStride, columnStride, height, width, beta, _, _ in
        microKernel(depth: depth, panel: panel, sliver: sliver, c: c, rowStride: rowStride, columnStride: columnStride,
                    height: height, width: width, beta: beta)
    }

    #if arch(x86_64)
    /// The 12 x 16 AVX-512 kernel (LinearAlgebraAVX512): 24 of the 32 registers of 8 lanes accumulate,
    /// two hold a row of B, and A's entries are broadcast from memory (a step is 2 loads of B, 12
    /// broadcasts, 4 prefetch hints and 24 multiply-adds). The kernel alone, on data in L1 and L2,
    /// runs at 75-81 GFLOP/s on one core of the machine below; whole products reach 60-78, the rest
    /// going to packing, to C and to waiting on memory, which is what the kernel's prefetch hints
    /// (MicroKernel12x16.swift) are for.
    /// Block sizes measured on a CPU with 48 KiB L1d and 2 MiB L2 per core (Sapphire Rapids class),
    /// one thread, n = 512 and 2,048, on a loaded machine (CPU time, not wall time): KC = 384 (a sliver
    /// is 48 KiB, a panel of A 36 KiB) did 58-62 GFLOP/s against 47-61 with KC = 256 and 40-60 with
    /// KC = 192; MC = 240 and NC = 1,024 or 2,048 were no faster than MC = 120 and NC = 512, so those
    /// are kept as for AVX2. Timed against NumPy in the same runs (n = 1,024 and 2,048, ratios numpy /
    /// Swift), MC = 240 with NC = 3,072 gave 0.55-0.80 where MC = 120 with NC = 512 gave 0.75-1.02. A group of 8 slivers of
    /// 16 columns is as much as 16 of 8. (TBLIS's configuration for Skylake-X uses the same 12 x 16
    /// tile for doubles, with KC 384, MC 240 and NC 3,072.)
    /// Since the kernel asks for the next sliver of B while it works on one (MicroKernel12x16.swift), a
    /// panel of B no longer has to stay in L2, and NC = 1,024 (a 3 MiB panel) is 2-6 % faster than 512
    /// at n = 1,024 and 2,048 and on the kNN product, on one thread and two (8-10 alternating rounds in
    /// one process); 2,048 gained no more (1-2 %), and MC = 192 (OpenBLAS's Skylake-X block) was 1-8 %
    /// slower at n = 2,048 and on kNN. On two threads, blocks of half of MC (`threadedBlockSplit` 2)
    /// were 1-5 % faster at n = 512 to 2,048 and 7-13 % on the kNN product (the AVX2 kernel keeps
    /// whole blocks: it gained 4 % on kNN and lost 1 % at n = 512, and before had lost 5 %).
    /// Only called once ``SIMDKernel`` has seen AVX-512 in the CPU and the operating system.
    static let eightLane = Tiling(mr: 12, nr: 16, kc: 384, mc: 120, nc: 1024, sliverGroup: 8, threadedBlockSplit: 2) {
        multiplyTile12x16(depth: $0, panel: $1, sliver: $2, c: $3, rowStride: $4, columnStride: $5, height: $6, width: $7, beta: $8,
                          next: $9, nextLines: $10)
    }
    #endif
}

// MARK: - Micro-kernel

/// C[0 ..< height, 0 ..< width] = panel x sliver + beta C, for one MR x NR tile of C.
///
/// The 6 x 8 products accumulate in twelve 4-lane registers over the whole depth, each step one fused
/// multiply-add per register: a broadcast entry of the A panel times a row of the B sliver. A tile at
/// most 4 wide (the last tile of a product with N = 10 classes, say) uses only the left half of the
/// sliver and six registers, so it does half the work.
///
/// - Parameters:
///   - depth: KC, the length of the sums.
///   - panel: packed MR x depth panel of op(A).
///   - sliver: packed depth x NR sliver of op(B).
///   - c: the tile's top-left entry in C, whose rows are `rowStride` apart and columns `columnStride`
///     (1 for a row-major C; a product computed as Cᵀ = op(B)ᵀ op(A)ᵀ writes its tiles transposed).
///   - height, width: the valid part of the tile, at most MR x NR; the rest is computed and dropped.
///   - beta: 0 stores the sums without reading C; otherwise C becomes sum + beta C.
@inline(__always)
func microKernel(depth: Int, panel: UnsafePointer<Double>, sliver: UnsafePointer<Double>,
                 c: UnsafeMutablePointer<Double>, rowStride: Int, columnStride: Int,
                 height: Int, width: Int, beta: Double) {
    var c00 = Lane(), c01 = Lane(), c10 = Lane(), c11 = Lane(), c20 = Lane(), c21 = Lane()
    var c30 = Lane(), c31 = Lane(), c40 = Lane(), c41 = Lane(), c50 = Lane(), c51 = Lane()
    var a = panel, b = sliver
    if width > 4 {
        for _ in 0 ..< depth {
            let b0 = loadLane(b), b1 = loadLane(b + 4)
            var x = Lane(repeating: a[0])
            c00 = multiplyAdd(c00, x, b0); c01 = multiplyAdd(c01, x, b1)
            x = Lane(repeating: a[1])
            c10 = multiplyAdd(c10, x, b0); c11 = multiplyAdd(c11, x, b1)
            x = Lane(repeating: a[2])
            c20 = multiplyAdd(c20, x, b0); c21 = multiplyAdd(c21, x, b1)
            x = Lane(repeating: a[3])
            c30 = multiplyAdd(c30, x, b0); c31 = multiplyAdd(c31, x, b1)
            x = Lane(repeating: a[4])
            c40 = multiplyAdd(c40, x, b0); c41 = multiplyAdd(c41, x, b1)
            x = Lane(repeating: a[5])
            c50 = multiplyAdd(c50, x, b0); c51 = multiplyAdd(c51, x, b1)
            a += 6
            b += 8
        }
    } else {
        for _ in 0 ..< depth {
            let b0 = loadLane(b)
            c00 = multiplyAdd(c00, Lane(repeating: a[0]), b0)
            c10 = multiplyAdd(c10, Lane(repeating: a[1]), b0)
            c20 = multiplyAdd(c20, Lane(repeating: a[2]), b0)
            c30 = multiplyAdd(c30, Lane(repeating: a[3]), b0)
            c40 = multiplyAdd(c40, Lane(repeating: a[4]), b0)
            c50 = multiplyAdd(c50, Lane(repeating: a[5]), b0)
            a += 6
            b += 8
        }
    }
    if height == 6 && width == 8 && columnStride == 1 {
        storeRow(c00, c01, into: c, beta: beta)
        storeRow(c10, c11, into: c + rowStride, beta: beta)
        storeRow(c20, c21, into: c + 2 * rowStride, beta: beta)
        storeRow(c30, c31, into: c + 3 * rowStride, beta: beta)
        storeRow(c40, c41, into: c + 4 * rowStride, beta: beta)
        storeRow(c50, c51, into: c + 5 * rowStride, beta: beta)
        return
    }
    withUnsafeTemporaryAllocation(of: Double.self, capacity: 6 * 8) { tile in
        let t = tile.baseAddress!
        for (r, row) in [(c00, c01), (c10, c11), (c20, c21), (c30, c31), (c40, c41), (c50, c51)].enumerated() {
            storeLane(row.0, t + r * 8)
            storeLane(row.1, t + r * 8 + 4)
        }
        for i in 0 ..< height {
            let source = t + i * 8, target = c + i * rowStride
            for j in 0 ..< width {
                let entry = target + j * columnStride
                entry.pointee = beta == 0 ? source[j] : multiplyAdd(source[j], beta, entry.pointee)
            }
        }
    }
}

/// One row of a full tile: C[0 ..< 8] = (low, high) + beta C[0 ..< 8].
@inline(__always)
func storeRow(_ low: Lane, _ high: Lane, into c: UnsafeMutablePointer<Double>, beta: Double) {
    if beta == 0 {
        storeLane(low, c)
        storeLane(high, c + 4)
    } else {
        let scale = Lane(repeating: beta)
        storeLane(multiplyAdd(low, scale, loadLane(c)), c)
        storeLane(multiplyAdd(high, scale, loadLane(c + 4)), c + 4)
    }
}

// MARK: - Packing

/// Packs rows `row ..< row + height` and columns `column ..< column + depth` of op(A) into consecutive
/// MR-row panels (MR = `tiling.mr`), the last one zero-padded.
///
/// The source is read in its own memory order: row by row of A (MR rows side by side, four columns at
/// a time, four rows at a time turned with register transposes) when op(A) = A, and row by row of A
/// across all panels at once when op(A) = Aᵀ, whose rows run along the panels' height. Strided reads
/// would cost a cache line, and often a page, per entry.
@inline(__always)
func packBlockA(_ a: Operand, tiling: Tiling, row: Int, height: Int, column: Int, depth: Int, into block: UnsafeMutablePointer<Double>) {
    // The kernels' tile heights as constants, so that each copy is unrolled for its own.
    switch tiling.mr {
    case 6: packBlockA(a, mr: 6, row: row, height: height, column: column, depth: depth, into: block)
    case 12: packBlockA(a, mr: 12, row: row, height: height, column: column, depth: depth, into: block)
    default: packBlockA(a, mr: tiling.mr, row: row, height: height, column: column, depth: depth, into: block)
    }
}

@inline(__always)
private func packBlockA(_ a: Operand, mr: Int, row: Int, height: Int, column: Int, depth: Int, into block: UnsafeMutablePointer<Double>) {
    let fullPanels = height / mr, rest = height - fullPanels * mr
    let panelStride = mr * depth
    if a.transposed {
        // op(A)(i, p) = A(p, i): row p of A holds entry p of every panel row.
        for p in 0 ..< depth {
            let source = a.base + (column + p) * a.stride + row
            for q in 0 ..< fullPanels {
                let from = source + q * mr, to = block + q * panelStride + p * mr
                var i = 0
                while i + 4 <= mr { storeLane(loadLane(from + i), to + i); i += 4 }
                while i < mr { to[i] = from[i]; i += 1 }
            }
            if rest > 0 {
                let from = source + fullPanels * mr, to = block + fullPanels * panelStride + p * mr
                for i in 0 ..< rest { to[i] = from[i] }
                for i in rest ..< mr { to[i] = 0 }
            }
        }
        return
    }
    let stride = a.stride
    for q in 0 ..< fullPanels {
        let first = a.base + (row + q * mr) * stride + column
        let panel = block + q * panelStride
        var p = 0
        while p + 4 <= depth {
            // Columns p ..< p + 4: each four rows turned into four 4-lane columns, the rows left over
            // (two of the 6-row panel) by hand.
            let to = panel + p * mr
            var i = 0
            while i + 4 <= mr {
                let r = first + i * stride + p
                let (t0, t1, t2, t3) = transpose(loadLane(r), loadLane(r + stride), loadLane(r + 2 * stride), loadLane(r + 3 * stride))
                storeLane(t0, to + i); storeLane(t1, to + mr + i); storeLane(t2, to + 2 * mr + i); storeLane(t3, to + 3 * mr + i)
                i += 4
            }
            while i < mr {
                let u = loadLane(first + i * stride + p)
                to[i] = u[0]; to[mr + i] = u[1]; to[2 * mr + i] = u[2]; to[3 * mr + i] = u[3]
                i += 1
            }
            p += 4
        }
        while p < depth {
            let to = panel + p * mr
            for i in 0 ..< mr { to[i] = first[i * stride + p] }
            p += 1
        }
    }
    if rest > 0 {
        let panel = block + fullPanels * panelStride
        for i in 0 ..< mr {
            if i < rest {
                let source = a.base + (row + fullPanels * mr + i) * stride + column
                for p in 0 ..< depth { panel[p * mr + i] = source[p] }
            } else {
                for p in 0 ..< depth { panel[p * mr + i] = 0 }
            }
        }
    }
}

/// Packs rows `row ..< row + depth` and columns `column ..< column + width` of op(B) into consecutive
/// NR-column slivers (NR = `tiling.nr`, a multiple of 4), the last one zero-padded.
///
/// As for A, the source is read in its memory order: row by row of B across all slivers when
/// op(B) = B, and NR rows of B side by side (four at a time turned with register transposes) when
/// op(B) = Bᵀ.
@inline(__always)
func packPanelB(_ b: Operand, tiling: Tiling, row: Int, depth: Int, column: Int, width: Int, into panel: UnsafeMutablePointer<Double>) {
    switch tiling.nr {
    case 8: packPanelB(b, nr: 8, group: tiling.sliverGroup, row: row, depth: depth, column: column, width: width, into: panel)
    case 16: packPanelB(b, nr: 16, group: tiling.sliverGroup, row: row, depth: depth, column: column, width: width, into: panel)
    default: packPanelB(b, nr: tiling.nr, group: tiling.sliverGroup, row: row, depth: depth, column: column, width: width, into: panel)
    }
}

@inline(__always)
private func packPanelB(_ b: Operand, nr: Int, group: Int, row: Int, depth: Int, column: Int, width: Int,
                        into panel: UnsafeMutablePointer<Double>) {
    let fullSlivers = width / nr, rest = width - fullSlivers * nr
    let sliverStride = nr * depth
    if !b.transposed {
        // op(B)(p, j) = B(p, j): row p of B holds row p of every sliver. Slivers are filled a group
        // at a time, so that the rows are read in pieces of several cache lines while the writes
        // stay within a few cache-resident slivers (one row of B scattered over all of them would
        // touch a page per sliver).
        for first in stride(from: 0, to: fullSlivers, by: group) {
            let last = Swift.min(first + group, fullSlivers)
            for p in 0 ..< depth {
                let source = b.base + (row + p) * b.stride + column
                for s in first ..< last {
                    let from = source + s * nr, to = panel + s * sliverStride + p * nr
                    for j in Swift.stride(from: 0, to: nr, by: 4) { storeLane(loadLane(from + j), to + j) }
                }
            }
        }
        if rest > 0 {
            for p in 0 ..< depth {
                let source = b.base + (row + p) * b.stride + column
                let from = source + fullSlivers * nr, to = panel + fullSlivers * sliverStride + p * nr
                for j in 0 ..< rest { to[j] = from[j] }
                for j in rest ..< nr { to[j] = 0 }
            }
        }
        return
    }
    // op(B)(p, j) = B(j, p): each sliver reads NR rows of B, four columns at a time.
    let stride = b.stride
    for s in 0 ..< fullSlivers {
        let first = b.base + (column + s * nr) * stride + row
        let sliver = panel + s * sliverStride
        var p = 0
        while p + 4 <= depth {
            let to = sliver + p * nr
            for j in Swift.stride(from: 0, to: nr, by: 4) {
                let r = first + j * stride + p
                let (t0, t1, t2, t3) = transpose(loadLane(r), loadLane(r + stride), loadLane(r + 2 * stride), loadLane(r + 3 * stride))
                storeLane(t0, to + j); storeLane(t1, to + nr + j); storeLane(t2, to + 2 * nr + j); storeLane(t3, to + 3 * nr + j)
            }
            p += 4
        }
        while p < depth {
            let to = sliver + p * nr
            for j in 0 ..< nr { to[j] = first[j * stride + p] }
            p += 1
        }
    }
    if rest > 0 {
        let sliver = panel + fullSlivers * sliverStride
        for j in 0 ..< nr {
            if j < rest {
                let source = b.base + (column + fullSlivers * nr + j) * stride + row
                for p in 0 ..< depth { sliver[p * nr + j] = source[p] }
            } else {
                for p in 0 ..< depth { sliver[p * nr + j] = 0 }
            }
        }
    }
}

/// The 4 x 4 transpose of the rows (x, y, z, w): lane i of result r is lane r of row i.
@inline(__always)
func transpose(_ x: Lane, _ y: Lane, _ z: Lane, _ w: Lane) -> (Lane, Lane, Lane, Lane) {
    (Lane(x[0], y[0], z[0], w[0]), Lane(x[1], y[1], z[1], w[1]),
     Lane(x[2], y[2], z[2], w[2]), Lane(x[3], y[3], z[3], w[3]))
}

// MARK: - Vector helpers

@inline(__always)
private func loadLane(_ p: UnsafePointer<Double>) -> Lane { UnsafeRawPointer(p).loadUnaligned(as: Lane.self) }

@inline(__always)
private func loadLane(_ p: UnsafeMutablePointer<Double>) -> Lane { UnsafeRawPointer(p).loadUnaligned(as: Lane.self) }

@inline(__always)
private func storeLane(_ v: Lane, _ p: UnsafeMutablePointer<Double>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lane.self) }

/// acc + x y, fused (one rounding) where the hardware has FMA: x86-64 built for Haswell or later
/// (Package.swift sets `-target-cpu haswell`), and every arm64. Elsewhere the plain expression, since
/// a fused multiply-add without hardware support is a slow library call per lane.
@inline(__always)
func multiplyAdd(_ acc: Lane, _ x: Lane, _ y: Lane) -> Lane {
    #if arch(x86_64) || arch(arm64)
    return acc.addingProduct(x, y)
    #else
    return acc + x * y
    #endif
}

/// Scalar twin of the vector `multiplyAdd`, so that edge tiles round exactly like full ones.
@inline(__always)
func multiplyAdd(_ acc: Double, _ x: Double, _ y: Double) -> Double {
    #if arch(x86_64) || arch(arm64)
    return acc.addingProduct(x, y)
    #else
    return acc + x * y
    #endif
}
