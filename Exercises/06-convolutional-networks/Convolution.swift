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
    _ = try checkConvolutionInputs(x, w, b, stride: stride, padding: padding, layer: "convForwardNaive")
    // The check returns the geometry: write `let g = try checkConvolutionInputs(…)` to use it.
    // out has shape (N, F, g.outputHeight, g.outputWidth). For each image n, filter f and output
    // position (i, j): start from b[f], and add w[f, c, di, dj] * x[n, c, i * stride + di - padding, j * stride + dj - padding]
    // over c, di, dj, skipping the positions that fall into the padding (they are zeros).
    // Return the output with ConvolutionCache(x: x, w: w, geometry: g).
    throw NotImplemented()
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
    try checkUpstreamGradient(dout, batchSize: cache.x.shape[0], channels: cache.w.shape[0], cache.geometry,
                              layer: "convBackwardNaive")
    // Walk the same loops as the forward pass. Each term w[f, c, di, dj] * x[n, c, row, column] adds
    // x * dout[n, f, i, j] to dw[f, c, di, dj] and w * dout[n, f, i, j] to dx[n, c, row, column];
    // db[f] is the sum of dout[n, f, i, j] over n, i and j.
    throw NotImplemented()
}
