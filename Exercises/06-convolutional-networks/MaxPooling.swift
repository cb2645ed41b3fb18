import LinearAlgebra
import GradientCheck

// Chapter 6: the max-pooling layer, written as loops ("naive"), forward and backward.
//
// Pooling shrinks each activation map on its own, channel by channel: a window slides over the map
// and keeps only its largest entry. It has no parameters. Source: the lecture "Convolutional Neural
// Networks" (pooling layer, max pooling with 2 x 2 filters and stride 2).

/// What ``maxPoolBackwardNaive(_:cache:)`` needs from the forward pass: the input and the windows.
public struct MaxPoolCache: Sendable {
    /// The input, (N, C, H, W).
    public let x: Tensor
    /// The windows (``ConvolutionGeometry/filterHeight`` x ``ConvolutionGeometry/filterWidth``), the
    /// stride, and no padding.
    public let geometry: ConvolutionGeometry

    public init(x: Tensor, geometry: ConvolutionGeometry) {
        self.x = x
        self.geometry = geometry
    }
}

/// Forward pass of a max-pooling layer, by loops: out[n, c, i, j] is the largest entry of the window
/// of x[n, c] whose top-left corner is at (i · stride, j · stride).
///
/// - Parameters:
///   - x: input, shape (N, C, H, W).
///   - poolHeight: window rows.
///   - poolWidth: window columns.
///   - stride: the step between neighbouring windows; windows overlap when it is smaller than the window.
/// - Returns: `out`, shape (N, C, H', W') with H' = (H − poolHeight) / stride + 1 and
///   W' = (W − poolWidth) / stride + 1, and the cache for ``maxPoolBackwardNaive(_:cache:)``.
/// - Throws: `ConvolutionGeometryError` when the windows do not fit the input (H' or W' not an integer,
///   or a window larger than the input); ``ConvolutionalNetworkError/notImages(layer:name:shape:)``.
/// - Source: the lecture "Convolutional Neural Networks", the pooling layer.
public func maxPoolForwardNaive(_ x: Tensor, poolHeight: Int = 2, poolWidth: Int = 2, stride: Int = 2) throws
    -> (out: Tensor, cache: MaxPoolCache) {
    _ = try checkPoolingInput(x, poolHeight: poolHeight, poolWidth: poolWidth, stride: stride, layer: "maxPoolForwardNaive")
    // The check returns the geometry: write `let g = try checkPoolingInput(…)` to use it.
    // out has shape (N, C, g.outputHeight, g.outputWidth): for each image, channel and (i, j), the
    // largest x[n, c, i * stride + di, j * stride + dj] over 0 ..< poolHeight and 0 ..< poolWidth.
    // Return it with MaxPoolCache(x: x, geometry: g).
    throw NotImplemented()
}

/// Backward pass of a max-pooling layer, by loops: each window passes its upstream gradient to the
/// entry that was its maximum, and nothing to the others. When several entries tie for the maximum,
/// the first in row-major order (smallest row, then smallest column) gets it. Where windows overlap,
/// an entry that is the maximum of several windows receives the sum of their gradients.
///
/// - Parameters:
///   - dout: the upstream gradient, shape (N, C, H', W').
///   - cache: from ``maxPoolForwardNaive(_:poolHeight:poolWidth:stride:)``.
/// - Returns: `dx`, shape (N, C, H, W).
/// - Throws: ``ConvolutionalNetworkError/upstreamShapeMismatch(layer:expected:got:)``.
public func maxPoolBackwardNaive(_ dout: Tensor, cache: MaxPoolCache) throws -> Tensor {
    try checkUpstreamGradient(dout, batchSize: cache.x.shape[0], channels: cache.x.shape[1], cache.geometry,
                              layer: "maxPoolBackwardNaive")
    // Start from dx = 0. For each window, find its maximum again (keep the first one: replace it only
    // by a strictly larger entry) and add the window's dout to dx at that position (+=, not =: with
    // overlapping windows one entry can be the maximum of several).
    throw NotImplemented()
}
