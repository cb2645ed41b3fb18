import Foundation
import LinearAlgebra

// Given code of chapter 4 (Exercises/04-neural-networks), used by chapters 5 and 6 too: the errors of the layers, models and
// optimisers, the checks that throw them, and the views of a `Tensor` as a `Matrix` that the layers
// compute with. `Tensor` holds the shapes; `Matrix` has the arithmetic (`+`, `*`, `exp`, `maximum`,
// `sum(axis:)`, `matmul`), and the two convert without copying.

/// What the layers, `TwoLayerNet`, the update rules, the initializations and `lbfgs` throw on input
/// that does not fit. Every case names the operation and the values involved.
public enum NeuralNetworkError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Two shapes that must agree do not, e.g. `affineForward: x (2, 3) needs w with 3 rows, not (4, 5)`.
    case shapeMismatch(operation: String, expected: String, actual: String)
    /// A batch of no examples, which has no mean loss.
    case emptyBatch(operation: String)
    /// The number of labels is not the batch size.
    case labelCount(operation: String, labels: Int, batchSize: Int)
    /// A label outside 0 ..< classes, with its position in the batch.
    case labelOutOfRange(operation: String, label: Int, index: Int, classes: Int)
    /// A setting outside its range, e.g. a hidden size of 0 or a memory of 0 for L-BFGS.
    case invalidSetting(name: String, value: String, requirement: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(operation, expected, actual):
            return "\(operation): expected \(expected), got \(actual)"
        case let .emptyBatch(operation):
            return "\(operation): the batch is empty (N = 0)"
        case let .labelCount(operation, labels, batchSize):
            return "\(operation): \(labels) labels for a batch of \(batchSize)"
        case let .labelOutOfRange(operation, label, index, classes):
            return "\(operation): label \(label) of example \(index) is outside 0 ..< \(classes)"
        case let .invalidSetting(name, value, requirement):
            return "\(name) = \(value): it must be \(requirement)"
        }
    }
}

// MARK: - Checks

/// Throws unless `a` and `b` have the same shape.
public func checkSameShape(_ a: Tensor, _ b: Tensor, _ operation: String, _ names: (String, String)) throws {
    guard a.shape == b.shape else {
        throw NeuralNetworkError.shapeMismatch(operation: operation,
                                               expected: "\(names.1) of the shape of \(names.0) \(a.shapeDescription)",
                                               actual: b.shapeDescription)
    }
}

/// Throws unless `scores` is (N, C) with N >= 1 and `labels` holds N labels in 0 ..< C.
public func checkScoresAndLabels(_ scores: Tensor, _ labels: [Int], _ operation: String) throws {
    guard scores.rank == 2 else {
        throw NeuralNetworkError.shapeMismatch(operation: operation, expected: "scores of shape (N, C)",
                                               actual: scores.shapeDescription)
    }
    let (n, c) = (scores.shape[0], scores.shape[1])
    guard n > 0 else { throw NeuralNetworkError.emptyBatch(operation: operation) }
    guard labels.count == n else {
        throw NeuralNetworkError.labelCount(operation: operation, labels: labels.count, batchSize: n)
    }
    if let index = labels.firstIndex(where: { !(0 ..< c).contains($0) }) {
        throw NeuralNetworkError.labelOutOfRange(operation: operation, label: labels[index], index: index, classes: c)
    }
}

/// Throws unless x (N, d1, …, dk), w (D, M) with D = d1 ⋯ dk, and b of M entries fit an affine layer.
public func checkAffineInputs(_ x: Tensor, _ w: Tensor, _ b: Tensor, _ operation: String) throws {
    guard x.rank >= 1, w.rank == 2 else {
        throw NeuralNetworkError.shapeMismatch(operation: operation, expected: "x (N, d1, …, dk) and w (D, M)",
                                               actual: "x \(x.shapeDescription) and w \(w.shapeDescription)")
    }
    let d = x.shape.dropFirst().reduce(1, *)
    guard w.shape[0] == d else {
        throw NeuralNetworkError.shapeMismatch(operation: operation,
                                               expected: "w with \(d) rows for x \(x.shapeDescription)",
                                               actual: "w \(w.shapeDescription)")
    }
    guard b.count == w.shape[1], b.rank <= 2, b.rank == 1 || b.shape.first == 1 else {
        throw NeuralNetworkError.shapeMismatch(operation: operation,
                                               expected: "b of shape (\(w.shape[1]),) or (1, \(w.shape[1]))",
                                               actual: "b \(b.shapeDescription)")
    }
}

// MARK: - Tensors as matrices (no copies)

extension Tensor {
    /// The batch as an (N, D) matrix: the first dimension kept, the others flattened (D = d1 ⋯ dk;
    /// D = 1 for a 1-D tensor).
    public var batchMatrix: Matrix {
        let n = shape.first ?? 1
        return Matrix(reshaping: self, rows: n, cols: n == 0 ? 0 : count / n)
    }

    /// All the entries as a (1, count) row, for elementwise arithmetic on any shape.
    public var flatMatrix: Matrix { Matrix(reshaping: self, rows: 1, cols: count) }

    /// The entries of `matrix` read as `shape`.
    public init(_ matrix: Matrix, shape: [Int]) { self.init(reshaping: matrix, shape: shape) }
}
