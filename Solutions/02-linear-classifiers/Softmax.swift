import Foundation
import LinearAlgebra
import GradientCheck

// Chapter 2: the softmax (cross-entropy) loss and its gradient.
//
// The softmax classifier reads the scores s = x_i W as unnormalised log-probabilities:
// p_j = e^{s_j} / sum_k e^{s_k}. The loss of an image is the cross-entropy -ln p_{y_i}, with the
// natural logarithm. (The lecture's slide prints 0.89 for its cat example, which is -log10(0.13); in
// natural log the same loss is 2.04, and with C classes and tiny weights every p_j is near 1/C, so the
// loss starts near ln C, 2.3026 for CIFAR-10's ten classes.)
//
// Numerical stability: e^{1000} overflows a Double, and e^{-1000} underflows to 0, whose log is -inf.
// Subtracting each row's largest score first changes no probability (the factor e^{-max} cancels) and
// keeps every exponent <= 0; writing the loss as ln(sum_k e^{s_k - max}) - (s_{y_i} - max) never takes
// the log of an underflowed probability.
// Source: the lecture "Loss functions and optimization" (softmax classifier, cross-entropy loss).

/// The softmax (cross-entropy) loss and its gradient, with explicit loops over images, classes and features.
///
/// loss = (1/N) sum_i -ln(e^{s_{i,y_i}} / sum_j e^{s_ij}) + lambda * R(W), with s_i = x_i W, computed
/// stably from the scores minus the row's maximum. The gradient of an image's loss with respect to its
/// scores is p - onehot(y_i), so column j of dW gets (p_j - [j == y_i]) x_i.
///
/// - Parameters:
///   - weights: W, shape (D, C).
///   - x: a batch of images, shape (N, D).
///   - y: N labels in 0 ..< C.
///   - reg: the regularization strength lambda >= 0.
///   - regularization: the penalty R(W); L2 (lambda * sum W^2, no factor 1/2) by default.
/// - Returns: `loss`, a scalar in nats (mean over the batch plus lambda * R(W)), and `dW`, shape (D, C).
///   Both are finite for any finite scores, even (1000, 0, -1000).
/// - Throws: ``LinearClassifierError`` for shapes that do not fit, an empty batch, or a label outside 0 ..< C.
public func softmaxLossNaive(weights: Matrix, x: Matrix, y: [Int], reg: Double,
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
        let largest = scores.max()!
        let exponentials = scores.map { Foundation.exp($0 - largest) }
        let total = exponentials.reduce(0, +)
        loss += Foundation.log(total) - (scores[y[i]] - largest)
        for j in 0 ..< c {
            let dScore = exponentials[j] / total - (j == y[i] ? 1 : 0)
            for p in 0 ..< d { dW[p, j] += dScore * x[i, p] }
        }
    }
    loss /= Double(n)
    dW /= Double(n)
    loss += try regularization.penalty(weights, strength: reg)
    dW += try regularization.gradient(weights, strength: reg)
    return (loss, dW)
}

/// The softmax (cross-entropy) loss and its gradient without loops over images or classes: the same
/// values as ``softmaxLossNaive(weights:x:y:reg:regularization:)``, from two matrix products.
///
/// - Parameters:
///   - weights: W, shape (D, C).
///   - x: a batch of images, shape (N, D).
///   - y: N labels in 0 ..< C.
///   - reg: the regularization strength lambda >= 0.
///   - regularization: the penalty R(W); L2 by default.
/// - Returns: `loss`, a scalar in nats (mean over the batch plus lambda * R(W)), and `dW`, shape (D, C);
///   both finite for any finite scores.
/// - Throws: ``LinearClassifierError`` for shapes that do not fit, an empty batch, or a label outside 0 ..< C.
public func softmaxLossVectorized(weights: Matrix, x: Matrix, y: [Int], reg: Double,
                                  regularization: Regularization = .l2) throws -> (loss: Double, dW: Matrix) {
    try checkLossInputs(weights: weights, x: x, y: y)
    let n = Double(x.rows)
    let truth = oneHot(y, classes: weights.cols)                            // (N, C)
    let scores = matmul(x, weights)                                         // (N, C)
    let shifted = scores - scores.max(axis: 1)                              // (N, C), every entry <= 0
    let exponentials = exp(shifted)                                         // (N, C)
    let totals = exponentials.sum(axis: 1)                                  // (N, 1), each >= 1
    let losses = log(totals) - (shifted * truth).sum(axis: 1)               // (N, 1)
    let dScores = exponentials / totals - truth                             // (N, C): p - onehot(y)
    let loss = losses.sum() / n + (try regularization.penalty(weights, strength: reg))
    let dW = matmul(x, dScores, transposeA: true) / n + (try regularization.gradient(weights, strength: reg))
    return (loss, dW)
}
