import LinearAlgebra
import GradientCheck

// Chapter 2: regularization, the part of a linear classifier's loss that depends on the weights alone.
//
// The data loss only asks that the scores be right on the training images; many weight matrices do
// that equally well (if W has zero hinge loss, so has 2W). The regularization penalty R(W), weighted by
// the regularization strength lambda (also called weight decay), picks among them: L2 prefers many
// small weights, L1 prefers few nonzero ones, the elastic net mixes both.
// Source: the lecture "Loss functions and optimization" (regularization, L2, L1, elastic net).
//
// Convention: the penalty is lambda * R(W) with no factor 1/2, so the L2 gradient is 2 * lambda * W.
// The same convention holds in every loss of the workbook, in its loss and in its gradient.

/// A regularization penalty on the weights, added to the data loss.
///
/// For a weight matrix W of any shape and a strength lambda >= 0:
///
/// | case | penalty | gradient |
/// | --- | --- | --- |
/// | `l2` | lambda * sum W^2 | 2 * lambda * W |
/// | `l1` | lambda * sum \|W\| | lambda * sign(W) |
/// | `elasticNet(beta:)` | lambda * sum (beta * W^2 + \|W\|) | lambda * (2 * beta * W + sign(W)) |
///
/// |w| has no derivative at w = 0; the workbook uses sign(0) = 0 there (a subgradient), so a weight that
/// is exactly zero gets no push from the L1 part. Gradient checks must keep the weights away from 0.
public enum Regularization: Equatable, Sendable, CustomStringConvertible {
    /// Squared (Frobenius) norm: lambda * sum over all entries of W^2. The usual choice ("weight decay").
    case l2
    /// Absolute values: lambda * sum over all entries of |W|. Pushes weights to exactly zero.
    case l1
    /// The lecture's elastic net: lambda * sum over all entries of (beta * W^2 + |W|).
    case elasticNet(beta: Double)

    public var description: String {
        switch self {
        case .l2: return "L2"
        case .l1: return "L1"
        case let .elasticNet(beta): return "elastic net (beta \(beta))"
        }
    }

    // MARK: Exercises

    /// The penalty lambda * R(W), a scalar added to the mean data loss.
    ///
    /// - Parameters:
    ///   - weights: W, any shape (a classifier's is (D, C), bias row included).
    ///   - strength: lambda >= 0, the regularization strength.
    /// - Returns: the penalty from the table in ``Regularization`` (no factor 1/2).
    public func penalty(_ weights: Matrix, strength: Double) throws -> Double {
        // switch self { case .l2: ...; case .l1: ...; case let .elasticNet(beta): ... } and return the
        // table's formula: weights.squared.sum() is sum W^2, weights.magnitude.sum() is sum |W|.
        // Multiply by strength, and nothing else (no 1/2, no division by N).
        throw NotImplemented()
    }

    /// The gradient of ``penalty(_:strength:)`` with respect to W, with sign(0) = 0.
    ///
    /// - Parameters:
    ///   - weights: W, any shape.
    ///   - strength: lambda >= 0.
    /// - Returns: d(lambda * R(W)) / dW, the shape of `weights`.
    public func gradient(_ weights: Matrix, strength: Double) throws -> Matrix {
        // The derivative of each penalty, entry by entry: W^2 gives 2W, |W| gives sign(W).
        // sign(W) with sign(0) = 0 is weights.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }.
        // Keep it consistent with penalty(_:strength:): the gradient check in the tests compares them.
        throw NotImplemented()
    }
}
