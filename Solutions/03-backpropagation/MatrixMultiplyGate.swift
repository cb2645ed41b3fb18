import LinearAlgebra
import GradientCheck

// Chapter 3: backpropagation on computational graphs. This file: a vector gate, the matrix product.
//
// When the values on a graph's edges are matrices, a gate's backward pass still returns dL/d(input)
// for each input, now with the shape of that input. For out = x W the gradients are products again,
// and the shapes leave only one way to write them: dx = dout Wᵀ and dW = xᵀ dout. Source: the lecture
// "Backpropagation and Neural Networks" (vectorised operations, a vectorised example, "check the
// shapes").

/// out = x W, the matrix-multiply gate: the scores of a linear classifier, the pre-activations of a
/// fully connected layer.
///
/// Shapes: x: (N, D), W: (D, M), out: (N, M); backward takes dout = dL/d(out): (N, M) and returns
/// dx = dout Wᵀ: (N, D) and dW = xᵀ dout: (D, M). Each gradient has the shape of what it is the
/// gradient of, which is a quick check on any backward pass.
public struct MatrixMultiplyGate: Sendable {
    /// The inputs (x, W) of the last forward pass; `nil` before the first.
    public internal(set) var cachedInputs: (x: Matrix, weights: Matrix)?

    public init() {}

    // MARK: Exercises

    /// Returns out = x W, shape (N, M), and caches x and W for the backward pass.
    ///
    /// - Parameters:
    ///   - x: shape (N, D).
    ///   - weights: W, shape (D, M).
    /// - Throws: ``BackpropError/innerDimensionMismatch(x:weights:)`` unless `x.cols == weights.rows`.
    public mutating func forward(_ x: Matrix, _ weights: Matrix) throws -> Matrix {
        try checkInnerDimensions(x, weights)
        cachedInputs = (x, weights)
        return matmul(x, weights)
    }

    /// Given dout = dL/d(out), shape (N, M), returns dx = dout Wᵀ, shape (N, D), and dW = xᵀ dout, shape (D, M).
    ///
    /// - Throws: ``BackpropError/backwardBeforeForward(gate:)``, or
    ///   ``BackpropError/upstreamShapeMismatch(gate:expected:got:)`` unless dout is (N, M).
    public func backward(_ upstream: Matrix) throws -> (dx: Matrix, dW: Matrix) {
        let (x, weights) = try checkUpstream(upstream)
        return (matmul(upstream, weights, transposeB: true), matmul(x, upstream, transposeA: true))
    }

    // MARK: Given: input checks

    /// Throws unless x (N, D) and W (D, M) can be multiplied.
    func checkInnerDimensions(_ x: Matrix, _ weights: Matrix) throws {
        guard x.cols == weights.rows else {
            throw BackpropError.innerDimensionMismatch(x: x.shapeDescription, weights: weights.shapeDescription)
        }
    }

    /// The cached (x, W), after checking that a forward pass ran and that `upstream` is (N, M).
    func checkUpstream(_ upstream: Matrix) throws -> (x: Matrix, weights: Matrix) {
        guard let (x, weights) = cachedInputs else { throw BackpropError.backwardBeforeForward(gate: "x W") }
        guard upstream.rows == x.rows && upstream.cols == weights.cols else {
            throw BackpropError.upstreamShapeMismatch(gate: "x W", expected: "(\(x.rows), \(weights.cols))",
                                                      got: upstream.shapeDescription)
        }
        return (x, weights)
    }
}
