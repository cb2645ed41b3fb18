import LinearAlgebra
import GradientCheck
import ConvolutionLayers

// Chapter 6: the "sandwich" layers of a convnet, conv – ReLU and conv – ReLU – 2 x 2 max pool, each a
// forward pass that runs its layers in order and keeps their caches, and a backward pass that runs the
// same layers' backward passes in reverse. The convolution and the pooling are the given fast layers
// (Sources/ConvolutionLayers); the ReLU is yours, from chapter 4. The fully connected sandwich,
// affine – ReLU, is chapter 4's `affineReLUForward` / `affineReLUBackward`.
// Source: the lecture "Convolutional Neural Networks" ([(CONV-RELU)*N-POOL?]*M-(FC-RELU)*K-SOFTMAX).

/// What ``convReLUBackward(_:cache:inputGradient:)`` needs: the caches of its two layers.
public struct ConvReLUCache: Sendable {
    /// The fast convolution's cache.
    public let convolution: FastConvolutionCache
    /// The ReLU's cache (chapter 4).
    public let relu: ReLUCache

    public init(convolution: FastConvolutionCache, relu: ReLUCache) {
        self.convolution = convolution
        self.relu = relu
    }
}

/// What ``convReLUPoolBackward(_:cache:inputGradient:)`` needs: the caches of its three layers.
public struct ConvReLUPoolCache: Sendable {
    /// The fast convolution's cache.
    public let convolution: FastConvolutionCache
    /// The ReLU's cache (chapter 4).
    public let relu: ReLUCache
    /// The fast max pooling's cache.
    public let pool: FastMaxPoolCache

    public init(convolution: FastConvolutionCache, relu: ReLUCache, pool: FastMaxPoolCache) {
        self.convolution = convolution
        self.relu = relu
        self.pool = pool
    }
}

/// Forward pass of a convolution followed by a ReLU: out = max(0, conv(x, w, b)).
///
/// - Parameters:
///   - x: images, shape (N, C, H, W).
///   - w: filters, shape (F, C, HH, WW).
///   - b: biases, F entries.
///   - stride: the convolution's stride.
///   - padding: the convolution's zero padding.
/// - Returns: `out`, shape (N, F, H', W'), and both layers' caches.
/// - Throws: what ``convForwardFast(_:_:_:stride:padding:)`` and `reluForward` throw.
public func convReLUForward(_ x: Tensor, _ w: Tensor, _ b: Tensor, stride: Int = 1, padding: Int = 0) throws
    -> (out: Tensor, cache: ConvReLUCache) {
    let (a, convolutionCache) = try convForwardFast(x, w, b, stride: stride, padding: padding)
    let (out, reluCache) = try reluForward(a)
    return (out, ConvReLUCache(convolution: convolutionCache, relu: reluCache))
}

/// Backward pass of the conv – ReLU sandwich: the ReLU's backward, then the convolution's.
///
/// - Parameters:
///   - dout: dL/d(out), shape (N, F, H', W').
///   - cache: from ``convReLUForward(_:_:_:stride:padding:)``.
///   - inputGradient: false for a first layer, whose input (the data) needs no gradient: dx is then nil
///     and the convolution's backward pass skips a third of its work (``convParameterGradientsFast(_:cache:)``).
/// - Returns: `dx` (N, C, H, W) or nil, `dw` (F, C, HH, WW) and `db` (F,).
/// - Throws: what the layers' backward passes throw.
public func convReLUBackward(_ dout: Tensor, cache: ConvReLUCache, inputGradient: Bool = true) throws
    -> (dx: Tensor?, dw: Tensor, db: Tensor) {
    let da = try reluBackward(dout, cache: cache.relu)
    return try convolutionBackward(da, cache: cache.convolution, inputGradient: inputGradient)
}

/// The fast convolution's backward pass, without dx when `inputGradient` is false.
private func convolutionBackward(_ da: Tensor, cache: FastConvolutionCache, inputGradient: Bool) throws
    -> (dx: Tensor?, dw: Tensor, db: Tensor) {
    if inputGradient {
        let (dx, dw, db) = try convBackwardFast(da, cache: cache)
        return (dx, dw, db)
    }
    let (dw, db) = try convParameterGradientsFast(da, cache: cache)
    return (nil, dw, db)
}

/// Forward pass of a convolution, a ReLU and a max pooling over non-overlapping windows:
/// out = maxpool(max(0, conv(x, w, b))).
///
/// - Parameters:
///   - x: images, shape (N, C, H, W).
///   - w: filters, shape (F, C, HH, WW).
///   - b: biases, F entries.
///   - stride: the convolution's stride.
///   - padding: the convolution's zero padding.
///   - poolSize: the pooling window's side and stride, 2 by default (the lecture's 2 x 2 at stride 2).
/// - Returns: `out`, shape (N, F, H' / poolSize, W' / poolSize), and the three layers' caches.
/// - Throws: what the three forward passes throw (a pool that does not tile the convolution's output
///   is a `ConvolutionGeometryError`).
public func convReLUPoolForward(_ x: Tensor, _ w: Tensor, _ b: Tensor, stride: Int = 1, padding: Int = 0, poolSize: Int = 2) throws
    -> (out: Tensor, cache: ConvReLUPoolCache) {
    // Max pooling and the ReLU commute: the largest of max(0, a_i) is max(0, the largest a_i), and the
    // gradient reaches the same entry (the first maximum, when it is positive) or none. So the ReLU runs
    // on the pooled maps, a quarter as many entries, forward and backward: the same numbers, bit for bit.
    let (a, convolutionCache) = try convForwardFast(x, w, b, stride: stride, padding: padding)
    let (pooled, poolCache) = try maxPoolForwardFast(a, poolHeight: poolSize, poolWidth: poolSize, stride: poolSize)
    let (out, reluCache) = try reluForward(pooled)
    return (out, ConvReLUPoolCache(convolution: convolutionCache, relu: reluCache, pool: poolCache))
}

/// Backward pass of the conv – ReLU – pool sandwich: its layers' backward passes, in the reverse of
/// the forward pass's order.
///
/// - Parameters:
///   - dout: dL/d(out), the shape of the forward output.
///   - cache: from ``convReLUPoolForward(_:_:_:stride:padding:poolSize:)``.
///   - inputGradient: false for a first layer: dx is then nil (see ``convReLUBackward(_:cache:inputGradient:)``).
/// - Returns: `dx` (N, C, H, W) or nil, `dw` (F, C, HH, WW) and `db` (F,).
/// - Throws: what the layers' backward passes throw.
public func convReLUPoolBackward(_ dout: Tensor, cache: ConvReLUPoolCache, inputGradient: Bool = true) throws
    -> (dx: Tensor?, dw: Tensor, db: Tensor) {
    // In the forward pass's order (pool, then ReLU; see convReLUPoolForward): the ReLU's backward on
    // the pooled maps, then the pooling's, then the convolution's.
    let dpooled = try reluBackward(dout, cache: cache.relu)
    let da = try maxPoolBackwardFast(dpooled, cache: cache.pool)
    return try convolutionBackward(da, cache: cache.convolution, inputGradient: inputGradient)
}
