import LinearAlgebra

// Given code of chapter 2 (Exercises/02-linear-classifiers): its error type and the input checks that
// open its exercises.

/// The clear errors of the linear-classifier chapter (bad input is reported, never trapped).
public enum LinearClassifierError: Error, Equatable, CustomStringConvertible {
    /// The number of labels differs from the number of images.
    case labelCountMismatch(images: Int, labels: Int)
    /// The images have a different number of features than W has rows.
    case featureMismatch(features: Int, weightRows: Int)
    /// A label outside 0 ..< C, where C is the number of columns of W.
    case labelOutOfRange(label: Int, index: Int, classes: Int)
    /// A loss over no images at all (the mean would be 0 / 0).
    case emptyBatch
    /// A gradient whose shape is not the shape of the weights it updates.
    case gradientShapeMismatch(weights: String, gradient: String)
    /// `predict` was called before `train` (the weights are still empty).
    case notTrained
    /// A training or search setting out of its range, e.g. a batch size of 0.
    case invalidSetting(name: String, value: Double, requirement: String)
    /// The loss became NaN or infinite, or grew far beyond its first value, during training.
    case diverged(iteration: Int, loss: Double)

    public var description: String {
        switch self {
        case let .labelCountMismatch(images, labels):
            return "\(images) images but \(labels) labels: give one label per image (row)"
        case let .featureMismatch(features, weightRows):
            return "the images have \(features) features but W has \(weightRows) rows: W must be (D, C) for images (N, D); did you apply the bias trick to one and not the other?"
        case let .labelOutOfRange(label, index, classes):
            return "label \(label) of image \(index) is outside 0 ..< \(classes): W has one column per class"
        case .emptyBatch:
            return "the batch has no images: a mean loss needs at least one"
        case let .gradientShapeMismatch(weights, gradient):
            return "the gradient has shape \(gradient) but the weights \(weights): dW must have the shape of W"
        case .notTrained:
            return "the classifier has no weights yet: call train(x:y:...) first"
        case let .invalidSetting(name, value, requirement):
            let shown = value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
            return "\(name) = \(shown) is not allowed: it must be \(requirement)"
        case let .diverged(iteration, loss):
            return "the loss became \(loss) at iteration \(iteration): training diverged, the learning rate is likely too large"
        }
    }
}

/// Throws unless x (N, D), y (N labels) and W (D, C) fit together, N >= 1 and every label is in 0 ..< C.
public func checkLossInputs(weights: Matrix, x: Matrix, y: [Int]) throws {
    guard x.cols == weights.rows else {
        throw LinearClassifierError.featureMismatch(features: x.cols, weightRows: weights.rows)
    }
    guard x.rows == y.count else { throw LinearClassifierError.labelCountMismatch(images: x.rows, labels: y.count) }
    guard x.rows > 0 else { throw LinearClassifierError.emptyBatch }
    if let index = y.firstIndex(where: { $0 < 0 || $0 >= weights.cols }) {
        throw LinearClassifierError.labelOutOfRange(label: y[index], index: index, classes: weights.cols)
    }
}

/// Throws unless there is one label per image, at least one image, and batchSize >= 1.
public func checkMinibatchRequest(x: Matrix, y: [Int], batchSize: Int) throws {
    guard x.rows == y.count else { throw LinearClassifierError.labelCountMismatch(images: x.rows, labels: y.count) }
    guard x.rows > 0 else { throw LinearClassifierError.emptyBatch }
    guard batchSize >= 1 else {
        throw LinearClassifierError.invalidSetting(name: "batchSize", value: Double(batchSize), requirement: "at least 1")
    }
}

/// Throws unless dW has the shape of W.
public func checkGradientShape(weights: Matrix, gradient: Matrix) throws {
    guard weights.rows == gradient.rows && weights.cols == gradient.cols else {
        throw LinearClassifierError.gradientShapeMismatch(weights: weights.shapeDescription, gradient: gradient.shapeDescription)
    }
}

/// Throws unless the SGD settings are in range.
public func checkTrainingSettings(learningRate: Double, reg: Double, iterations: Int, progressEvery: Int) throws {
    guard learningRate > 0 && learningRate.isFinite else {
        throw LinearClassifierError.invalidSetting(name: "learningRate", value: learningRate, requirement: "positive and finite")
    }
    guard reg >= 0 && reg.isFinite else {
        throw LinearClassifierError.invalidSetting(name: "reg", value: reg, requirement: "zero or positive, and finite")
    }
    guard iterations >= 0 else {
        throw LinearClassifierError.invalidSetting(name: "iterations", value: Double(iterations), requirement: "zero or more")
    }
    guard progressEvery >= 0 else {
        throw LinearClassifierError.invalidSetting(name: "progressEvery", value: Double(progressEvery), requirement: "zero (no progress) or more")
    }
}

/// Throws unless D, C and tries are at least 1 and the scale is positive and finite.
public func checkRandomSearchSettings(features: Int, classes: Int, tries: Int, scale: Double) throws {
    for (name, value) in [("features", features), ("classes", classes), ("tries", tries)] where value < 1 {
        throw LinearClassifierError.invalidSetting(name: name, value: Double(value), requirement: "at least 1")
    }
    guard scale > 0 && scale.isFinite else {
        throw LinearClassifierError.invalidSetting(name: "scale", value: scale, requirement: "positive and finite")
    }
}
