import Foundation
import LinearAlgebra
import GradientCheck

// Chapter 4: the affine (fully connected) layer and the affine–ReLU sandwich.
//
// Every layer is a pair: a forward pass that returns its output and a cache, and a backward pass that
// takes dL/d(output), "dout", with that cache and returns dL/d(each input). A cache holds what the
// backward needs and nothing else; a backward never recomputes the forward. A net is then a plain
// sequence of forward calls, and the same layers' backward calls in reverse: the computational graph
// of chapter 3, one node per layer.
// Source: the lecture "Neural Networks: Architecture" (a layer of neurons is a matrix product) and
// "Backpropagation" (the gradient of a matrix product, the modular forward/backward API).

/// What ``affineBackward(_:cache:)`` needs from the forward pass: its three inputs.
public struct AffineCache: Sendable {
    /// The input as given, shape (N, d1, …, dk).
    public let x: Tensor
    /// The weights, shape (D, M).
    public let w: Tensor
    /// The biases, shape (M,) or (1, M).
    public let b: Tensor
}

/// Forward pass of an affine (fully connected) layer: out = x w + b.
///
/// - Parameters:
///   - x: inputs, shape (N, d1, …, dk); each example is flattened to a row of D = d1 ⋯ dk entries, so
///     an (N, C, H, W) image batch or a pooling layer's output feeds the layer directly.
///   - w: weights, shape (D, M).
///   - b: biases, shape (M,) (or (1, M)), added to every example's row.
/// - Returns: `out`, shape (N, M), and the cache ``affineBackward(_:cache:)`` needs.
/// - Throws: ``NeuralNetworkError/shapeMismatch(operation:expected:actual:)`` when w does not have D
///   rows or b does not have M entries.
/// - Source: the lecture "Neural Networks: Architecture": a fully connected layer is one matrix product.
public func affineForward(_ x: Tensor, _ w: Tensor, _ b: Tensor) throws -> (out: Tensor, cache: AffineCache) {
    try checkAffineInputs(x, w, b, "affineForward")
    let out = matmul(x.batchMatrix, w.batchMatrix) + b.flatMatrix         // (N, M)
    return (Tensor(out, shape: [out.rows, out.cols]), AffineCache(x: x, w: w, b: b))
}

/// Backward pass of an affine layer.
///
/// With out = x w + b: dx = dout wᵀ, dw = xᵀ dout and db = the sum of dout over the batch.
///
/// - Parameters:
///   - dout: dL/d(out), shape (N, M).
///   - cache: from ``affineForward(_:_:_:)``.
/// - Returns: `dx` of the shape of x (N, d1, …, dk), `dw` (D, M) and `db` of the shape of b.
/// - Throws: ``NeuralNetworkError/shapeMismatch(operation:expected:actual:)`` when dout is not (N, M).
/// - Source: the lecture "Backpropagation": the gradient of a matrix product (dimension analysis).
public func affineBackward(_ dout: Tensor, cache: AffineCache) throws -> (dx: Tensor, dw: Tensor, db: Tensor) {
    let expected = [cache.x.shape.first ?? 0, cache.w.shape[1]]
    guard dout.shape == expected else {
        throw NeuralNetworkError.shapeMismatch(operation: "affineBackward", expected: "dout of shape \(Tensor(shape: expected).shapeDescription)",
                                               actual: dout.shapeDescription)
    }
    let g = dout.batchMatrix                                                  // (N, M)
    let dx = matmul(g, cache.w.batchMatrix, transposeB: true)                 // (N, D)
    let dw = matmul(cache.x.batchMatrix, g, transposeA: true)                 // (D, M)
    let db = g.sum(axis: 0)                                                   // (1, M)
    return (Tensor(dx, shape: cache.x.shape), Tensor(dw, shape: cache.w.shape), Tensor(db, shape: cache.b.shape))
}

// MARK: - Affine–ReLU sandwich

/// What ``affineReLUBackward(_:cache:)`` needs: the caches of its two layers.
public struct AffineReLUCache: Sendable {
    /// The affine layer's cache.
    public let affine: AffineCache
    /// The ReLU's cache.
    public let relu: ReLUCache
}

/// Forward pass of an affine layer followed by a ReLU: out = max(0, x w + b), the hidden layer of a
/// fully connected net.
///
/// - Parameters:
///   - x: inputs, shape (N, d1, …, dk), flattened to (N, D).
///   - w: weights, shape (D, M).
///   - b: biases, shape (M,) (or (1, M)).
/// - Returns: `out`, shape (N, M), and both layers' caches.
/// - Throws: what ``affineForward(_:_:_:)`` throws.
/// - Source: the lecture "Neural Networks: Architecture" (a hidden layer is affine, then a nonlinearity).
public func affineReLUForward(_ x: Tensor, _ w: Tensor, _ b: Tensor) throws -> (out: Tensor, cache: AffineReLUCache) {
    let (a, affineCache) = try affineForward(x, w, b)
    let (out, reluCache) = try reluForward(a)
    return (out, AffineReLUCache(affine: affineCache, relu: reluCache))
}

/// Backward pass of the affine–ReLU sandwich: the ReLU's backward, then the affine layer's.
///
/// - Parameters:
///   - dout: dL/d(out), shape (N, M).
///   - cache: from ``affineReLUForward(_:_:_:)``.
/// - Returns: `dx` of the shape of x, `dw` (D, M) and `db` of the shape of b.
/// - Throws: what ``reluBackward(_:cache:)`` and ``affineBackward(_:cache:)`` throw.
public func affineReLUBackward(_ dout: Tensor, cache: AffineReLUCache) throws -> (dx: Tensor, dw: Tensor, db: Tensor) {
    let da = try reluBackward(dout, cache: cache.relu)
    return try affineBackward(da, cache: cache.affine)
}
