/// The innermost parts of the matrix product: packing the operands and the register-tiled micro-kernel.
///
/// Packed layouts (MR = 6, NR = 8; see ``Blocking``):
/// - a panel of op(A), MR rows by KC columns, is stored column after column: entry (i, p) of the panel
///   at `p * MR + i`, so one step of p reads MR consecutive values;
/// - a sliver of op(B), KC rows by NR columns, is stored row after row: entry (p, j) at `p * NR + j`,
///   so one step of p reads two 4-lane vectors.
/// Rows of a panel past the edge of A, and columns of a sliver past the edge of B, are zeros.

/// Four lanes of doubles: one AVX2 register, or two NEON registers on arm64.
typealias Lane = SIMD4<Double>

// MARK: - Micro-kernel

/// C[0 ..< height, 0 ..< width] = panel x sliver + beta C, for one MR x NR tile of C.
///
/// The 6 x 8 products accumulate in twelve 4-lane registers over the whole depth, each step one fused
/// multiply-add per register: a broadcast entry of the A panel times a row of the B sliver.
///
/// - Parameters:
///   - depth: KC, the length of the sums.
///   - panel: packed MR x depth panel of op(A).
///   - sliver: packed depth x NR sliver of op(B).
///   - c: the tile's top-left entry in C, whose rows are `ldc` apart.
///   - height, width: the valid part of the tile, at most MR x NR; the rest is computed and dropped.
///   - beta: 0 stores the sums without reading C; otherwise C becomes sum + beta C.
@inline(__always)
func microKernel(depth: Int, panel: UnsafePointer<Double>, sliver: UnsafePointer<Double>,
                 c: UnsafeMutablePointer<Double>, ldc: Int, height: Int, width: Int, beta: Double) {
    var c00 = Lane(), c01 = Lane(), c10 = Lane(), c11 = Lane(), c20 = Lane(), c21 = Lane()
    var c30 = Lane(), c31 = Lane(), c40 = Lane(), c41 = Lane(), c50 = Lane(), c51 = Lane()
    var a = panel, b = sliver
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
    if height == Blocking.mr && width == Blocking.nr {
        storeRow(c00, c01, into: c, beta: beta)
        storeRow(c10, c11, into: c + ldc, beta: beta)
        storeRow(c20, c21, into: c + 2 * ldc, beta: beta)
        storeRow(c30, c31, into: c + 3 * ldc, beta: beta)
        storeRow(c40, c41, into: c + 4 * ldc, beta: beta)
        storeRow(c50, c51, into: c + 5 * ldc, beta: beta)
        return
    }
    withUnsafeTemporaryAllocation(of: Double.self, capacity: Blocking.mr * Blocking.nr) { tile in
        let t = tile.baseAddress!
        for (r, row) in [(c00, c01), (c10, c11), (c20, c21), (c30, c31), (c40, c41), (c50, c51)].enumerated() {
            storeLane(row.0, t + r * Blocking.nr)
            storeLane(row.1, t + r * Blocking.nr + 4)
        }
        for i in 0 ..< height {
            let source = t + i * Blocking.nr, target = c + i * ldc
            for j in 0 ..< width {
                target[j] = beta == 0 ? source[j] : multiplyAdd(source[j], beta, target[j])
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

/// Packs rows `row ..< row + height` and columns `column ..< column + depth` of op(A) into an MR-row
/// panel (zero rows below `height`).
@inline(__always)
func packPanel(_ a: Operand, row: Int, height: Int, column: Int, depth: Int, into panel: UnsafeMutablePointer<Double>) {
    let mr = Blocking.mr
    if a.transposed {
        // op(A)(i, p) = A(p, i): each step of p copies a contiguous piece of a row of A.
        for p in 0 ..< depth {
            let source = a.base + (column + p) * a.stride + row, target = panel + p * mr
            for i in 0 ..< height { target[i] = source[i] }
            for i in height ..< mr { target[i] = 0 }
        }
    } else if height == mr {
        // Six rows of A read side by side, one column of the panel per step.
        let r0 = a.base + row * a.stride + column
        let r1 = r0 + a.stride, r2 = r1 + a.stride, r3 = r2 + a.stride, r4 = r3 + a.stride, r5 = r4 + a.stride
        for p in 0 ..< depth {
            let target = panel + p * mr
            target[0] = r0[p]; target[1] = r1[p]; target[2] = r2[p]
            target[3] = r3[p]; target[4] = r4[p]; target[5] = r5[p]
        }
    } else {
        for i in 0 ..< mr {
            if i < height {
                let source = a.base + (row + i) * a.stride + column
                for p in 0 ..< depth { panel[p * mr + i] = source[p] }
            } else {
                for p in 0 ..< depth { panel[p * mr + i] = 0 }
            }
        }
    }
}

/// Packs rows `row ..< row + depth` and columns `column ..< column + width` of op(B) into an NR-column
/// sliver (zero columns right of `width`).
@inline(__always)
func packSliver(_ b: Operand, row: Int, depth: Int, column: Int, width: Int, into sliver: UnsafeMutablePointer<Double>) {
    let nr = Blocking.nr
    if !b.transposed {
        // op(B)(p, j) = B(p, j): each step of p copies a contiguous piece of a row of B.
        for p in 0 ..< depth {
            let source = b.base + (row + p) * b.stride + column, target = sliver + p * nr
            if width == nr {
                storeLane(loadLane(source), target)
                storeLane(loadLane(source + 4), target + 4)
            } else {
                for j in 0 ..< width { target[j] = source[j] }
                for j in width ..< nr { target[j] = 0 }
            }
        }
    } else {
        // op(B)(p, j) = B(j, p): NR rows of B read side by side, one row of the sliver per step.
        for j in 0 ..< nr {
            if j < width {
                let source = b.base + (column + j) * b.stride + row
                for p in 0 ..< depth { sliver[p * nr + j] = source[p] }
            } else {
                for p in 0 ..< depth { sliver[p * nr + j] = 0 }
            }
        }
    }
}

// MARK: - Vector helpers

@inline(__always)
func loadLane(_ p: UnsafePointer<Double>) -> Lane { UnsafeRawPointer(p).loadUnaligned(as: Lane.self) }

@inline(__always)
func loadLane(_ p: UnsafeMutablePointer<Double>) -> Lane { UnsafeRawPointer(p).loadUnaligned(as: Lane.self) }

@inline(__always)
func storeLane(_ v: Lane, _ p: UnsafeMutablePointer<Double>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lane.self) }

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
