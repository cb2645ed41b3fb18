import LinearAlgebra
import GradientCheck

// Chapter 3: backpropagation on computational graphs. This file: the lecture's loss implementation
// exercise, the multiclass SVM loss of a linear classifier written as a graph of stages.
//
// The forward pass is a sequence of cells, each computing one intermediate from the previous ones
// (scores, margins, data loss, regularization loss, loss); the backward pass walks the same cells in
// reverse, each computing the gradient of the loss with respect to one intermediate (dmargins, dscores,
// dW). The result is chapter 2's vectorized SVM loss, arrived at by backpropagation instead of by
// differentiating the formula. Source: the lecture "Backpropagation and Neural Networks" (the
// implementation exercise for the SVM loss), and the lecture "Loss Functions and Optimization".
//
// Conventions, the same as chapter 2: x: (N, D), W: (D, C), labels y_i in 0 ..< C, margin 1, the data
// loss is the mean over the N examples, and the regularization loss is reg * Σ W^2 (no factor 1/2).

/// The forward cells of ``svmLossStagedForward(weights:x:y:reg:)``, with the inputs the backward cells need.
public struct SVMForwardCells: Sendable {
    /// The inputs: x: (N, D), W: (D, C), the N labels, and the regularization strength.
    public let x: Matrix, weights: Matrix, y: [Int], reg: Double
    /// Cell 1: scores = x W, shape (N, C).
    public let scores: Matrix
    /// Cell 2: margins[i, j] = max(0, scores[i, j] - scores[i, y_i] + 1) for j != y_i, and 0 at j = y_i;
    /// shape (N, C).
    public let margins: Matrix
    /// Cell 3: the data loss, Σ margins / N.
    public let dataLoss: Double
    /// Cell 4: the regularization loss, reg * Σ W^2.
    public let regLoss: Double
    /// Cell 5: the loss, data loss + regularization loss.
    public let loss: Double
}

/// The backward cells of ``svmLossStagedBackward(_:)``: the gradient of the loss with respect to each
/// intermediate, in the order they are computed.
public struct SVMBackwardCells: Sendable {
    /// Cell 1: dL/dmargins, shape (N, C): 1/N at every j != y_i; 0 at j = y_i, where the "margin" is the
    /// constant 0 and nothing flows back.
    public let dmargins: Matrix
    /// Cell 2: dL/dscores, shape (N, C). Through max(0, ·) the gradient passes only where the margin is
    /// positive; score j != y_i receives it with a plus sign, the correct score s_{y_i} with a minus sign
    /// from every positive margin of its row.
    public let dscores: Matrix
    /// Cell 3: dL/dW, shape (D, C): the matrix-multiply gate's xᵀ dscores, plus 2 reg W from the
    /// regularization loss.
    public let dW: Matrix
}

// MARK: - Exercises

/// The forward cells of the multiclass SVM loss of a linear classifier.
///
/// - Parameters:
///   - weights: W, shape (D, C).
///   - x: examples, shape (N, D), N >= 1.
///   - y: their N labels, in 0 ..< C.
///   - reg: the regularization strength.
/// - Returns: the five cells, and the inputs, for ``svmLossStagedBackward(_:)``.
/// - Throws: ``BackpropError/innerDimensionMismatch(x:weights:)``, ``BackpropError/emptyBatch``,
///   ``BackpropError/labelCountMismatch(examples:labels:)`` or ``BackpropError/labelOutOfRange(label:classes:)``.
public func svmLossStagedForward(weights: Matrix, x: Matrix, y: [Int], reg: Double) throws -> SVMForwardCells {
    try checkSVMInputs(weights: weights, x: x, y: y)
    let n = Double(x.rows)
    // Cell 1: scores (N, C).
    let scores = matmul(x, weights)
    // Cell 2: margins (N, C), the correct score of each row broadcast across its classes.
    let correctScores = Matrix(column: y.indices.map { scores[$0, y[$0]] })
    var margins = (scores - correctScores + 1).maximum(0)
    for i in y.indices { margins[i, y[i]] = 0 }
    // Cells 3 to 5: the losses.
    let dataLoss = margins.sum() / n
    let regLoss = reg * weights.squared.sum()
    return SVMForwardCells(x: x, weights: weights, y: y, reg: reg, scores: scores, margins: margins,
                           dataLoss: dataLoss, regLoss: regLoss, loss: dataLoss + regLoss)
}

/// The backward cells of the multiclass SVM loss: from dL/dL = 1 back through each forward cell.
///
/// - Parameter forward: the result of ``svmLossStagedForward(weights:x:y:reg:)``.
/// - Returns: dmargins (N, C), dscores (N, C) and dW (D, C).
public func svmLossStagedBackward(_ forward: SVMForwardCells) throws -> SVMBackwardCells {
    let (n, y) = (forward.x.rows, forward.y)
    // Cell 1: dmargins. The data loss is a mean, so each margin's gradient is 1/N.
    var dmargins = Matrix(rows: n, cols: forward.margins.cols, repeating: 1 / Double(n))
    for i in y.indices { dmargins[i, y[i]] = 0 }
    // Cell 2: dscores. max(0, ·) passes the gradient where the margin is positive; each positive margin
    // of row i also subtracts it from the correct score s_{y_i}.
    var dscores = dmargins * forward.margins.map { $0 > 0 ? 1 : 0 }
    let rowTotals = dscores.sum(axis: 1)
    for i in y.indices { dscores[i, y[i]] = -rowTotals[i, 0] }
    // Cell 3: dW, through the matrix product scores = x W and the regularization loss.
    let dW = matmul(forward.x, dscores, transposeA: true) + 2 * forward.reg * forward.weights
    return SVMBackwardCells(dmargins: dmargins, dscores: dscores, dW: dW)
}

// MARK: - Given

/// The multiclass SVM loss and its gradient, by the staged forward and backward cells: the same
/// numbers as chapter 2's `svmLossVectorized(weights:x:y:reg:)`.
/// - Returns: the loss and dW, shape (D, C).
/// - Throws: the errors of ``svmLossStagedForward(weights:x:y:reg:)``.
public func svmLossStaged(weights: Matrix, x: Matrix, y: [Int], reg: Double) throws -> (loss: Double, dW: Matrix) {
    let forward = try svmLossStagedForward(weights: weights, x: x, y: y, reg: reg)
    return (forward.loss, try svmLossStagedBackward(forward).dW)
}
