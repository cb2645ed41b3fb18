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
    // As softmaxLossVectorized in chapter 2, from the scores: s = scores.batchMatrix (N, C);
    // shifted = s - s.max(axis: 1); the loss is the mean of log(exp(shifted).sum(axis: 1)) minus the true
    // class's shifted score (oneHot(labels, classes: C) picks it out); dx = (probabilities - oneHot) / N.
    throw NotImplemented()
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
    // As svmLossVectorized in chapter 2: margins = (s - correct + 1) with the true class's entry zeroed,
    // clamped at 0; active = 1 where a margin > 0 (strictly); dx = active, minus each row's count of
    // active margins at the true class, all divided by N.
    throw NotImplemented()
}
