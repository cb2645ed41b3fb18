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
    let g = try checkPoolingInput(x, poolHeight: poolHeight, poolWidth: poolWidth, stride: stride, layer: "maxPoolForwardNaive")
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (ho, wo) = (g.outputHeight, g.outputWidth)
    let xs = x.storage
    var out = [Double](repeating: 0, count: n * c * ho * wo)
    for plane in 0 ..< n * c {
        for i in 0 ..< ho {
            for j in 0 ..< wo {
                var best = -Double.infinity
                for di in 0 ..< poolHeight {
                    for dj in 0 ..< poolWidth {
                        best = max(best, xs[(plane * h + i * stride + di) * w + j * stride + dj])
                    }
                }
                out[(plane * ho + i) * wo + j] = best
            }
        }
    }
    return (Tensor(shape: [n, c, ho, wo], out), MaxPoolCache(x: x, geometry: g))
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
    let (x, g) = (cache.x, cache.geometry)
    try checkUpstreamGradient(dout, batchSize: x.shape[0], channels: x.shape[1], g, layer: "maxPoolBackwardNaive")
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (ho, wo, stride) = (g.outputHeight, g.outputWidth, g.stride)
    let xs = x.storage, ds = dout.storage
    var dx = [Double](repeating: 0, count: x.count)
    for plane in 0 ..< n * c {
        for i in 0 ..< ho {
            for j in 0 ..< wo {
                var (best, winner) = (-Double.infinity, -1)
                for di in 0 ..< g.filterHeight {
                    for dj in 0 ..< g.filterWidth {
                        let index = (plane * h + i * stride + di) * w + j * stride + dj
                        if winner < 0 || xs[index] > best { (best, winner) = (xs[index], index) }   // strict: the first maximum stays
                    }
                }
                dx[winner] += ds[(plane * ho + i) * wo + j]
            }
        }
    }
    return Tensor(shape: x.shape, dx)
}
