import LinearAlgebra
import GradientCheck

// Chapter 1: the k-nearest-neighbour classifier.
//
// Training memorises the data; prediction compares a test image with every training image, takes the
// k closest and lets them vote. Source: the lecture "Image Classification" (nearest neighbour, k-NN,
// L1 and L2 distances, hyperparameters).

/// How two images (rows of features) are compared.
public enum DistanceMetric: String, CaseIterable, Sendable {
    /// Manhattan distance: d(a, b) = sum over p of |a_p - b_p|.
    case l1
    /// Euclidean distance: d(a, b) = sqrt(sum over p of (a_p - b_p)^2).
    case l2
}

/// A k-nearest-neighbour classifier.
///
/// Images are rows of `Double` features (a CIFAR-10 image is D = 3,072 values, 0...255); labels are
/// integers 0 ..< C. Distances compare each test row with each training row.
public struct KNearestNeighbor: Sendable {
    /// The memorised training images, shape (numTrain, D).
    public internal(set) var xTrain = Matrix.zeros(0, 0)
    /// The memorised training labels, `numTrain` of them.
    public internal(set) var yTrain: [Int] = []

    public init() {}

    // MARK: Exercises

    /// Memorises the training data: the whole of kNN's training.
    ///
    /// - Parameters:
    ///   - x: training images, shape (numTrain, D).
    ///   - y: their labels, `numTrain` integers in 0 ..< C.
    /// - Throws: ``KNNError/labelCountMismatch(images:labels:)`` when `y.count != x.rows`.
    public mutating func train(x: Matrix, y: [Int]) throws {
        try checkTrainingData(x, y)
        // kNN's training is memorising: keep x and y in xTrain and yTrain. That is all.
        throw NotImplemented()
    }

    /// L2 distances with a loop over test images and a loop over training images.
    ///
    /// - Parameter x: test images, shape (numTest, D).
    /// - Returns: `dists`, shape (numTest, numTrain): `dists[i, j]` is the Euclidean distance between
    ///   test image i and training image j.
    /// - Throws: ``KNNError/notTrained`` or ``KNNError/featureMismatch(test:train:)``.
    public func computeDistancesTwoLoops(_ x: Matrix) throws -> Matrix {
        try checkTestImages(x)
        // Start from dists = Matrix.zeros(x.rows, xTrain.rows). For each test row i and training row j,
        // add up (x[i, p] - xTrain[j, p])^2 over the features p and store the square root in dists[i, j].
        // No matrix operations here: this version is the slow, obvious reference for the other two.
        throw NotImplemented()
    }

    /// L2 distances with one loop over test images; the training images are handled all at once by
    /// broadcasting a test image against the whole training matrix.
    ///
    /// - Parameter x: test images, shape (numTest, D).
    /// - Returns: `dists`, shape (numTest, numTrain), as ``computeDistancesTwoLoops(_:)``.
    /// - Throws: ``KNNError/notTrained`` or ``KNNError/featureMismatch(test:train:)``.
    public func computeDistancesOneLoop(_ x: Matrix) throws -> Matrix {
        try checkTestImages(x)
        // For each test row i: xTrain - x.row(i) broadcasts the (1, D) row over all training rows.
        // Square, sum along axis 1 to get (numTrain, 1), take the square root, and store it as row i of
        // the result (dists[row: i] takes a (1, numTrain) row vector: transpose the column).
        throw NotImplemented()
    }

    /// L2 distances with no explicit loop, from the expansion ||a - b||^2 = ||a||^2 + ||b||^2 - 2 a·b:
    /// one matrix product and two broadcasts.
    ///
    /// Rounding can make the expansion slightly negative for (near-)identical images, so it is clamped
    /// at 0 before the square root.
    ///
    /// - Parameter x: test images, shape (numTest, D).
    /// - Returns: `dists`, shape (numTest, numTrain), as ``computeDistancesTwoLoops(_:)``.
    /// - Throws: ``KNNError/notTrained`` or ``KNNError/featureMismatch(test:train:)``.
    public func computeDistancesNoLoops(_ x: Matrix) throws -> Matrix {
        try checkTestImages(x)
        // Expand ||a - b||^2 = ||a||^2 + ||b||^2 - 2 a·b for every pair at once:
        //   test norms (numTest, 1) + training norms (1, numTrain) - 2 * matmul(x, xTrain, transposeB: true).
        // Broadcasting turns the sum into (numTest, numTrain). Clamp at 0 (.maximum(0)) before the
        // square root: rounding makes the expansion slightly negative for identical images.
        throw NotImplemented()
    }

    /// L1 (Manhattan) distances, with at most one loop over test images.
    ///
    /// - Parameter x: test images, shape (numTest, D).
    /// - Returns: `dists`, shape (numTest, numTrain): `dists[i, j]` is the sum of absolute differences
    ///   between test image i and training image j.
    /// - Throws: ``KNNError/notTrained`` or ``KNNError/featureMismatch(test:train:)``.
    public func computeL1Distances(_ x: Matrix) throws -> Matrix {
        try checkTestImages(x)
        // Like the one-loop L2 version, with absolute differences (.magnitude) summed instead of
        // squared differences, and no square root.
        throw NotImplemented()
    }

    /// Predicts a label for each test image by a majority vote of its k nearest training images.
    ///
    /// Ties are broken toward the smaller label: with k = 2 and neighbours labelled [3, 1], the
    /// prediction is 1. Neighbours at equal distance are taken in training order.
    ///
    /// - Parameters:
    ///   - distances: shape (numTest, numTrain), from one of the distance functions.
    ///   - k: the number of neighbours that vote, 1 ... numTrain.
    /// - Returns: `numTest` predicted labels.
    /// - Throws: ``KNNError/invalidK(k:trainingCount:)``, ``KNNError/notTrained``, or
    ///   ``KNNError/distanceColumnsMismatch(columns:trainingCount:)``.
    public func predictLabels(distances: Matrix, k: Int) throws -> [Int] {
        try checkDistances(distances, k: k)
        // For each test row: order the training indices by distance (equal distances: smaller index
        // first), take the first k, count the votes of their labels yTrain[j], and return the label with
        // the most votes; on a tie, the smaller label wins.
        throw NotImplemented()
    }

    // MARK: Given

    /// Predicts labels for test images: distances with the chosen metric, then a vote of k neighbours.
    /// The test images are processed in blocks of `blockSize` rows, so only a (blockSize, numTrain)
    /// distance matrix is held at a time (the full CIFAR-10 test against training is 10,000 x 50,000).
    ///
    /// - Parameters:
    ///   - x: test images, shape (numTest, D).
    ///   - k: the number of voting neighbours, 1 ... numTrain.
    ///   - metric: `.l2` uses ``computeDistancesNoLoops(_:)``, `.l1` ``computeL1Distances(_:)``.
    ///   - blockSize: test images per distance block.
    ///   - progress: called after each block with (blocks done, blocks in all), for a progress line.
    /// - Returns: `numTest` labels.
    /// - Throws: the errors of the functions it calls; k is checked before any distance is computed.
    public func predict(_ x: Matrix, k: Int = 1, metric: DistanceMetric = .l2, blockSize: Int = 1_000,
                        progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> [Int] {
        try checkTestImages(x)
        guard k >= 1 && k <= yTrain.count else { throw KNNError.invalidK(k: k, trainingCount: yTrain.count) }
        let size = max(blockSize, 1)
        let blocks = (x.rows + size - 1) / size
        var labels: [Int] = []
        labels.reserveCapacity(x.rows)
        for (index, start) in stride(from: 0, to: x.rows, by: size).enumerated() {
            let block = x.rows(start ..< min(start + size, x.rows))
            let distances = metric == .l2 ? try computeDistancesNoLoops(block) : try computeL1Distances(block)
            labels += try predictLabels(distances: distances, k: k)
            progress(index + 1, blocks)
        }
        return labels
    }

    /// Throws unless there is one label per image.
    func checkTrainingData(_ x: Matrix, _ y: [Int]) throws {
        guard x.rows == y.count else { throw KNNError.labelCountMismatch(images: x.rows, labels: y.count) }
    }

    /// Throws unless the classifier is trained and `x` has as many features as the training images.
    func checkTestImages(_ x: Matrix) throws {
        guard !yTrain.isEmpty else { throw KNNError.notTrained }
        guard x.cols == xTrain.cols else { throw KNNError.featureMismatch(test: x.cols, train: xTrain.cols) }
    }

    /// Throws unless `distances` has one column per training image and 1 <= k <= numTrain.
    func checkDistances(_ distances: Matrix, k: Int) throws {
        guard !yTrain.isEmpty else { throw KNNError.notTrained }
        guard distances.cols == yTrain.count else {
            throw KNNError.distanceColumnsMismatch(columns: distances.cols, trainingCount: yTrain.count)
        }
        guard k >= 1 && k <= yTrain.count else { throw KNNError.invalidK(k: k, trainingCount: yTrain.count) }
    }
}
