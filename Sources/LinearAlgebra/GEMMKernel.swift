/// The innermost parts of the matrix product: packing the operands and the register-tiled micro-kernel.
///
/// Packed layouts (MR = 6, NR = 8; see ``Blocking``):
/// - a panel of op(A), MR rows by KC columns, is stored column after column: entry (i, p) of the panel
///   at `p * MR + i`, so one step of p reads MR consecutive values;
/// - a sliver of op(B), KC rows by NR columns, is stored row after row: entry (p, j) at `p * NR + j`,
///   so one step of p reads two 4-lane vectors.
/// Rows of a panel past the edge of A, and columns of a sliver past the edge of B, are zeros.
///
/// Everything the micro-kernel and the packing call is in this file: debug builds (optimised, but
/// compiled file by file) inline only within a file, and a call per vector load costs a factor of 3.

/// Four lanes of doubles: one AVX2 register on x86-64 (Package.swift builds for Haswell and later),
/// two NEON registers on arm64.
typealias Lane = SIMD4<Double>

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
    /// Slivers of B packed together from the same rows: 16 x 16 KiB stays in L2, and each row of B
    /// is read in pieces of 16 cache lines.
    static let sliverGroup = 16
    /// Columns of a packed panel of B: KC x NC is 1 MiB. Panels of 8 MiB ran as fast on a quiet
    /// machine, but lost 10-20 % while another program streamed through the shared L3: one thread
    /// did 2,048^3 at 57 GFLOP/s with 1 MiB panels and 52 with 8 MiB, and the kNN product
    /// 500 x 3,072 x 5,000 (Bᵀ) at 54-60 against 46-50.
    static let nc = 512
}

/// Entries from one packed panel of A to the next, for panels `depth` deep.
@inline(__always)
func panelStride(_ depth: Int) -> Int { Blocking.mr * depth }

/// Entries from one packed sliver of B to the next, for slivers `depth` deep.
@inline(__always)
func sliverStride(_ depth: Int) -> Int { Blocking.nr * depth }

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
            a += Blocking.mr
            b += Blocking.nr
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
            a += Blocking.mr
            b += Blocking.nr
        }
    }
    if height == Blocking.mr && width == Blocking.nr && columnStride == 1 {
        storeRow(c00, c01, into: c, beta: beta)
        storeRow(c10, c11, into: c + rowStride, beta: beta)
        storeRow(c20, c21, into: c + 2 * rowStride, beta: beta)
        storeRow(c30, c31, into: c + 3 * rowStride, beta: beta)
        storeRow(c40, c41, into: c + 4 * rowStride, beta: beta)
        storeRow(c50, c51, into: c + 5 * rowStride, beta: beta)
        return
    }
    withUnsafeTemporaryAllocation(of: Double.self, capacity: Blocking.mr * Blocking.nr) { tile in
        let t = tile.baseAddress!
        for (r, row) in [(c00, c01), (c10, c11), (c20, c21), (c30, c31), (c40, c41), (c50, c51)].enumerated() {
            storeLane(row.0, t + r * Blocking.nr)
            storeLane(row.1, t + r * Blocking.nr + 4)
        }
        for i in 0 ..< height {
            let source = t + i * Blocking.nr, target = c + i * rowStride
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
/// MR-row panels, the last one zero-padded.
///
/// The source is read in its own memory order: row by row of A (six rows side by side, four columns at
/// a time turned with register transposes) when op(A) = A, and row by row of A across all panels at
/// once when op(A) = Aᵀ, whose rows run along the panels' height. Strided reads would cost a cache
/// line, and often a page, per entry.
@inline(__always)
func packBlockA(_ a: Operand, row: Int, height: Int, column: Int, depth: Int, into block: UnsafeMutablePointer<Double>) {
    let mr = Blocking.mr
    let fullPanels = height / mr, rest = height - fullPanels * mr
    if a.transposed {
        // op(A)(i, p) = A(p, i): row p of A holds entry p of every panel row.
        for p in 0 ..< depth {
            let source = a.base + (column + p) * a.stride + row
            for q in 0 ..< fullPanels {
                let from = source + q * mr, to = block + q * panelStride(depth) + p * mr
                storeLane(loadLane(from), to)
                to[4] = from[4]; to[5] = from[5]
            }
            if rest > 0 {
                let from = source + fullPanels * mr, to = block + fullPanels * panelStride(depth) + p * mr
                for i in 0 ..< rest { to[i] = from[i] }
                for i in rest ..< mr { to[i] = 0 }
            }
        }
        return
    }
    for q in 0 ..< fullPanels {
        let r0 = a.base + (row + q * mr) * a.stride + column
        let r1 = r0 + a.stride, r2 = r1 + a.stride, r3 = r2 + a.stride, r4 = r3 + a.stride, r5 = r4 + a.stride
        let panel = block + q * panelStride(depth)
        var p = 0
        while p + 4 <= depth {
            // Columns p ..< p + 4 of rows 0-3 turned into four 4-lane columns; rows 4 and 5 by hand.
            let (t0, t1, t2, t3) = transpose(loadLane(r0 + p), loadLane(r1 + p), loadLane(r2 + p), loadLane(r3 + p))
            let (u4, u5) = (loadLane(r4 + p), loadLane(r5 + p))
            let to = panel + p * mr
            storeLane(t0, to); to[4] = u4[0]; to[5] = u5[0]
            storeLane(t1, to + 6); to[10] = u4[1]; to[11] = u5[1]
            storeLane(t2, to + 12); to[16] = u4[2]; to[17] = u5[2]
            storeLane(t3, to + 18); to[22] = u4[3]; to[23] = u5[3]
            p += 4
        }
        while p < depth {
            let to = panel + p * mr
            to[0] = r0[p]; to[1] = r1[p]; to[2] = r2[p]; to[3] = r3[p]; to[4] = r4[p]; to[5] = r5[p]
            p += 1
        }
    }
    if rest > 0 {
        let panel = block + fullPanels * panelStride(depth)
        for i in 0 ..< mr {
            if i < rest {
                let source = a.base + (row + fullPanels * mr + i) * a.stride + column
                for p in 0 ..< depth { panel[p * mr + i] = source[p] }
            } else {
                for p in 0 ..< depth { panel[p * mr + i] = 0 }
            }
        }
    }
}

/// Packs rows `row ..< row + depth` and columns `column ..< column + width` of op(B) into consecutive
/// NR-column slivers, the last one zero-padded.
///
/// As for A, the source is read in its memory order: row by row of B across all slivers when
/// op(B) = B, and eight rows of B side by side (turned with register transposes) when op(B) = Bᵀ.
@inline(__always)
func packPanelB(_ b: Operand, row: Int, depth: Int, column: Int, width: Int, into panel: UnsafeMutablePointer<Double>) {
    let nr = Blocking.nr
    let fullSlivers = width / nr, rest = width - fullSlivers * nr
    if !b.transposed {
        // op(B)(p, j) = B(p, j): row p of B holds row p of every sliver. Slivers are filled a group
        // at a time, so that the rows are read in pieces of several cache lines while the writes
        // stay within a few cache-resident slivers (one row of B scattered over all of them would
        // touch a page per sliver).
        let group = Blocking.sliverGroup
        for first in stride(from: 0, to: fullSlivers, by: group) {
            let last = Swift.min(first + group, fullSlivers)
            for p in 0 ..< depth {
                let source = b.base + (row + p) * b.stride + column
                for s in first ..< last {
                    let from = source + s * nr, to = panel + s * sliverStride(depth) + p * nr
                    storeLane(loadLane(from), to)
                    storeLane(loadLane(from + 4), to + 4)
                }
            }
        }
        if rest > 0 {
            for p in 0 ..< depth {
                let source = b.base + (row + p) * b.stride + column
                let from = source + fullSlivers * nr, to = panel + fullSlivers * sliverStride(depth) + p * nr
                for j in 0 ..< rest { to[j] = from[j] }
                for j in rest ..< nr { to[j] = 0 }
            }
        }
        return
    }
    // op(B)(p, j) = B(j, p): each sliver reads eight rows of B, four columns at a time.
    for s in 0 ..< fullSlivers {
        let r0 = b.base + (column + s * nr) * b.stride + row
        let rows = (r0, r0 + b.stride, r0 + 2 * b.stride, r0 + 3 * b.stride,
                    r0 + 4 * b.stride, r0 + 5 * b.stride, r0 + 6 * b.stride, r0 + 7 * b.stride)
        let sliver = panel + s * sliverStride(depth)
        var p = 0
        while p + 4 <= depth {
            let (l0, l1, l2, l3) = transpose(loadLane(rows.0 + p), loadLane(rows.1 + p), loadLane(rows.2 + p), loadLane(rows.3 + p))
            let (h0, h1, h2, h3) = transpose(loadLane(rows.4 + p), loadLane(rows.5 + p), loadLane(rows.6 + p), loadLane(rows.7 + p))
            let to = sliver + p * nr
            storeLane(l0, to); storeLane(h0, to + 4)
            storeLane(l1, to + 8); storeLane(h1, to + 12)
            storeLane(l2, to + 16); storeLane(h2, to + 20)
            storeLane(l3, to + 24); storeLane(h3, to + 28)
            p += 4
        }
        while p < depth {
            let to = sliver + p * nr
            to[0] = rows.0[p]; to[1] = rows.1[p]; to[2] = rows.2[p]; to[3] = rows.3[p]
            to[4] = rows.4[p]; to[5] = rows.5[p]; to[6] = rows.6[p]; to[7] = rows.7[p]
            p += 1
        }
    }
    if rest > 0 {
        let sliver = panel + fullSlivers * sliverStride(depth)
        for j in 0 ..< nr {
            if j < rest {
                let source = b.base + (column + fullSlivers * nr + j) * b.stride + row
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
