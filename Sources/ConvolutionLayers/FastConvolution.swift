import LinearAlgebra
import ExerciseSupport

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
    var dx: Tensor? = inputGradient ? Tensor(shape: x.shape) : nil
    var dw = Tensor(shape: w.shape)
    var db = Tensor(shape: [f])
    guard n > 0 && f > 0 else { return (dx, dw, db) }
    // Each image's dW and db go into its own slot and are added up in image order afterwards, so that
    // the sums are the same whatever the thread count.
    let partialSize = f * k + f
    ScratchBuffers.shared.withBuffer(count: n * partialSize) { partials in
        x.withUnsafeBufferPointer { xs in
            w.withUnsafeBufferPointer { ws in
                dout.withUnsafeBufferPointer { ds in
                    let (images, filters, upstream) = (xs.baseAddress!, ws.baseAddress!, ds.baseAddress!)
                    withOptionalOutput(&dx) { inputs in
                        inChunks(n, workEach: f * positions * k * (inputGradient ? 2 : 1)) { chunk in
                            ScratchBuffers.shared.withBuffer(count: positions * k * (inputGradient ? 2 : 1)) { columns in
                                let windowGradients = columns + positions * k
                                for image in chunk {
                                    let maps = upstream + image * f * positions
                                    let partial = partials + image * partialSize
                                    im2col(image: images + image * imageSize, g, into: columns)
                                    matmul(m: f, n: k, k: positions, maps, lda: positions, columns, ldb: k,
                                           beta: 0, into: partial, ldc: k, threads: 1)
                                    for filter in 0 ..< f {
                                        let row = maps + filter * positions
                                        var sum = 0.0
                                        for p in 0 ..< positions { sum += row[p] }
                                        partial[f * k + filter] = sum
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
