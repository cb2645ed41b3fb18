import LinearAlgebra
import GradientCheck

// Chapter 2: linear classifiers trained by minibatch stochastic gradient descent.
//
// A linear classifier scores the C classes of an image x (a row of D features, the last one a constant
// 1 when the bias trick is used) with s = x W, W of shape (D, C), and predicts the class with the
// highest score. Training looks for the W with the lowest loss: the mean data loss over the training
// images (hinge for ``LinearSVM``, cross-entropy for ``Softmax``) plus a regularization penalty.
// Minibatch SGD estimates the gradient of that loss on a small random batch and takes a step against it.
// Sources: the lectures "Linear classification" (scores, templates, the bias trick) and "Loss functions
// and optimization" (SGD, minibatches, learning rate).

/// A linear classifier: class scores x W, a loss to train W with, and (given) minibatch SGD training.
///
/// Conforming types say which loss they minimise; ``train(x:y:learningRate:reg:iterations:batchSize:seed:progressEvery:progress:)``
/// and ``predict(_:)`` are shared.
public protocol LinearClassifier: Sendable {
    /// The weights W, shape (D, C): column j is the template of class j. Empty (0, 0) until trained.
    var weights: Matrix { get set }
    /// The penalty added to the data loss.
    var regularization: Regularization { get }
    /// The loss and its gradient at `weights` on a batch (the data loss's mean plus the penalty).
    ///
    /// - Parameters:
    ///   - weights: W, shape (D, C).
    ///   - x: images, shape (N, D).
    ///   - y: N labels in 0 ..< C.
    ///   - reg: the regularization strength lambda.
    /// - Returns: the loss (a scalar, mean over the batch, plus lambda * R(W)) and dW, shape (D, C).
    func loss(weights: Matrix, x: Matrix, y: [Int], reg: Double) throws -> (loss: Double, dW: Matrix)
}

/// The multiclass SVM: the loss is the hinge loss of ``svmLossVectorized(weights:x:y:reg:regularization:)``.
public struct LinearSVM: LinearClassifier {
    public var weights = Matrix.zeros(0, 0)
    public var regularization: Regularization

    public init(regularization: Regularization = .l2) { self.regularization = regularization }

    public func loss(weights: Matrix, x: Matrix, y: [Int], reg: Double) throws -> (loss: Double, dW: Matrix) {
        try svmLossVectorized(weights: weights, x: x, y: y, reg: reg, regularization: regularization)
    }
}

/// The softmax classifier: the loss is the cross-entropy of ``softmaxLossVectorized(weights:x:y:reg:regularization:)``.
public struct Softmax: LinearClassifier {
    public var weights = Matrix.zeros(0, 0)
    public var regularization: Regularization

    public init(regularization: Regularization = .l2) { self.regularization = regularization }

    public func loss(weights: Matrix, x: Matrix, y: [Int], reg: Double) throws -> (loss: Double, dW: Matrix) {
        try softmaxLossVectorized(weights: weights, x: x, y: y, reg: reg, regularization: regularization)
    }
}

// MARK: - Exercises

/// Draws a minibatch: `batchSize` images chosen uniformly at random, with replacement, with their labels.
///
/// With replacement (as the course does) an image can appear twice in a batch and a batch may be larger
/// than the training set; every draw comes from `rng`, so the caller's seed fixes the batches.
///
/// - Parameters:
///   - x: training images, shape (N, D).
///   - y: their N labels.
///   - batchSize: the number of images to draw, at least 1.
///   - rng: the generator the indices are drawn from.
/// - Returns: the images, shape (batchSize, D), and their `batchSize` labels, image k labelled y[index k].
/// - Throws: ``LinearClassifierError/labelCountMismatch(images:labels:)``, ``LinearClassifierError/emptyBatch``
///   for an empty training set, ``LinearClassifierError/invalidSetting(name:value:requirement:)`` for a
///   batch size below 1.
public func sampleMinibatch(x: Matrix, y: [Int], batchSize: Int,
                            using rng: inout SeededGenerator) throws -> (x: Matrix, y: [Int]) {
    try checkMinibatchRequest(x: x, y: y, batchSize: batchSize)
    let indices = rng.indices(batchSize, below: x.rows)
    return (x.rows(at: indices), indices.map { y[$0] })
}

/// One step of stochastic gradient descent: W - learningRate * dW.
///
/// - Parameters:
///   - weights: W, shape (D, C).
///   - gradient: dW, the loss's gradient at W on a minibatch, shape (D, C).
///   - learningRate: the step size (e.g. 1e-7 for raw CIFAR-10 pixels with the mean image subtracted).
/// - Returns: the updated weights, shape (D, C).
/// - Throws: ``LinearClassifierError/gradientShapeMismatch(weights:gradient:)``.
public func sgdStep(weights: Matrix, gradient: Matrix, learningRate: Double) throws -> Matrix {
    try checkGradientShape(weights: weights, gradient: gradient)
    return weights - learningRate * gradient
}

extension LinearClassifier {
    /// Predicts a class for each image: the column of the highest score in x W (the first on a tie).
    ///
    /// - Parameter x: images, shape (N, D).
    /// - Returns: N labels in 0 ..< C.
    /// - Throws: ``LinearClassifierError/notTrained`` or ``LinearClassifierError/featureMismatch(features:weightRows:)``.
    public func predict(_ x: Matrix) throws -> [Int] {
        try checkPredictionInput(x)
        return matmul(x, weights).argmax(axis: 1)
    }
}

// MARK: - Given

extension LinearClassifier {
    /// Trains the weights by minibatch stochastic gradient descent and returns the loss of every iteration.
    ///
    /// Each iteration draws a minibatch with ``sampleMinibatch(x:y:batchSize:using:)``, computes the loss
    /// and dW on it with ``loss(weights:x:y:reg:)``, and takes an ``sgdStep(weights:gradient:learningRate:)``.
    /// Empty weights are first set to 0.001 * (standard normal) of shape (D, C), C = max(y) + 1 (small, so
    /// every class starts with about the same score); otherwise training continues from the current weights.
    /// An epoch is N / batchSize iterations.
    ///
    /// - Parameters:
    ///   - x: training images, shape (N, D).
    ///   - y: N labels in 0 ..< C.
    ///   - learningRate: the SGD step size, > 0.
    ///   - reg: the regularization strength lambda, >= 0.
    ///   - iterations: the number of SGD steps, >= 0.
    ///   - batchSize: images per minibatch, >= 1, drawn with replacement.
    ///   - seed: fixes the initial weights and every minibatch; the same seed gives the same run.
    ///   - progressEvery: `progress` is called after every `progressEvery`-th iteration (and never if 0).
    ///   - progress: receives (iteration, its minibatch loss), e.g. to print a progress line.
    /// - Returns: the minibatch loss of each iteration, `iterations` values, for the loss curve.
    /// - Throws: the input errors of ``LinearClassifierError``; ``LinearClassifierError/diverged(iteration:loss:)``
    ///   as soon as a loss is NaN or infinite, or exceeds 1,000 times the first iteration's loss (the
    ///   learning rate is then almost certainly too large); the weights stay as they were at that iteration.
    @discardableResult
    public mutating func train(x: Matrix, y: [Int], learningRate: Double, reg: Double, iterations: Int,
                               batchSize: Int = 200, seed: UInt64 = 0, progressEvery: Int = 100,
                               progress: (_ iteration: Int, _ loss: Double) -> Void = { _, _ in }) throws -> [Double] {
        try checkTrainingSettings(learningRate: learningRate, reg: reg, iterations: iterations, progressEvery: progressEvery)
        try checkMinibatchRequest(x: x, y: y, batchSize: batchSize)
        var rng = SeededGenerator(seed: seed)
        if weights.count == 0 {
            weights = Matrix.gaussian(x.cols, (y.max() ?? 0) + 1, standardDeviation: 0.001, using: &rng)
        }
        try checkLossInputs(weights: weights, x: x, y: y)
        var history: [Double] = []
        history.reserveCapacity(iterations)
        for iteration in stride(from: 1, through: iterations, by: 1) {
            let batch = try sampleMinibatch(x: x, y: y, batchSize: batchSize, using: &rng)
            let (loss, dW) = try self.loss(weights: weights, x: batch.x, y: batch.y, reg: reg)
            guard loss.isFinite && loss <= 1_000 * max(history.first ?? loss, 1e-3) else {
                throw LinearClassifierError.diverged(iteration: iteration, loss: loss)
            }
            history.append(loss)
            weights = try sgdStep(weights: weights, gradient: dW, learningRate: learningRate)
            if progressEvery > 0 && iteration % progressEvery == 0 { progress(iteration, loss) }
        }
        return history
    }

    /// Throws unless the classifier has weights and `x` has one feature per row of W.
    func checkPredictionInput(_ x: Matrix) throws {
        guard weights.count > 0 else { throw LinearClassifierError.notTrained }
        guard x.cols == weights.rows else {
            throw LinearClassifierError.featureMismatch(features: x.cols, weightRows: weights.rows)
        }
    }
}

/// The one-hot encoding of labels: entry (i, j) is 1 if y[i] == j, else 0.
///
/// Multiplying scores (N, C) by it entrywise and summing along axis 1 picks each image's score for its
/// true class, (N, 1), without a loop: `(scores * oneHot(y, classes: C)).sum(axis: 1)`.
///
/// - Parameters:
///   - y: N labels in 0 ..< classes.
///   - classes: C.
/// - Returns: shape (N, C).
/// - Precondition: every label is in 0 ..< classes (the losses check this before calling it).
public func oneHot(_ y: [Int], classes: Int) -> Matrix {
    var encoded = Matrix.zeros(y.count, classes)
    for (i, label) in y.enumerated() { encoded[i, label] = 1 }
    return encoded
}
