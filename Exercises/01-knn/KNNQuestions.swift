import GradientCheck

// Chapter 1: the inline questions. Answer each one by replacing `throw NotImplemented()` with
// `return` and your answer; `swift test` and `swift run grade` check it like any other exercise.
// The questions are in the lecture "Image Classification" and in the chapter guide.

/// A preprocessing step applied to every image (training and test alike) before a kNN classifier.
public enum Preprocessing: CaseIterable, Sendable {
    /// Subtract one number, the mean of all pixels of all training images, from every pixel.
    case subtractScalarMean
    /// Subtract the mean image (each pixel position has its own mean).
    case subtractMeanImage
    /// Subtract the scalar mean, then divide by one number, the standard deviation of all pixels.
    case standardizeWithScalars
    /// Subtract the mean image, then divide each pixel position by its own standard deviation.
    case standardizePerPixel
    /// Rotate the coordinate axes of the data (multiply every image vector by the same rotation matrix).
    case rotateAxes
}

/// Statements about a k-nearest-neighbour classifier.
public enum KNNStatement: CaseIterable, Sendable {
    /// The decision boundary of the k-NN classifier is linear.
    case decisionBoundaryIsLinear
    /// The training error of 1-NN is never larger than that of 5-NN.
    case oneNNTrainingErrorNeverAboveFiveNN
    /// The test error of 1-NN is never larger than that of 5-NN.
    case oneNNTestErrorNeverAboveFiveNN
    /// The time to classify a test image grows with the size of the training set.
    case classificationTimeGrowsWithTrainingSetSize
}

/// What a bright stripe in the distance-matrix picture (rows: test images, columns: training images,
/// bright: far) tells.
public enum DistanceStripe: CaseIterable, Sendable {
    /// A test image that is far from every training image (an unusual image: odd colours, a plain
    /// bright or dark background).
    case testImageFarFromAllTrainingImages
    /// A training image that is far from every test image.
    case trainingImageFarFromAllTestImages
    /// A mislabelled training image.
    case mislabelledTrainingImage
    /// Nothing: the stripes are noise of the distance computation.
    case numericalNoise
}

public enum KNNQuestions {
    /// Inline question 1: a 1-NN classifier with L2 distance is evaluated on its own training data
    /// (no two identical images carry different labels). What fraction of the training images does it
    /// classify correctly, as a number in 0...1?
    public static func oneNearestNeighbourTrainingAccuracy() throws -> Double {
        // Your answer, e.g. `return 0.5`.
        throw NotImplemented()
    }

    /// Inline question 2: which preprocessing steps leave the predictions of a 1-NN classifier with
    /// L1 distance unchanged? (All, some or none of them.)
    public static func preprocessingThatKeepsL1Predictions() throws -> Set<Preprocessing> {
        // Your answer, e.g. `return [.rotateAxes]` (or `return []` for none).
        throw NotImplemented()
    }

    /// Inline question 3: which statements are true for every k >= 1? (All, some or none of them.)
    public static func trueStatementsAboutKNN() throws -> Set<KNNStatement> {
        // Your answer, e.g. `return [.decisionBoundaryIsLinear]` (or `return []` for none).
        throw NotImplemented()
    }

    /// Inline question 4: in `distances.png`, what does a row that is bright all along show?
    public static func brightRowInDistanceMatrix() throws -> DistanceStripe {
        // Your answer, e.g. `return .numericalNoise`.
        throw NotImplemented()
    }
}
