import LinearAlgebra
import ExerciseSupport
#if arch(x86_64)
import LinearAlgebraAVX512
#endif

// Given code of chapter 6: the fast convolutional layer, forward and backward, by im2col and the
// matrix product (the course gives its fast layers too; the student writes the naive ones).
//
// For one image, every window of the padded input as a row of the window matrix X_col
// (H'·W', C·HH·WW) turns the convolution into one product with the filters read as W (F, C·HH·WW):
//
//     out_n (F, H'·W') = W X_colᵀ + b               the image's F activation maps, row-major: (F, H', W')
//     dW  (F, C·HH·WW) = sum over n of dout_n X_col
//     dX_col (H'·W', C·HH·WW) = dout_nᵀ W,  dx_n = col2im(dX_col)     the windows' gradients added back
//     db (F) = sum over n and positions of dout
//
// Images are shared among the threads (each with its own window matrix from the scratch pool, so no
// step allocates one afresh), and each image's product is written straight into place in the output.
// The window matrix is rebuilt from the input in the backward pass rather than kept from the forward
// one: rebuilding one image's matrix from a cached image costs less than keeping 60 MB for a batch of
// 50 and reading it back from memory. dW is summed over the images in image order, whatever the
// thread count, so the result is the same bit for bit on one thread or two.
//
// At stride 1 on a CPU with AVX-512 (``SIMDKernel/active`` is the eight-lane kernel) the forward pass and
// dW skip the window matrix: eight neighbouring positions of an output row read eight neighbouring
// entries of the padded input, so the kernels in LinearAlgebraAVX512/DirectConvolution.swift multiply
// the padded image by the filters where they lie (a direct convolution), with no im2col and no packing.
// The two ways sum each entry in another order, so they agree to rounding (about 1e-15 relative), not
// to the bit; each gives the same bits on one thread or two. dx keeps the window matrix either way.
// Source: the lecture "Convolutional Neural Networks" (implementation as matrix multiplication).

/// What the fast backward pass needs from the forward pass: the images, the filters and the geometry.
public struct FastConvolutionCache: Sendable {
    /// The images, (N, C, H, W).
    public let x: Tensor
    /// The filters, (F, C, HH, WW).
    public let w: Tensor
    /// The input, window, stride and padding sizes.
    public let geometry: ConvolutionGeometry
}

/// Forward pass of a convolutional layer by im2col and the matrix product: the same result as the
/// naive layer, out[n, f, i, j] = b[f] + sum over c, di, dj of w[f, c, di, dj] · xpad[n, c, i · stride + di, j · stride + dj].
///
/// - Parameters:
///   - x: images, shape (N, C, H, W).
///   - w: filters, shape (F, C, HH, WW).
///   - b: biases, F entries.
///   - stride: the step between neighbouring windows, along both axes.
///   - padding: the zeros added on each side of each image.
/// - Returns: `out` (N, F, H', W') and the cache for ``convBackwardFast(_:cache:)``.
/// - Throws: `ConvolutionGeometryError` (with the formula and the numbers) when the windows do not fit;
///   `ConvolutionalNetworkError` when the shapes do not fit together. `x` is not modified.
public func convForwardFast(_ x: Tensor, _ w: Tensor, _ b: Tensor, stride: Int = 1, padding: Int = 0) throws
    -> (out: Tensor, cache: FastConvolutionCache) {
    let g = try checkConvolutionInputs(x, w, b, stride: stride, padding: padding, layer: "convForwardFast")
    let (n, f, k, positions) = (x.shape[0], w.shape[0], g.windowSize, g.positionsPerImage)
    let imageSize = g.channels * g.height * g.width
    let count = n * f * positions
    // Every entry is written (the bias, then the product added to it), so the storage starts
    // uninitialised rather than zeroed: one pass over the output instead of two.
    let values = [Double](unsafeUninitializedCapacity: count) { os, initialized in
        defer { initialized = count }
        guard n > 0 && f > 0 else { return }
        x.withUnsafeBufferPointer { xs in
            w.withUnsafeBufferPointer { ws in
                b.withUnsafeBufferPointer { bs in
                    let (images, filters, biases, outputs) = (xs.baseAddress!, ws.baseAddress!, bs.baseAddress!, os.baseAddress!)
                    if usesDirectKernels(stride: g.stride) {
                        directForward(images: images, n: n, filters: filters, f: f, biases: biases, g, into: outputs)
                        return
                    }
                    inChunks(n, workEach: f * positions * k) { chunk in
                        ScratchBuffers.shared.withBuffer(count: positions * k) { columns in
                            for image in chunk {
                                im2col(image: images + image * imageSize, g, into: columns)
                                let maps = outputs + image * f * positions
                                for filter in 0 ..< f {
                                    (maps + filter * positions).initialize(repeating: biases[filter], count: positions)
                                }
                                matmul(m: f, n: positions, k: k, filters, lda: k, columns, ldb: k, transposeB: true,
                                       beta: 1, into: maps, ldc: positions, threads: 1)
                            }
                        }
                    }
                }
            }
        }
    }
    let out = Tensor(shape: [n, f, g.outputHeight, g.outputWidth], values)
    return (out, FastConvolutionCache(x: x, w: w, geometry: g))
}

/// Backward pass of the fast convolutional layer: the gradients of the input, the filters and the biases.
///
/// - Parameters:
///   - dout: the upstream gradient, shape (N, F, H', W').
///   - cache: from ``convForwardFast(_:_:_:stride:padding:)``.
/// - Returns: `dx` (N, C, H, W), `dw` (F, C, HH, WW) and `db` (F,).
/// - Throws: ``ConvolutionalNetworkError/upstreamShapeMismatch(layer:expected:got:)``.
public func convBackwardFast(_ dout: Tensor, cache: FastConvolutionCache) throws -> (dx: Tensor, dw: Tensor, db: Tensor) {
    let (dx, dw, db) = try convolutionGradients(dout, cache, inputGradient: true, layer: "convBackwardFast")
    return (dx!, dw, db)
}

/// The backward pass of the fast convolutional layer without the input's gradient, for a first layer
/// (whose input is the data, which nothing updates): about a third less work than
/// ``convBackwardFast(_:cache:)``.
///
/// - Returns: `dw` (F, C, HH, WW) and `db` (F,), as ``convBackwardFast(_:cache:)`` computes them.
/// - Throws: ``ConvolutionalNetworkError/upstreamShapeMismatch(layer:expected:got:)``.
public func convParameterGradientsFast(_ dout: Tensor, cache: FastConvolutionCache) throws -> (dw: Tensor, db: Tensor) {
    let (_, dw, db) = try convolutionGradients(dout, cache, inputGradient: false, layer: "convParameterGradientsFast")
    return (dw, db)
}

// MARK: - Helpers

private func convolutionGradients(_ dout: Tensor, _ cache: FastConvolutionCache, inputGradient: Bool, layer: String) throws
    -> (dx: Tensor?, dw: Tensor, db: Tensor) {
    let (x, w, g) = (cache.x, cache.w, cache.geometry)
    try checkUpstreamGradient(dout, batchSize: x.shape[0], channels: w.shape[0], g, layer: layer)
    let (n, f, k, positions) = (x.shape[0], w.shape[0], g.windowSize, g.positionsPerImage)
    let imageSize = g.channels * g.height * g.width
    // At stride 1 with the direct kernels, dx is itself a stride-1 convolution (below): the loop over
    // the images then computes dW and db only.
    let direct = usesDirectKernels(stride: g.stride)
    let dxByConvolution = inputGradient && direct && g.filterHeight == g.filterWidth && g.padding < g.filterHeight
    var dx: Tensor? = inputGradient && !dxByConvolution ? Tensor(shape: x.shape) : nil
    var dw = Tensor(shape: w.shape)
    var db = Tensor(shape: [f])
    guard n > 0 && f > 0 else { return (inputGradient ? Tensor(shape: x.shape) : nil, dw, db) }
    if dxByConvolution { dx = inputGradientByConvolution(dout, w, g) }
    // Each image's dW and db go into its own slot and are added up in image order afterwards, so that
    // the sums are the same whatever the thread count.
    let partialSize = f * k + f
    ScratchBuffers.shared.withBuffer(count: n * partialSize) { partials in
        x.withUnsafeBufferPointer { xs in
            w.withUnsafeBufferPointer { ws in
                dout.withUnsafeBufferPointer { ds in
                    let (images, filters, upstream) = (xs.baseAddress!, ws.baseAddress!, ds.baseAddress!)
                    withOptionalOutput(&dx) { inputs in
                        inChunks(n, workEach: f * positions * k * (inputs != nil ? 2 : 1)) { chunk in
                            ScratchBuffers.shared.withBuffer(count: positions * k * (direct ? 1 : 2)) { columns in
                                let windowGradients = direct ? columns : columns + positions * k
                                for image in chunk {
                                    let maps = upstream + image * f * positions
                                    let partial = partials + image * partialSize
                                    if direct {
                                        directFilterGradient(image: images + image * imageSize, upstream: maps, f: f, g, into: partial)
                                    } else {
                                        im2col(image: images + image * imageSize, g, into: columns)
                                        matmul(m: f, n: k, k: positions, maps, lda: positions, columns, ldb: k,
                                               beta: 0, into: partial, ldc: k, threads: 1)
                                    }
                                    for filter in 0 ..< f {
                                        partial[f * k + filter] = laneSum(of: maps + filter * positions, count: positions)
                                    }
                                    if let inputs {
                                        matmul(m: positions, n: k, k: f, maps, lda: positions, transposeA: true, filters, ldb: k,
                                               beta: 0, into: windowGradients, ldc: k, threads: 1)
                                        col2im(rows: windowGradients, g, into: inputs + image * imageSize)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        dw.withUnsafeMutableBufferPointer { dws in
            db.withUnsafeMutableBufferPointer { dbs in
                let (weights, biases) = (dws.baseAddress!, dbs.baseAddress!)
                for image in 0 ..< n {
                    let partial = partials + image * partialSize
                    for j in 0 ..< f * k { weights[j] += partial[j] }
                    for filter in 0 ..< f { biases[filter] += partial[f * k + filter] }
                }
            }
        }
    }
    return (dx, dw, db)
}

/// Calls `body` with the address of the tensor's entries, or with nil when there is no tensor.
private func withOptionalOutput(_ tensor: inout Tensor?, _ body: (UnsafeMutablePointer<Double>?) -> Void) {
    guard var t = tensor, t.count > 0 else { return body(nil) }
    tensor = nil                        // keep the storage unshared, so that writing does not copy it
    t.withUnsafeMutableBufferPointer { body($0.baseAddress) }
    tensor = t
}

// MARK: - The direct convolution at stride 1

/// How the fast layer computes a convolution at `stride` on this CPU with the active kernel, in a
/// sentence for the chapter program's report.
public func fastConvolutionMethod(stride: Int) -> String {
    if usesDirectKernels(stride: stride) {
        return "At stride 1 on this CPU the fast convolution is direct: AVX-512 kernels slide vectors of eight outputs over the "
            + "zero-padded image (no window matrix), and its dx is a convolution of dout with the filters turned round"
    }
    return "The fast convolution writes every window of an image as a row of a matrix (im2col) and multiplies it by the filters"
}

/// Whether the forward pass and dW run the direct stride-1 kernels: only at stride 1, and only when the
/// AVX-512 kernels are the active ones (the only gate in front of them, as for the matrix product).
func usesDirectKernels(stride: Int) -> Bool {
    #if arch(x86_64)
    return stride == 1 && SIMDKernel.active == .eightLane
    #else
    return false
    #endif
}

/// One image zero-padded the way the direct kernels read it: each row padded to the kernels' width
/// (8 V + 7 ⌈WW / 7⌉ + 1 entries at least, V = ⌈W' / 8⌉) rounded up to whole cache lines, with the
/// padding's rows above and below.
struct PaddedImageLayout {
    let rows: Int, rowStride: Int, vectorsPerRow: Int
    var channelStride: Int { rows * rowStride }
    let channels: Int, height: Int, width: Int, padding: Int

    init(_ g: ConvolutionGeometry) {
        vectorsPerRow = (g.outputWidth + 7) / 8
        rows = g.height + 2 * g.padding
        let widest = Swift.max(g.width + 2 * g.padding, 8 * vectorsPerRow + 7 * ((g.filterWidth + 6) / 7) + 1)
        rowStride = (widest + 7) / 8 * 8
        (channels, height, width, padding) = (g.channels, g.height, g.width, g.padding)
    }

    /// Entries of one padded image.
    var count: Int { channels * channelStride }

    /// Writes the padded copy of `image` (C, H, W) into `target` (``count`` entries).
    func pad(_ image: UnsafePointer<Double>, into target: UnsafeMutablePointer<Double>) {
        target.initialize(repeating: 0, count: count)
        for c in 0 ..< channels {
            for i in 0 ..< height {
                (target + c * channelStride + (i + padding) * rowStride + padding)
                    .update(from: image + (c * height + i) * width, count: width)
            }
        }
    }
}

/// The forward pass by the direct kernel: the filters interleaved four at a time, each image padded
/// once, the threads sharing the images.
private func directForward(images: UnsafePointer<Double>, n: Int, filters: UnsafePointer<Double>, f: Int,
                           biases: UnsafePointer<Double>, _ g: ConvolutionGeometry, into outputs: UnsafeMutablePointer<Double>) {
    #if arch(x86_64)
    let (k, positions, layout) = (g.windowSize, g.positionsPerImage, PaddedImageLayout(g))
    let imageSize = g.channels * g.height * g.width
    let tiles = (f + 3) / 4
    ScratchBuffers.shared.withBuffer(count: tiles * k * 4) { interleaved in
        // Tile t holds filters 4t ..< 4t + 4 term after term: w[4t + i, p] at t · 4K + 4p + i.
        for tile in 0 ..< tiles {
            for p in 0 ..< k {
                for i in 0 ..< 4 {
                    let filter = tile * 4 + i
                    interleaved[(tile * k + p) * 4 + i] = filter < f ? filters[filter * k + p] : 0
                }
            }
        }
        inChunks(n, workEach: f * positions * k) { chunk in
            ScratchBuffers.shared.withBuffer(count: layout.count) { padded in
                for image in chunk {
                    layout.pad(images + image * imageSize, into: padded)
                    for tile in 0 ..< tiles {
                        convolveStrideOne(input: padded, channelStride: layout.channelStride, rowStride: layout.rowStride,
                                          channels: g.channels, filterHeight: g.filterHeight, filterWidth: g.filterWidth,
                                          weights: interleaved + tile * k * 4, bias: biases + tile * 4,
                                          filters: Swift.min(4, f - tile * 4),
                                          output: outputs + (image * f + tile * 4) * positions, filterStride: positions,
                                          outputHeight: g.outputHeight, outputWidth: g.outputWidth)
                    }
                }
            }
        }
    }
    #endif
}

/// dW of one image by the direct kernel, into `partial` (F, C · HH · WW); the upstream maps are
/// copied into rows of whole vectors first when W' is not a multiple of 8.
///
/// (A kernel with the filters along the vector lanes instead, which reads the image as broadcasts and
/// adds up no lanes, was tried: turning the upstream maps position by position and dWᵀ back cost more
/// than it saved, 7.9 ms against 6.7 ms for a batch of 50 on two threads.)
private func directFilterGradient(image: UnsafePointer<Double>, upstream: UnsafePointer<Double>, f: Int,
                                  _ g: ConvolutionGeometry, into partial: UnsafeMutablePointer<Double>) {
    #if arch(x86_64)
    let (k, layout) = (g.windowSize, PaddedImageLayout(g))
    let (ho, wo, vectors) = (g.outputHeight, g.outputWidth, layout.vectorsPerRow)
    let upstreamRow = 8 * vectors
    ScratchBuffers.shared.withBuffer(count: layout.count + (wo == upstreamRow ? 0 : f * ho * upstreamRow)) { scratch in
        layout.pad(image, into: scratch)
        var maps = upstream
        if wo != upstreamRow {
            let widened = scratch + layout.count
            widened.initialize(repeating: 0, count: f * ho * upstreamRow)
            for row in 0 ..< f * ho { (widened + row * upstreamRow).update(from: upstream + row * wo, count: wo) }
            maps = UnsafePointer(widened)
        }
        for tile in 0 ..< (f + 2) / 3 {
            convolutionFilterGradientStrideOne(input: scratch, channelStride: layout.channelStride, rowStride: layout.rowStride,
                                               channels: g.channels, filterHeight: g.filterHeight, filterWidth: g.filterWidth,
                                               upstream: maps + tile * 3 * ho * upstreamRow, upstreamFilterStride: ho * upstreamRow,
                                               upstreamRowStride: upstreamRow, filters: Swift.min(3, f - tile * 3),
                                               outputHeight: ho, vectorsPerRow: vectors,
                                               gradient: partial + tile * 3 * k, gradientFilterStride: k)
        }
    }
    #endif
}

/// dx of a stride-1 convolution as a convolution itself: dx[c, i, j] = Σ over f, di, dj of
/// dout[f, i + pad − di, j + pad − dj] · w[f, c, di, dj], which is dout zero-padded by HH − 1 − pad and
/// convolved (stride 1) with the filters turned round, w′[c, f, di, dj] = w[f, c, HH − 1 − di, WW − 1 − dj]:
/// the direct forward kernel, with no window matrix and no col2im. (The lecture: the backward pass of a
/// convolution is a convolution too.) Square filters and a padding below HH only, as the caller checks.
private func inputGradientByConvolution(_ dout: Tensor, _ w: Tensor, _ g: ConvolutionGeometry) -> Tensor {
    let (n, f, c, hh, ww) = (dout.shape[0], w.shape[0], g.channels, g.filterHeight, g.filterWidth)
    var turned = [Double](repeating: 0, count: c * f * hh * ww)
    w.withUnsafeBufferPointer { ws in
        for filter in 0 ..< f {
            for channel in 0 ..< c {
                for di in 0 ..< hh {
                    for dj in 0 ..< ww {
                        turned[((channel * f + filter) * hh + di) * ww + dj] = ws[((filter * c + channel) * hh + (hh - 1 - di)) * ww + (ww - 1 - dj)]
                    }
                }
            }
        }
    }
    // The geometry of that convolution: F input channels of H' x W', padding HH − 1 − pad, giving H x W.
    let transposed = try! ConvolutionGeometry(channels: f, height: g.outputHeight, width: g.outputWidth, filterHeight: hh,
                                              filterWidth: ww, stride: 1, padding: hh - 1 - g.padding)
    let count = n * c * g.height * g.width
    let zeros = [Double](repeating: 0, count: c)
    let values = [Double](unsafeUninitializedCapacity: count) { out, initialized in
        defer { initialized = count }
        dout.withUnsafeBufferPointer { ds in
            turned.withUnsafeBufferPointer { ts in
                zeros.withUnsafeBufferPointer { bs in
                    directForward(images: ds.baseAddress!, n: n, filters: ts.baseAddress!, f: c, biases: bs.baseAddress!,
                                  transposed, into: out.baseAddress!)
                }
            }
        }
    }
    return Tensor(shape: [n, c, g.height, g.width], values)
}
