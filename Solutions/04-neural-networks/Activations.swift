import Foundation
import LinearAlgebra
import GradientCheck

// Chapter 4: activation functions, each a forward/backward pair on tensors of any shape.
//
// A nonlinearity between two affine layers is what makes a net more than a linear classifier (two
// affine layers in a row are one affine layer). The lecture's list:
//   sigmoid σ(x) = 1 / (1 + e^-x), squashing into (0, 1) (inline question 1 asks for its problems);
//   tanh, squashing into (-1, 1): 2 σ(2x) - 1;
//   ReLU max(0, x): cheap, and it does not saturate for x > 0 (inline question 3 asks what a dead one is);
//   leaky ReLU max(0.01 x, x): keeps a small gradient for x < 0;
//   ELU: x for x > 0, alpha (e^x - 1) below, negative outputs that saturate smoothly;
//   maxout max(x w1 + b1, x w2 + b2): generalises ReLU and leaky ReLU, at twice the parameters.
// At a kink (x = 0 exactly) the workbook takes the derivative from the left-hand piece: ReLU's
// gradient at 0 is 0 and leaky ReLU's is the slope.
// Sources: the lecture "Training Neural Networks I" (activation functions); Maas et al. 2013 (leaky
// ReLU), Clevert et al. 2016 (ELU), Goodfellow et al. 2013 (maxout).

// MARK: - ReLU

/// What ``reluBackward(_:cache:)`` needs: the input.
public struct ReLUCache: Sendable {
    /// The input x, any shape.
    public let x: Tensor
}

/// Forward pass of a ReLU layer: out = max(0, x), elementwise.
///
/// - Parameter x: any shape.
/// - Returns: `out`, the shape of `x`, and the cache ``reluBackward(_:cache:)`` needs (the input).
/// - Throws: nothing once written (a stub throws `NotImplemented`).
/// - Source: the lecture "Training Neural Networks I"; Nair & Hinton 2010, Krizhevsky et al. 2012.
public func reluForward(_ x: Tensor) throws -> (out: Tensor, cache: ReLUCache) {
    (Tensor(x.flatMatrix.maximum(0), shape: x.shape), ReLUCache(x: x))
}

/// Backward pass of a ReLU layer: dx = dout where x > 0, and 0 elsewhere (0 at x = 0 exactly).
///
/// - Parameters:
///   - dout: dL/d(out), the shape of x.
///   - cache: from ``reluForward(_:)``.
/// - Returns: dx, the shape of x.
/// - Throws: ``NeuralNetworkError/shapeMismatch(operation:expected:actual:)`` when dout is not the shape of x.
public func reluBackward(_ dout: Tensor, cache: ReLUCache) throws -> Tensor {
    try checkSameShape(cache.x, dout, "reluBackward", ("x", "dout"))
    // dout where x > 0, in one pass (a 0/1 mask matrix times dout is the same, with a temporary).
    let values = cache.x.withUnsafeBufferPointer { x in
        dout.withUnsafeBufferPointer { g in
            [Double](unsafeUninitializedCapacity: g.count) { dx, initialized in
                // Plain pointers, so that the loop below is vectorised: through the buffer passed
                // inout, each store would reload its address.
                if let input = x.baseAddress, let upstream = g.baseAddress, let output = dx.baseAddress {
                    Parallelism.forEachChunk(of: g.count) { chunk in
                        for i in chunk { output[i] = input[i] > 0 ? upstream[i] : 0 }
                    }
                }
                initialized = g.count
            }
        }
    }
    return Tensor(shape: dout.shape, values)
}

// MARK: - Leaky ReLU

/// What ``leakyReLUBackward(_:cache:)`` needs: the input and the slope.
public struct LeakyReLUCache: Sendable {
    /// The input x, any shape.
    public let x: Tensor
    /// The slope for x <= 0.
    public let slope: Double
}

/// Forward pass of a leaky ReLU: out = x for x > 0 and slope · x otherwise, elementwise.
///
/// - Parameters:
///   - x: any shape.
///   - slope: the slope of the negative part, 0.01 by default (Maas et al. 2013).
/// - Returns: `out`, the shape of `x`, and the cache ``leakyReLUBackward(_:cache:)`` needs.
/// - Throws: nothing once written (a stub throws `NotImplemented`).
public func leakyReLUForward(_ x: Tensor, slope: Double = 0.01) throws -> (out: Tensor, cache: LeakyReLUCache) {
    let out = x.flatMatrix.map { $0 > 0 ? $0 : slope * $0 }
    return (Tensor(out, shape: x.shape), LeakyReLUCache(x: x, slope: slope))
}

/// Backward pass of a leaky ReLU: dx = dout where x > 0 and slope · dout elsewhere (the slope at x = 0).
///
/// - Parameters:
///   - dout: dL/d(out), the shape of x.
///   - cache: from ``leakyReLUForward(_:slope:)``.
/// - Returns: dx, the shape of x.
/// - Throws: ``NeuralNetworkError/shapeMismatch(operation:expected:actual:)`` when dout is not the shape of x.
public func leakyReLUBackward(_ dout: Tensor, cache: LeakyReLUCache) throws -> Tensor {
    try checkSameShape(cache.x, dout, "leakyReLUBackward", ("x", "dout"))
    let slope = cache.slope
    let local = cache.x.flatMatrix.map { $0 > 0 ? 1 : slope }
    return Tensor(dout.flatMatrix * local, shape: dout.shape)
}

// MARK: - ELU

/// What ``eluBackward(_:cache:)`` needs: the input and alpha.
public struct ELUCache: Sendable {
    /// The input x, any shape.
    public let x: Tensor
    /// The scale of the negative part.
    public let alpha: Double
}

/// Forward pass of an exponential linear unit: out = x for x > 0 and alpha · (e^x − 1) otherwise.
///
/// - Parameters:
///   - x: any shape.
///   - alpha: the negative saturation value (out → −alpha as x → −∞), 1 by default.
/// - Returns: `out`, the shape of `x`, and the cache ``eluBackward(_:cache:)`` needs.
/// - Throws: nothing once written (a stub throws `NotImplemented`).
/// - Source: Clevert, Unterthiner & Hochreiter 2016, "Fast and accurate deep network learning by ELUs".
public func eluForward(_ x: Tensor, alpha: Double = 1) throws -> (out: Tensor, cache: ELUCache) {
    let out = x.flatMatrix.map { $0 > 0 ? $0 : alpha * (Foundation.exp($0) - 1) }
    return (Tensor(out, shape: x.shape), ELUCache(x: x, alpha: alpha))
}

/// Backward pass of an ELU: dx = dout where x > 0 and dout · alpha · e^x elsewhere.
///
/// - Parameters:
///   - dout: dL/d(out), the shape of x.
///   - cache: from ``eluForward(_:alpha:)``.
/// - Returns: dx, the shape of x.
/// - Throws: ``NeuralNetworkError/shapeMismatch(operation:expected:actual:)`` when dout is not the shape of x.
public func eluBackward(_ dout: Tensor, cache: ELUCache) throws -> Tensor {
    try checkSameShape(cache.x, dout, "eluBackward", ("x", "dout"))
    let alpha = cache.alpha
    let local = cache.x.flatMatrix.map { $0 > 0 ? 1 : alpha * Foundation.exp($0) }
    return Tensor(dout.flatMatrix * local, shape: dout.shape)
}

// MARK: - Sigmoid

/// What ``sigmoidBackward(_:cache:)`` needs: the output, since σ'(x) = σ(x) (1 − σ(x)).
public struct SigmoidCache: Sendable {
    /// The output σ(x), the shape of x.
    public let out: Tensor
}

/// Forward pass of a sigmoid layer: out = σ(x) = 1 / (1 + e^−x), elementwise, in (0, 1).
///
/// Computed without overflow for any finite x: for x < 0 as e^x / (1 + e^x).
/// - Parameter x: any shape.
/// - Returns: `out`, the shape of `x`, and the cache ``sigmoidBackward(_:cache:)`` needs (the output).
/// - Throws: nothing once written (a stub throws `NotImplemented`).
public func sigmoidForward(_ x: Tensor) throws -> (out: Tensor, cache: SigmoidCache) {
    let out = Tensor(x.flatMatrix.map { value -> Double in
        if value >= 0 { return 1 / (1 + Foundation.exp(-value)) }
        let e = Foundation.exp(value)
        return e / (1 + e)
    }, shape: x.shape)
    return (out, SigmoidCache(out: out))
}

/// Backward pass of a sigmoid layer: dx = dout · σ(x) · (1 − σ(x)).
///
/// - Parameters:
///   - dout: dL/d(out), the shape of x.
///   - cache: from ``sigmoidForward(_:)``.
/// - Returns: dx, the shape of x.
/// - Throws: ``NeuralNetworkError/shapeMismatch(operation:expected:actual:)`` when dout is not the shape of x.
/// - Source: the lecture "Backpropagation" (the sigmoid gate's local gradient).
public func sigmoidBackward(_ dout: Tensor, cache: SigmoidCache) throws -> Tensor {
    try checkSameShape(cache.out, dout, "sigmoidBackward", ("x", "dout"))
    let s = cache.out.flatMatrix
    return Tensor(dout.flatMatrix * s * (1 - s), shape: dout.shape)
}

// MARK: - tanh

/// What ``tanhBackward(_:cache:)`` needs: the output, since tanh'(x) = 1 − tanh²(x).
public struct TanhCache: Sendable {
    /// The output tanh(x), the shape of x.
    public let out: Tensor
}

/// Forward pass of a tanh layer: out = tanh(x), elementwise, in (−1, 1).
///
/// - Parameter x: any shape.
/// - Returns: `out`, the shape of `x`, and the cache ``tanhBackward(_:cache:)`` needs (the output).
/// - Throws: nothing once written (a stub throws `NotImplemented`).
public func tanhForward(_ x: Tensor) throws -> (out: Tensor, cache: TanhCache) {
    let out = Tensor(x.flatMatrix.map { Foundation.tanh($0) }, shape: x.shape)
    return (out, TanhCache(out: out))
}

/// Backward pass of a tanh layer: dx = dout · (1 − tanh²(x)).
///
/// - Parameters:
///   - dout: dL/d(out), the shape of x.
///   - cache: from ``tanhForward(_:)``.
/// - Returns: dx, the shape of x.
/// - Throws: ``NeuralNetworkError/shapeMismatch(operation:expected:actual:)`` when dout is not the shape of x.
public func tanhBackward(_ dout: Tensor, cache: TanhCache) throws -> Tensor {
    try checkSameShape(cache.out, dout, "tanhBackward", ("x", "dout"))
    let t = cache.out.flatMatrix
    return Tensor(dout.flatMatrix * (1 - t.squared), shape: dout.shape)
}

// MARK: - Maxout

/// What ``maxoutBackward(_:cache:)`` needs: the input, both pieces' weights, and which piece won.
public struct MaxoutCache: Sendable {
    /// The input as given, shape (N, d1, …, dk).
    public let x: Tensor
    /// The first piece's weights (D, M) and biases (M,).
    public let w1: Tensor, b1: Tensor
    /// The second piece's weights (D, M) and biases (M,).
    public let w2: Tensor, b2: Tensor
    /// 1 where the first piece won (ties included), 0 where the second did, shape (N, M).
    public let firstWins: Matrix
}

/// Forward pass of a maxout layer with two linear pieces: out = max(x w1 + b1, x w2 + b2), elementwise.
///
/// - Parameters:
///   - x: inputs, shape (N, d1, …, dk), flattened to (N, D).
///   - w1: the first piece's weights, shape (D, M); b1 its biases, shape (M,) (or (1, M)).
///   - w2: the second piece's weights, shape (D, M); b2 its biases, shape (M,) (or (1, M)).
/// - Returns: `out`, shape (N, M), and the cache ``maxoutBackward(_:cache:)`` needs. On a tie the
///   first piece counts as the larger.
/// - Throws: ``NeuralNetworkError/shapeMismatch(operation:expected:actual:)`` when a piece does not fit x.
/// - Source: Goodfellow, Warde-Farley, Mirza, Courville & Bengio 2013, "Maxout networks".
public func maxoutForward(_ x: Tensor, _ w1: Tensor, _ b1: Tensor, _ w2: Tensor, _ b2: Tensor) throws
    -> (out: Tensor, cache: MaxoutCache) {
    try checkAffineInputs(x, w1, b1, "maxoutForward")
    try checkAffineInputs(x, w2, b2, "maxoutForward")
    try checkSameShape(w1, w2, "maxoutForward", ("w1", "w2"))
    let xm = x.batchMatrix
    let z1 = matmul(xm, w1.batchMatrix) + b1.flatMatrix                       // (N, M)
    let z2 = matmul(xm, w2.batchMatrix) + b2.flatMatrix                       // (N, M)
    let firstWins = (z1 - z2).map { $0 >= 0 ? 1 : 0 }
    let out = z1 * firstWins + z2 * (1 - firstWins)
    return (Tensor(out, shape: [out.rows, out.cols]),
            MaxoutCache(x: x, w1: w1, b1: b1, w2: w2, b2: b2, firstWins: firstWins))
}

/// Backward pass of a maxout layer: each output's gradient goes to the piece that was larger (the
/// first on a tie), as through a max gate, and then through that piece's affine layer.
///
/// - Parameters:
///   - dout: dL/d(out), shape (N, M).
///   - cache: from ``maxoutForward(_:_:_:_:_:)``.
/// - Returns: `dx` of the shape of x, `dw1`, `db1`, `dw2`, `db2` of the shapes of w1, b1, w2, b2.
/// - Throws: ``NeuralNetworkError/shapeMismatch(operation:expected:actual:)`` when dout is not (N, M).
public func maxoutBackward(_ dout: Tensor, cache: MaxoutCache) throws
    -> (dx: Tensor, dw1: Tensor, db1: Tensor, dw2: Tensor, db2: Tensor) {
    let expected = [cache.firstWins.rows, cache.firstWins.cols]
    guard dout.shape == expected else {
        throw NeuralNetworkError.shapeMismatch(operation: "maxoutBackward", expected: "dout of shape \(cache.firstWins.shapeDescription)",
                                               actual: dout.shapeDescription)
    }
    let g = dout.batchMatrix
    let dz1 = g * cache.firstWins, dz2 = g * (1 - cache.firstWins)            // (N, M) each
    let xm = cache.x.batchMatrix
    let dx = matmul(dz1, cache.w1.batchMatrix, transposeB: true) + matmul(dz2, cache.w2.batchMatrix, transposeB: true)
    return (Tensor(dx, shape: cache.x.shape),
            Tensor(matmul(xm, dz1, transposeA: true), shape: cache.w1.shape), Tensor(dz1.sum(axis: 0), shape: cache.b1.shape),
            Tensor(matmul(xm, dz2, transposeA: true), shape: cache.w2.shape), Tensor(dz2.sum(axis: 0), shape: cache.b2.shape))
}
