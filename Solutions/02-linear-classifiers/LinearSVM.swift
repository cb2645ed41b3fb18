import LinearAlgebra
import GradientCheck

// Chapter 2: the multiclass SVM (hinge) loss and its gradient.
//
// For an image x_i with scores s = x_i W and true class y_i, every wrong class j whose score comes
// within a margin of 1 of the true class's score costs max(0, s_j - s_{y_i} + 1). The loss is the mean
// of these costs over the batch plus the regularization penalty. Written twice: with loops (obviously
// right, slow) and vectorized (matrix products and broadcasting, fast); the two must agree.
// Source: the lecture "Loss functions and optimization" (multiclass SVM loss, its worked example with
// a cat, a car and a frog; regularization).

/// The multiclass SVM loss and its gradient, with explicit loops over images, classes and features.
///
/// loss = (1/N) sum_i sum_{j != y_i} max(0, s_ij - s_{i,y_i} + 1) + lambda * R(W), with s_i = x_i W.
/// Each positive margin adds x_i to column j of dW and subtracts it from column y_i (the hinge's
/// derivative at 0 is taken as 0: a margin of exactly 0 contributes nothing).
///
/// - Parameters:
///   - weights: W, shape (D, C).
///   - x: a batch of images, shape (N, D), one image per row (bias trick included if used).
///   - y: N labels in 0 ..< C.
///   - reg: the regularization strength lambda >= 0.
///   - regularization: the penalty R(W); L2 (lambda * sum W^2, no factor 1/2) by default.
/// - Returns: `loss`, a scalar (mean over the batch plus lambda * R(W)), and `dW`, shape (D, C).
/// - Throws: ``LinearClassifierError`` when the shapes of W, x and y do not fit, the batch is empty, or
///   a label is outside 0 ..< C.
public func svmLossNaive(weights: Matrix, x: Matrix, y: [Int], reg: Double,
                         regularization: Regularization = .l2) throws -> (loss: Double, dW: Matrix) {
    try checkLossInputs(weights: weights, x: x, y: y)
    let (n, d, c) = (x.rows, x.cols, weights.cols)
    var loss = 0.0
    var dW = Matrix.zeros(d, c)
    for i in 0 ..< n {
        var scores = [Double](repeating: 0, count: c)
        for j in 0 ..< c {
            for p in 0 ..< d { scores[j] += x[i, p] * weights[p, j] }
        }
        for j in 0 ..< c where j != y[i] {
            let margin = scores[j] - scores[y[i]] + 1
            guard margin > 0 else { continue }
            loss += margin
            for p in 0 ..< d {
                dW[p, j] += x[i, p]
                dW[p, y[i]] -= x[i, p]
            }
        }
    }
    loss /= Double(n)
    dW /= Double(n)
    loss += try regularization.penalty(weights, strength: reg)
    dW += try regularization.gradient(weights, strength: reg)
    return (loss, dW)
}

/// The multiclass SVM loss and its gradient without loops over images or classes: the same values as
/// ``svmLossNaive(weights:x:y:reg:regularization:)``, from two matrix products.
///
/// - Parameters:
///   - weights: W, shape (D, C).
///   - x: a batch of images, shape (N, D).
///   - y: N labels in 0 ..< C.
///   - reg: the regularization strength lambda >= 0.
///   - regularization: the penalty R(W); L2 by default.
/// - Returns: `loss`, a scalar (mean over the batch plus lambda * R(W)), and `dW`, shape (D, C).
/// - Throws: ``LinearClassifierError`` for shapes that do not fit, an empty batch, or a label outside 0 ..< C.
public func svmLossVectorized(weights: Matrix, x: Matrix, y: [Int], reg: Double,
                              regularization: Regularization = .l2) throws -> (loss: Double, dW: Matrix) {
    try checkLossInputs(weights: weights, x: x, y: y)
    let n = Double(x.rows)
    let truth = oneHot(y, classes: weights.cols)                            // (N, C)
    let scores = matmul(x, weights)                                         // (N, C)
    let correct = (scores * truth).sum(axis: 1)                             // (N, 1)
    let margins = ((scores - correct + 1) * (1 - truth)).maximum(0)         // (N, C), 0 for the true class
    let active = margins.map { $0 > 0 ? 1 : 0 }                             // (N, C)
    // A positive margin raises score j and lowers score y_i: d loss / d scores.
    let dScores = active - truth * active.sum(axis: 1)                      // (N, C)
    let loss = margins.sum() / n + (try regularization.penalty(weights, strength: reg))
    let dW = matmul(x, dScores, transposeA: true) / n + (try regularization.gradient(weights, strength: reg))
    return (loss, dW)
}
