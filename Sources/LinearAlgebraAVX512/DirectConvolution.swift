/// The AVX-512 kernels of the direct convolution at stride 1, compiled like the matrix kernel for
/// AVX-512 and called by ConvolutionLayers only after the same CPU check (``SIMDKernel/active`` is the
/// eight-lane kernel), so that the binary still runs on an AVX2-only CPU. As in MicroKernel12x16.swift,
/// each function is `@inline(never)` and every helper it uses is inlined into it.
///
/// At stride 1 a window's entries along a row are neighbours in the input, so eight neighbouring output
/// positions of one row read eight neighbouring inputs, shifted by the window's column dj: one unaligned
/// vector load. The convolution then needs no window matrix (im2col) and no packing at all; it reads the
/// zero-padded image and the filters where they are.
///
/// The padded image is one channel after another (`channelStride` apart), each row `rowStride` long,
/// and its rows are long enough for every vector read: at least 8 V + 7 ⌈WW / 7⌉ + 1 entries, with V =
/// ⌈W' / 8⌉ vectors per output row, the entries past the padded width being zeros. ConvolutionLayers
/// rounds the rows up to whole cache lines and starts the image on one.
#if arch(x86_64)

/// out[i, oi, oj] = bias[i] + Σ over c, di, dj of w[i, c, di, dj] · x[c, oi + di, oj + dj], for four
/// filters i < `filters` (at most 4) and every output position of one image, at stride 1.
///
/// Four filters by four vectors of eight positions (a 32-wide output row) accumulate in 16 registers
/// over the C · HH · WW terms: each term loads four vectors of the image, shifted by dj, and multiplies
/// them by each filter's weight, which the fused multiply-add reads straight from memory as a
/// broadcast. Rows narrower than 32 use blocks of two vectors and of one. Each entry is summed in the
/// order of (c, di, dj), one fused multiply-add per term, so that it does not depend on the block it
/// falls in.
///
/// - Parameters:
///   - input: the zero-padded image, `channels` planes of rows `rowStride` long, `channelStride` apart.
///   - weights: the four filters interleaved, term after term: w[i, c, di, dj] at `((c · HH + di) · WW + dj) · 4 + i`
///     (zeros for i ≥ `filters`).
///   - bias: `filters` biases.
///   - output: filter i's (H', W') map, row-major, at `output + i · filterStride`.
@inline(never)
public func convolveStrideOne(input: UnsafePointer<Double>, channelStride: Int, rowStride: Int, channels: Int,
                              filterHeight: Int, filterWidth: Int, weights: UnsafePointer<Double>, bias: UnsafePointer<Double>,
                              filters: Int, output: UnsafeMutablePointer<Double>, filterStride: Int,
                              outputHeight: Int, outputWidth: Int) {
    let b0 = Lane(repeating: bias[0])
    let b1 = Lane(repeating: filters > 1 ? bias[1] : 0)
    let b2 = Lane(repeating: filters > 2 ? bias[2] : 0)
    let b3 = Lane(repeating: filters > 3 ? bias[3] : 0)
    let (hh, ww) = (filterHeight, filterWidth)
    for oi in 0 ..< outputHeight {
        var oj = 0
        while oj < outputWidth {
            let left = outputWidth - oj
            if left > 16 {
                // Four vectors: 16 accumulators.
                var c00 = b0, c01 = b0, c02 = b0, c03 = b0
                var c10 = b1, c11 = b1, c12 = b1, c13 = b1
                var c20 = b2, c21 = b2, c22 = b2, c23 = b2
                var c30 = b3, c31 = b3, c32 = b3, c33 = b3
                var w = weights
                for c in 0 ..< channels {
                    for di in 0 ..< hh {
                        let row = input + c * channelStride + (oi + di) * rowStride + oj
                        for dj in 0 ..< ww {
                            let x0 = load(row + dj), x1 = load(row + dj + 8), x2 = load(row + dj + 16), x3 = load(row + dj + 24)
                            var s = Lane(repeating: w[0])
                            c00 = c00.addingProduct(s, x0); c01 = c01.addingProduct(s, x1); c02 = c02.addingProduct(s, x2); c03 = c03.addingProduct(s, x3)
                            s = Lane(repeating: w[1])
                            c10 = c10.addingProduct(s, x0); c11 = c11.addingProduct(s, x1); c12 = c12.addingProduct(s, x2); c13 = c13.addingProduct(s, x3)
                            s = Lane(repeating: w[2])
                            c20 = c20.addingProduct(s, x0); c21 = c21.addingProduct(s, x1); c22 = c22.addingProduct(s, x2); c23 = c23.addingProduct(s, x3)
                            s = Lane(repeating: w[3])
                            c30 = c30.addingProduct(s, x0); c31 = c31.addingProduct(s, x1); c32 = c32.addingProduct(s, x2); c33 = c33.addingProduct(s, x3)
                            w += 4
                        }
                    }
                }
                let at = output + oi * outputWidth + oj
                let count = Swift.min(left, 32)
                storeRow(c00, c01, c02, c03, at, count)
                if filters > 1 { storeRow(c10, c11, c12, c13, at + filterStride, count) }
                if filters > 2 { storeRow(c20, c21, c22, c23, at + 2 * filterStride, count) }
                if filters > 3 { storeRow(c30, c31, c32, c33, at + 3 * filterStride, count) }
                oj += 32
            } else if left > 8 {
                // Two vectors: 8 accumulators.
                var c00 = b0, c01 = b0, c10 = b1, c11 = b1, c20 = b2, c21 = b2, c30 = b3, c31 = b3
                var w = weights
                for c in 0 ..< channels {
                    for di in 0 ..< hh {
                        let row = input + c * channelStride + (oi + di) * rowStride + oj
                        for dj in 0 ..< ww {
                            let x0 = load(row + dj), x1 = load(row + dj + 8)
                            var s = Lane(repeating: w[0]); c00 = c00.addingProduct(s, x0); c01 = c01.addingProduct(s, x1)
                            s = Lane(repeating: w[1]); c10 = c10.addingProduct(s, x0); c11 = c11.addingProduct(s, x1)
                            s = Lane(repeating: w[2]); c20 = c20.addingProduct(s, x0); c21 = c21.addingProduct(s, x1)
                            s = Lane(repeating: w[3]); c30 = c30.addingProduct(s, x0); c31 = c31.addingProduct(s, x1)
                            w += 4
                        }
                    }
                }
                let at = output + oi * outputWidth + oj
                let zero = Lane()
                storeRow(c00, c01, zero, zero, at, left)
                if filters > 1 { storeRow(c10, c11, zero, zero, at + filterStride, left) }
                if filters > 2 { storeRow(c20, c21, zero, zero, at + 2 * filterStride, left) }
                if filters > 3 { storeRow(c30, c31, zero, zero, at + 3 * filterStride, left) }
                oj += 16
            } else {
                // One vector: 4 accumulators.
                var c0 = b0, c1 = b1, c2 = b2, c3 = b3
                var w = weights
                for c in 0 ..< channels {
                    for di in 0 ..< hh {
                        let row = input + c * channelStride + (oi + di) * rowStride + oj
                        for dj in 0 ..< ww {
                            let x0 = load(row + dj)
                            c0 = c0.addingProduct(Lane(repeating: w[0]), x0)
                            c1 = c1.addingProduct(Lane(repeating: w[1]), x0)
                            c2 = c2.addingProduct(Lane(repeating: w[2]), x0)
                            c3 = c3.addingProduct(Lane(repeating: w[3]), x0)
                            w += 4
                        }
                    }
                }
                let at = output + oi * outputWidth + oj
                let zero = Lane()
                storeRow(c0, zero, zero, zero, at, left)
                if filters > 1 { storeRow(c1, zero, zero, zero, at + filterStride, left) }
                if filters > 2 { storeRow(c2, zero, zero, zero, at + 2 * filterStride, left) }
                if filters > 3 { storeRow(c3, zero, zero, zero, at + 3 * filterStride, left) }
                oj += 8
            }
        }
    }
}

/// dw[i, c, di, dj] = Σ over oi, oj of dout[i, oi, oj] · x[c, oi + di, oj + dj], for three filters
/// i < `filters` (at most 3) of one image, at stride 1: the filters' gradient.
///
/// Three filters by seven columns dj accumulate in 21 registers over every output position, eight at a
/// time: each step loads the three upstream vectors and the seven shifted image vectors once, so the
/// image is read once for three filters (rows that start on cache lines make the first of the seven
/// loads an aligned one: 6 % faster than rows 38 entries long). The lanes are added up at the end of each (c, di). A filter
/// wider than 7 takes its columns seven at a time; a narrower one computes seven and keeps WW.
///
/// - Parameters:
///   - input: the zero-padded image, as for ``convolveStrideOne(input:channelStride:rowStride:channels:filterHeight:filterWidth:weights:bias:filters:output:filterStride:outputHeight:outputWidth:)``.
///   - upstream: filter i's upstream gradient (H', W') at `upstream + i · upstreamFilterStride`, its rows
///     `upstreamRowStride` apart and zero from W' to 8 V (so whole vectors can be read).
///   - vectorsPerRow: V = ⌈W' / 8⌉.
///   - gradient: filter i's (C, HH, WW) gradient at `gradient + i · gradientFilterStride`, overwritten.
@inline(never)
public func convolutionFilterGradientStrideOne(input: UnsafePointer<Double>, channelStride: Int, rowStride: Int, channels: Int,
                                               filterHeight: Int, filterWidth: Int,
                                               upstream: UnsafePointer<Double>, upstreamFilterStride: Int, upstreamRowStride: Int,
                                               filters: Int, outputHeight: Int, vectorsPerRow: Int,
                                               gradient: UnsafeMutablePointer<Double>, gradientFilterStride: Int) {
    let (hh, ww) = (filterHeight, filterWidth)
    let u0 = upstream
    let u1 = filters > 1 ? upstream + upstreamFilterStride : upstream
    let u2 = filters > 2 ? upstream + 2 * upstreamFilterStride : upstream
    for c in 0 ..< channels {
        for di in 0 ..< hh {
            var dj0 = 0
            while dj0 < ww {
                var a00 = Lane(), a01 = Lane(), a02 = Lane(), a03 = Lane(), a04 = Lane(), a05 = Lane(), a06 = Lane()
                var a10 = Lane(), a11 = Lane(), a12 = Lane(), a13 = Lane(), a14 = Lane(), a15 = Lane(), a16 = Lane()
                var a20 = Lane(), a21 = Lane(), a22 = Lane(), a23 = Lane(), a24 = Lane(), a25 = Lane(), a26 = Lane()
                for oi in 0 ..< outputHeight {
                    let row = input + c * channelStride + (oi + di) * rowStride + dj0
                    let r0 = u0 + oi * upstreamRowStride, r1 = u1 + oi * upstreamRowStride, r2 = u2 + oi * upstreamRowStride
                    for v in 0 ..< vectorsPerRow {
                        let o = 8 * v
                        let d0 = load(r0 + o), d1 = load(r1 + o), d2 = load(r2 + o)
                        var x = load(row + o)
                        a00 = a00.addingProduct(d0, x); a10 = a10.addingProduct(d1, x); a20 = a20.addingProduct(d2, x)
                        x = load(row + o + 1)
                        a01 = a01.addingProduct(d0, x); a11 = a11.addingProduct(d1, x); a21 = a21.addingProduct(d2, x)
                        x = load(row + o + 2)
                        a02 = a02.addingProduct(d0, x); a12 = a12.addingProduct(d1, x); a22 = a22.addingProduct(d2, x)
                        x = load(row + o + 3)
                        a03 = a03.addingProduct(d0, x); a13 = a13.addingProduct(d1, x); a23 = a23.addingProduct(d2, x)
                        x = load(row + o + 4)
                        a04 = a04.addingProduct(d0, x); a14 = a14.addingProduct(d1, x); a24 = a24.addingProduct(d2, x)
                        x = load(row + o + 5)
                        a05 = a05.addingProduct(d0, x); a15 = a15.addingProduct(d1, x); a25 = a25.addingProduct(d2, x)
                        x = load(row + o + 6)
                        a06 = a06.addingProduct(d0, x); a16 = a16.addingProduct(d1, x); a26 = a26.addingProduct(d2, x)
                    }
                }
                let columns = Swift.min(7, ww - dj0)
                let term = (c * hh + di) * ww + dj0
                writeSums(a00, a01, a02, a03, a04, a05, a06, gradient + term, columns)
                if filters > 1 { writeSums(a10, a11, a12, a13, a14, a15, a16, gradient + gradientFilterStride + term, columns) }
                if filters > 2 { writeSums(a20, a21, a22, a23, a24, a25, a26, gradient + 2 * gradientFilterStride + term, columns) }
                dj0 += 7
            }
        }
    }
}

/// The sums of the first `count` of seven vectors' lanes, each added pairwise (halves, then quarters,
/// then the last two lanes): the same order every time, and three dependent additions instead of seven.
@inline(__always)
private func writeSums(_ a0: Lane, _ a1: Lane, _ a2: Lane, _ a3: Lane, _ a4: Lane, _ a5: Lane, _ a6: Lane,
                       _ target: UnsafeMutablePointer<Double>, _ count: Int) {
    target[0] = pairwiseSum(a0)
    if count > 1 { target[1] = pairwiseSum(a1) }
    if count > 2 { target[2] = pairwiseSum(a2) }
    if count > 3 { target[3] = pairwiseSum(a3) }
    if count > 4 { target[4] = pairwiseSum(a4) }
    if count > 5 { target[5] = pairwiseSum(a5) }
    if count > 6 { target[6] = pairwiseSum(a6) }
}

/// (lanes 0–3 + lanes 4–7), then (0–1 + 2–3), then 0 + 1.
@inline(__always)
private func pairwiseSum(_ a: Lane) -> Double {
    let half = a.lowHalf + a.highHalf
    let quarter = half.lowHalf + half.highHalf
    return quarter[0] + quarter[1]
}

/// Stores the first `count` (at most 32) entries of four vectors side by side.
@inline(__always)
private func storeRow(_ v0: Lane, _ v1: Lane, _ v2: Lane, _ v3: Lane, _ target: UnsafeMutablePointer<Double>, _ count: Int) {
    if count >= 32 {
        store(v0, target); store(v1, target + 8); store(v2, target + 16); store(v3, target + 24)
        return
    }
    // A partial row: whole vectors, then the lanes of the last one that are inside the row.
    var j = 0
    while j < count {
        let v = j == 0 ? v0 : j == 8 ? v1 : j == 16 ? v2 : v3
        if j + 8 <= count {
            store(v, target + j)
        } else {
            for lane in 0 ..< count - j { target[j + lane] = v[lane] }
        }
        j += 8
    }
}

@inline(__always)
private func load(_ p: UnsafePointer<Double>) -> Lane { UnsafeRawPointer(p).loadUnaligned(as: Lane.self) }

@inline(__always)
private func store(_ v: Lane, _ p: UnsafeMutablePointer<Double>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lane.self) }

#endif
