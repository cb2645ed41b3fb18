import Foundation
import LinearAlgebra
import GradientCheck

// Chapter 4: chapter 2's two losses as layers on the scores, the last layer of a net.
//
// In chapter 2 a loss took the weights W and computed the scores x W itself; a net computes its
// scores with its layers, so here a loss takes the scores (N, C) and returns the mean loss over the
// batch and dL/d(scores), which the layers below pass on. The regularization is the model's business,
// not the loss layer's.
// Source: the lecture "Loss functions and optimization" (multiclass SVM, softmax with cross-entropy).

/// The softmax (cross-entropy) loss of a batch of scores and its gradient.
///
/// loss = (1/N) Σ_i −ln(e^{s_{i,y_i}} / Σ_j e^{s_ij}), in nats, computed stably from each row's scores
/// minus its maximum; dx = (p − onehot(y)) / N with p the softmax probabilities.
///
/// - Parameters:
///   - scores: s, shape (N, C).
///   - labels: N labels in 0 ..< C.
/// - Returns: `loss` (finite for any finite scores) and `dx`, shape (N, C).
/// - Throws: ``NeuralNetworkError`` when scores is not (N, C) with N >= 1, there are not N labels, or a
///   label is outside 0 ..< C.
public func softmaxLoss(_ scores: Tensor, labels: [Int]) throws -> (loss: Double, dx: Tensor) {
    try checkScoresAndLabels(scores, labels, "softmaxLoss")
    let s = scores.batchMatrix
    let n = Double(s.rows)
    let truth = oneHot(labels, classes: s.cols)                               // (N, C)
    let shifted = s - s.max(axis: 1)                                          // every entry <= 0
    let exponentials = exp(shifted)
    let totals = exponentials.sum(axis: 1)                                    // (N, 1)
    let loss = (log(totals) - (shifted * truth).sum(axis: 1)).sum() / n
    let dx = (exponentials / totals - truth) / n
    return (loss, Tensor(dx, shape: scores.shape))
}

/// The multiclass SVM (hinge) loss of a batch of scores, margin 1, and its gradient.
///
/// loss = (1/N) Σ_i Σ_{j ≠ y_i} max(0, s_ij − s_{i,y_i} + 1). A margin that is exactly 0 counts as
/// inactive: it adds nothing to the loss and nothing to the gradient.
///
/// - Parameters:
///   - scores: s, shape (N, C).
///   - labels: N labels in 0 ..< C.
/// - Returns: `loss` and `dx`, shape (N, C): each active margin adds 1/N to its class and −1/N to the true class.
/// - Throws: ``NeuralNetworkError`` as ``softmaxLoss(_:labels:)`` does.
public func svmLoss(_ scores: Tensor, labels: [Int]) throws -> (loss: Double, dx: Tensor) {
    try checkScoresAndLabels(scores, labels, "svmLoss")
    let s = scores.batchMatrix
    let n = Double(s.rows)
    let truth = oneHot(labels, classes: s.cols)
    let correct = (s * truth).sum(axis: 1)                                    // (N, 1)
    let margins = ((s - correct + 1) * (1 - truth)).maximum(0)                // (N, C), 0 for the true class
    let active = margins.map { $0 > 0 ? 1 : 0 }
    let dx = (active - truth * active.sum(axis: 1)) / n
    return (margins.sum() / n, Tensor(dx, shape: scores.shape))
}
