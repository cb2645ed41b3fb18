import LinearAlgebra
import GradientCheck

// Chapter 6: the convolutional layer, written as loops ("naive"), forward and backward.
//
// A filter is a small volume (C, HH, WW) that slides over the (zero-padded) image, `stride` entries at
// a time; at each position its dot product with the window it covers, plus its bias, is one entry of
// the output. F filters give F activation maps. Source: the lecture "Convolutional Neural Networks"
// (the convolution layer, "(N - F) / stride + 1", zero padding). As in every deep-learning library,
// the window is not flipped: strictly, this is a cross-correlation.

/// What ``convBackwardNaive(_:cache:)`` needs from the forward pass: the images, the filters and the
/// geometry. The bias is not needed (its gradient does not depend on it).
public struct ConvolutionCache: Sendable {
    /// The images, (N, C, H, W), unpadded.
    public let x: Tensor
    /// The filters, (F, C, HH, WW).
    public let w: Tensor
    /// The input, window, stride and padding sizes.
    public let geometry: ConvolutionGeometry

    public init(x: Tensor, w: Tensor, geometry: ConvolutionGeometry) {
        self.x = x
        self.w = w
        self.geometry = geometry
    }
}

/// Forward pass of a convolutional layer, by loops.
///
///     out[n, f, i, j] = b[f] + sum over c, di, dj of w[f, c, di, dj] · xpad[n, c, i · stride + di, j · stride + dj]
///
/// where xpad is x with `padding` zeros added on every side of each image.
///
/// - Parameters:
///   - x: images, shape (N, C, H, W).
///   - w: filters, shape (F, C, HH, WW).
///   - b: biases, shape (F,).
///   - stride: the step between neighbouring windows, in pixels, along both axes.
///   - padding: the zeros added on each side of each image (0: none).
/// - Returns: `out`, shape (N, F, H', W') with H' = (H + 2 · padding − HH) / stride + 1 and
///   W' = (W + 2 · padding − WW) / stride + 1, and the cache for ``convBackwardNaive(_:cache:)``.
/// - Throws: `ConvolutionGeometryError` when H' or W' is not an integer or a filter is larger than the
///   padded image (the message gives the formula and the numbers); ``ConvolutionalNetworkError`` when the
///   shapes do not fit together. `x` is never modified: pad a copy, or test the bounds.
/// - Source: the lecture "Convolutional Neural Networks", the convolution layer.
public func convForwardNaive(_ x: Tensor, _ w: Tensor, _ b: Tensor, stride: Int = 1, padding: Int = 0) throws
    -> (out: Tensor, cache: ConvolutionCache) {
    let g = try checkConvolutionInputs(x, w, b, stride: stride, padding: padding, layer: "convForwardNaive")
    let (n, f) = (x.shape[0], w.shape[0])
    let (c, h, wd, hh, ww) = (g.channels, g.height, g.width, g.filterHeight, g.filterWidth)
    let (ho, wo) = (g.outputHeight, g.outputWidth)
    let xs = x.storage, ws = w.storage, bs = b.storage
    var out = [Double](repeating: 0, count: n * f * ho * wo)
    for image in 0 ..< n {
        for filter in 0 ..< f {
            for i in 0 ..< ho {
                for j in 0 ..< wo {
                    var sum = bs[filter]
                    for channel in 0 ..< c {
                        for di in 0 ..< hh {
                            let row = i * stride + di - padding
                            guard row >= 0 && row < h else { continue }          // a row of the zero padding
                            for dj in 0 ..< ww {
                                let column = j * stride + dj - padding
                                guard column >= 0 && column < wd else { continue }
                                sum += ws[((filter * c + channel) * hh + di) * ww + dj]
                                    * xs[((image * c + channel) * h + row) * wd + column]
                            }
                        }
                    }
                    out[((image * f + filter) * ho + i) * wo + j] = sum
                }
            }
        }
    }
    return (Tensor(shape: [n, f, ho, wo], out), ConvolutionCache(x: x, w: w, geometry: g))
}

/// Backward pass of a convolutional layer, by loops.
///
/// Every term w[f, c, di, dj] · xpad[n, c, i · stride + di, j · stride + dj] of the forward sum sends
/// dout[n, f, i, j] times the other factor back to each factor: to dw[f, c, di, dj] and to the input
/// position it read (nothing to positions in the padding). Where windows overlap, the contributions add.
///
/// - Parameters:
///   - dout: the upstream gradient dL/dout, shape (N, F, H', W').
///   - cache: from ``convForwardNaive(_:_:_:stride:padding:)``.
/// - Returns: `dx` (N, C, H, W), `dw` (F, C, HH, WW) and `db` (F,).
/// - Throws: ``ConvolutionalNetworkError/upstreamShapeMismatch(layer:expected:got:)`` when `dout` is not
///   the shape of the forward output.
public func convBackwardNaive(_ dout: Tensor, cache: ConvolutionCache) throws -> (dx: Tensor, dw: Tensor, db: Tensor) {
    let (x, w, g) = (cache.x, cache.w, cache.geometry)
    try checkUpstreamGradient(dout, batchSize: x.shape[0], channels: w.shape[0], g, layer: "convBackwardNaive")
    let (n, f) = (x.shape[0], w.shape[0])
    let (c, h, wd, hh, ww) = (g.channels, g.height, g.width, g.filterHeight, g.filterWidth)
    let (ho, wo, stride, padding) = (g.outputHeight, g.outputWidth, g.stride, g.padding)
    let xs = x.storage, ws = w.storage, ds = dout.storage
    var dx = [Double](repeating: 0, count: x.count)
    var dw = [Double](repeating: 0, count: w.count)
    var db = [Double](repeating: 0, count: f)
    for image in 0 ..< n {
        for filter in 0 ..< f {
            for i in 0 ..< ho {
                for j in 0 ..< wo {
                    let upstream = ds[((image * f + filter) * ho + i) * wo + j]
                    db[filter] += upstream
                    for channel in 0 ..< c {
                        for di in 0 ..< hh {
                            let row = i * stride + di - padding
                            guard row >= 0 && row < h else { continue }
                            for dj in 0 ..< ww {
                                let column = j * stride + dj - padding
                                guard column >= 0 && column < wd else { continue }
                                let wIndex = ((filter * c + channel) * hh + di) * ww + dj
                                let xIndex = ((image * c + channel) * h + row) * wd + column
                                dw[wIndex] += xs[xIndex] * upstream
                                dx[xIndex] += ws[wIndex] * upstream
                            }
                        }
                    }
                }
            }
        }
    }
    return (Tensor(shape: x.shape, dx), Tensor(shape: w.shape, dw), Tensor(shape: [f], db))
}
