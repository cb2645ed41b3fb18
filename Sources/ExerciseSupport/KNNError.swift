import LinearAlgebra

// Given code of chapter 1 (Exercises/01-knn): its error type and the input checks that open its exercises.

/// The clear errors of the kNN chapter (bad input is reported, never trapped).
public enum KNNError: Error, Equatable, CustomStringConvertible {
    /// `predict` or a distance function was called before `train`.
    case notTrained
    /// The number of labels differs from the number of images.
    case labelCountMismatch(images: Int, labels: Int)
    /// Test images have a different number of features than the training images.
    case featureMismatch(test: Int, train: Int)
    /// A distance matrix whose column count is not the number of training images.
    case distanceColumnsMismatch(columns: Int, trainingCount: Int)
    /// k must be between 1 and the number of training images.
    case invalidK(k: Int, trainingCount: Int)
    /// The number of folds must be between 2 and the number of images.
    case invalidFolds(folds: Int, count: Int)

    public var description: String {
        switch self {
        case .notTrained:
            return "the classifier has no training data: call train(x:y:) first"
        case let .labelCountMismatch(images, labels):
            return "\(images) images but \(labels) labels: give one label per image (row)"
        case let .featureMismatch(test, train):
            return "test images have \(test) features but training images have \(train): both must be flattened the same way"
        case let .distanceColumnsMismatch(columns, trainingCount):
            return "the distance matrix has \(columns) columns but there are \(trainingCount) training images: one column per training image"
        case let .invalidK(k, trainingCount):
            return "k = \(k) is impossible with \(trainingCount) training images: k must be between 1 and \(trainingCount)"
        case let .invalidFolds(folds, count):
            return "cannot split \(count) images into \(folds) folds: use between 2 and \(count) folds"
        }
    }
}

/// Throws unless 2 <= folds <= count.
public func checkFolds(count: Int, folds: Int) throws {
    guard folds >= 2 && folds <= count else { throw KNNError.invalidFolds(folds: folds, count: count) }
}
