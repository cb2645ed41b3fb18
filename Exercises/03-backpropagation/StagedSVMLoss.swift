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
    // Cell 1: scores = x W, shape (N, C).
    // Cell 2: margins = max(0, scores - correct + 1), where `correct` is the (N, 1) column of each row's
    //   correct-class score scores[i, y[i]] (it broadcasts across the C classes); then set margins[i, y[i]] = 0.
    // Cell 3: dataLoss = sum of the margins / N.    Cell 4: regLoss = reg * sum of W^2 (no factor 1/2).
    // Cell 5: loss = dataLoss + regLoss. Return every cell, and the inputs, in SVMForwardCells.
    throw NotImplemented()
}

/// The backward cells of the multiclass SVM loss: from dL/dL = 1 back through each forward cell.
///
/// - Parameter forward: the result of ``svmLossStagedForward(weights:x:y:reg:)``.
/// - Returns: dmargins (N, C), dscores (N, C) and dW (D, C).
public func svmLossStagedBackward(_ forward: SVMForwardCells) throws -> SVMBackwardCells {
    // Walk the forward cells backwards, starting from dL/dL = 1:
    // Cell 1: dmargins (N, C) = 1/N everywhere (the data loss is a mean), and 0 at [i, y[i]].
    // Cell 2: dscores (N, C) = dmargins where margins > 0 and 0 elsewhere (the max(0, ·) gate); then
    //   dscores[i, y[i]] = minus the sum of row i: the correct score enters every margin of its row with a minus.
    // Cell 3: dW (D, C) = xᵀ dscores (the matrix-multiply gate) + 2 reg W (from the regularization loss).
    throw NotImplemented()
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
