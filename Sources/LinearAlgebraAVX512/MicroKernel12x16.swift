/// The AVX-512 micro-kernel of the matrix product, in a module of its own because it is compiled for
/// AVX-512 (`-target-cpu skylake-avx512`, Package.swift) while the rest of the package is compiled for
/// AVX2. LinearAlgebra calls it only after `workbook_cpu_supports_avx512()` (the CPUFeatures target)
/// has said yes, so that the same binary still runs on a CPU without AVX-512.
///
/// Nothing here may run before that check, so the module holds only its kernel functions (this one, and
/// the direct convolution's two in DirectConvolution.swift) and no global state:
/// every helper is inlined into it (no out-of-line copies of generic library code that the linker could
/// share with the AVX2 code), and it is `@inline(never)`, so that its body is never copied into a
/// caller compiled for AVX2.
///
/// The packed layouts are LinearAlgebra's (Sources/LinearAlgebra/GEMMKernel.swift) with MR = 12 and
/// NR = 16: a panel of op(A) holds entry (i, p) at `p * 12 + i`, a sliver of op(B) holds (p, j) at
/// `p * 16 + j`; rows and columns past the edges of A and B are zeros.
///
/// Prefetch hints: the kernel asks for what it will read a few steps ahead, and for the next sliver
/// while it works on this one (below). The hints are CPUFeatures' `static inline` C functions
/// (this target depends on CPUFeatures in Package.swift), compiled into this module with its flags.
#if arch(x86_64)
import CPUFeatures

/// Eight lanes of doubles: one AVX-512 register.
typealias Lane = SIMD8<Double>

/// How many steps of the depth ahead the kernel asks for the lines of the panel and the sliver it
/// will read (8 steps, some 100 cycles: 768 bytes of the panel, 1 KiB of the sliver). A 384-deep
/// sliver (48 KiB) and the panels streaming past it (36 KiB each) do not fit in L1 (48 KiB) together,
/// so both are fetched again from L2 as they are used, and the hardware prefetchers alone left the
/// multiply-adds waiting: the hints made whole products 4-8 % faster at n = 1,024 and 2,048 on one and
/// two threads, and up to 24 % in minutes when the machine's memory was slow (one process timing both
/// builds in turn, 8 rounds each). 4, 8 or 16 steps ahead gave the same within 1-2 %.
private let prefetchSteps = 8

/// C[0 ..< height, 0 ..< width] = panel x sliver + beta C, for one 12 x 16 tile of C.
///
/// (Accumulator `c<r><h>` holds row r, left half h = 0 or right half h = 1.) The 12 x 16 products accumulate in 24 of the 32 vector registers over the whole depth; each step
/// loads one row of the sliver (two registers) and multiplies it by each of the twelve entries of a
/// column of the panel, which the fused multiply-add reads straight from memory as a broadcast. A tile
/// at most 8 wide (the last tile of a product with N = 10 classes, say) uses only the left half of the
/// sliver and twelve registers, so it does half the work. Each entry is summed in order of p with one
/// fused multiply-add per term, like the AVX2 kernel, so that the result does not depend on the tile
/// an entry falls in, nor on the thread count.
///
/// - Parameters:
///   - depth: KC, the length of the sums.
///   - panel: packed 12 x depth panel of op(A).
///   - sliver: packed depth x 16 sliver of op(B).
///   - c: the tile's top-left entry in C, whose rows are `rowStride` apart and columns `columnStride`.
///   - height, width: the valid part of the tile, at most 12 x 16; the rest is computed and dropped.
///   - beta: 0 stores the sums without reading C; otherwise C becomes sum + beta C.
///   - next, nextLines: cache lines (64 bytes, 8 entries each) from `next` on that the caller will
///     read soon, asked into L2 one a step over the first `nextLines` steps (at most `depth`); 0 asks
///     for none. The caller spreads the sliver it uses after this one over the tiles it runs with
///     this one, so that it is in L2 when its turn comes, wherever the packed panel of B was (part of
///     a 1.5 MiB panel is pushed out of a 2 MiB L2 by A's block and C). Measured against the kernel
///     with only the hints above, in the same process: 3-8 % faster at n = 512 to 2,048, most on two
///     threads (the same idea as OpenBLAS's Skylake-X kernel, which asks for its next piece of B).
@inline(never)
public func multiplyTile12x16(depth: Int, panel: UnsafePointer<Double>, sliver: UnsafePointer<Double>,
                              c: UnsafeMutablePointer<Double>, rowStride: Int, columnStride: Int,
                              height: Int, width: Int, beta: Double,
                              next: UnsafePointer<Double>, nextLines: Int) {
    var c00 = Lane(), c01 = Lane(), c10 = Lane(), c11 = Lane(), c20 = Lane(), c21 = Lane()
    var c30 = Lane(), c31 = Lane(), c40 = Lane(), c41 = Lane(), c50 = Lane(), c51 = Lane()
    var c60 = Lane(), c61 = Lane(), c70 = Lane(), c71 = Lane(), c80 = Lane(), c81 = Lane()
    var c90 = Lane(), c91 = Lane(), c100 = Lane(), c101 = Lane(), c110 = Lane(), c111 = Lane()
    var a = panel, b = sliver, ahead = next
    if width > 8 {
        for step in 0 ..< depth {
            if step < nextLines { prefetchToL2(ahead); ahead += 8 }
            // A step reads 96 bytes of the panel and 128 of the sliver: two lines of each.
            prefetch(a + 12 * prefetchSteps); prefetch(a + 12 * prefetchSteps + 8)
            prefetch(b + 16 * prefetchSteps); prefetch(b + 16 * prefetchSteps + 8)
            let b0 = load(b), b1 = load(b + 8)
            var x: Lane
            x = Lane(repeating: a[0]); c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            x = Lane(repeating: a[1]); c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            x = Lane(repeating: a[2]); c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            x = Lane(repeating: a[3]); c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            x = Lane(repeating: a[4]); c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
            x = Lane(repeating: a[5]); c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
            x = Lane(repeating: a[6]); c60 = c60.addingProduct(x, b0); c61 = c61.addingProduct(x, b1)
            x = Lane(repeating: a[7]); c70 = c70.addingProduct(x, b0); c71 = c71.addingProduct(x, b1)
            x = Lane(repeating: a[8]); c80 = c80.addingProduct(x, b0); c81 = c81.addingProduct(x, b1)
            x = Lane(repeating: a[9]); c90 = c90.addingProduct(x, b0); c91 = c91.addingProduct(x, b1)
            x = Lane(repeating: a[10]); c100 = c100.addingProduct(x, b0); c101 = c101.addingProduct(x, b1)
            x = Lane(repeating: a[11]); c110 = c110.addingProduct(x, b0); c111 = c111.addingProduct(x, b1)
            a += 12
            b += 16
        }
    } else {
        for _ in 0 ..< depth {
            prefetch(a + 12 * prefetchSteps); prefetch(a + 12 * prefetchSteps + 8)
            prefetch(b + 16 * prefetchSteps)
            let b0 = load(b)
            c00 = c00.addingProduct(Lane(repeating: a[0]), b0)
            c10 = c10.addingProduct(Lane(repeating: a[1]), b0)
            c20 = c20.addingProduct(Lane(repeating: a[2]), b0)
            c30 = c30.addingProduct(Lane(repeating: a[3]), b0)
            c40 = c40.addingProduct(Lane(repeating: a[4]), b0)
            c50 = c50.addingProduct(Lane(repeating: a[5]), b0)
            c60 = c60.addingProduct(Lane(repeating: a[6]), b0)
            c70 = c70.addingProduct(Lane(repeating: a[7]), b0)
            c80 = c80.addingProduct(Lane(repeating: a[8]), b0)
            c90 = c90.addingProduct(Lane(repeating: a[9]), b0)
            c100 = c100.addingProduct(Lane(repeating: a[10]), b0)
            c110 = c110.addingProduct(Lane(repeating: a[11]), b0)
            a += 12
            b += 16
        }
    }
    if height == 12 && width == 16 && columnStride == 1 {
        storeRow(c00, c01, into: c + 0 * rowStride, beta: beta)
        storeRow(c10, c11, into: c + 1 * rowStride, beta: beta)
        storeRow(c20, c21, into: c + 2 * rowStride, beta: beta)
        storeRow(c30, c31, into: c + 3 * rowStride, beta: beta)
        storeRow(c40, c41, into: c + 4 * rowStride, beta: beta)
        storeRow(c50, c51, into: c + 5 * rowStride, beta: beta)
        storeRow(c60, c61, into: c + 6 * rowStride, beta: beta)
        storeRow(c70, c71, into: c + 7 * rowStride, beta: beta)
        storeRow(c80, c81, into: c + 8 * rowStride, beta: beta)
        storeRow(c90, c91, into: c + 9 * rowStride, beta: beta)
        storeRow(c100, c101, into: c + 10 * rowStride, beta: beta)
        storeRow(c110, c111, into: c + 11 * rowStride, beta: beta)
        return
    }
    withUnsafeTemporaryAllocation(of: Double.self, capacity: 12 * 16) { tile in
        let t = tile.baseAddress!
        store(c00, t + 0); store(c01, t + 8)
        store(c10, t + 16); store(c11, t + 24)
        store(c20, t + 32); store(c21, t + 40)
        store(c30, t + 48); store(c31, t + 56)
        store(c40, t + 64); store(c41, t + 72)
        store(c50, t + 80); store(c51, t + 88)
        store(c60, t + 96); store(c61, t + 104)
        store(c70, t + 112); store(c71, t + 120)
        store(c80, t + 128); store(c81, t + 136)
        store(c90, t + 144); store(c91, t + 152)
        store(c100, t + 160); store(c101, t + 168)
        store(c110, t + 176); store(c111, t + 184)
        for i in 0 ..< height {
            let source = t + i * 16, target = c + i * rowStride
            for j in 0 ..< width {
                let entry = target + j * columnStride
                entry.pointee = beta == 0 ? source[j] : source[j].addingProduct(beta, entry.pointee)
            }
        }
    }
}

/// One row of a full tile: C[0 ..< 16] = (low, high) + beta C[0 ..< 16].
@inline(__always)
private func storeRow(_ low: Lane, _ high: Lane, into c: UnsafeMutablePointer<Double>, beta: Double) {
    if beta == 0 {
        store(low, c)
        store(high, c + 8)
    } else {
        let scale = Lane(repeating: beta)
        store(low.addingProduct(scale, load(c)), c)
        store(high.addingProduct(scale, load(c + 8)), c + 8)
    }
}

/// Asks for the cache line holding `p` (a hint: it never faults, and the kernel waits for nothing).
/// CPUFeatures' `workbook_prefetch` is a `static inline` C function, so it is compiled into this
/// module with this module's flags and no copy of it is shared with the AVX2 code.
@inline(__always)
private func prefetch(_ p: UnsafePointer<Double>) { workbook_prefetch(p) }

/// The same hint for L2 only.
@inline(__always)
private func prefetchToL2(_ p: UnsafePointer<Double>) { workbook_prefetch_l2(p) }

@inline(__always)
private func load(_ p: UnsafePointer<Double>) -> Lane { UnsafeRawPointer(p).loadUnaligned(as: Lane.self) }

@inline(__always)
private func load(_ p: UnsafeMutablePointer<Double>) -> Lane { UnsafeRawPointer(p).loadUnaligned(as: Lane.self) }

@inline(__always)
private func store(_ v: Lane, _ p: UnsafeMutablePointer<Double>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lane.self) }

#endif
