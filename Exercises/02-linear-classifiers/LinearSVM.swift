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
    // loss = 0 and dW = Matrix.zeros(D, C). For each image i:
    //   its scores s_j = sum over p of x[i, p] * weights[p, j], for every class j (plain loops);
    //   for every class j != y[i]: margin = s_j - s_{y[i]} + 1; if margin > 0, add it to the loss,
    //   add row i of x to column j of dW and subtract it from column y[i] (a loop over the D features).
    // Divide loss and dW by N (the mean over the batch), then add regularization.penalty(weights, strength: reg)
    // to the loss and regularization.gradient(weights, strength: reg) to dW.
    throw NotImplemented()
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
    // No loop over images or classes. With truth = oneHot(y, classes: C), (N, C):
    //   scores = matmul(x, weights), (N, C); correct = (scores * truth).sum(axis: 1), (N, 1), the true
    //   class's scores; margins = scores - correct + 1, broadcast, then zeroed at the true class (multiply by 1 - truth)
    //   and clamped with .maximum(0). The data loss is margins.sum() / N.
    // For the gradient, d loss / d scores is 1 where a margin is positive, and minus the number of positive
    // margins of the row at the true class; dW = matmul(x, dScores, transposeA: true) / N.
    // Add the regularization penalty and its gradient as in svmLossNaive.
    throw NotImplemented()
}
