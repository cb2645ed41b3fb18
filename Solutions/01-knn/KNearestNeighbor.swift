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
        xTrain = x
        yTrain = y
    }

    /// L2 distances with a loop over test images and a loop over training images.
    ///
    /// - Parameter x: test images, shape (numTest, D).
    /// - Returns: `dists`, shape (numTest, numTrain): `dists[i, j]` is the Euclidean distance between
    ///   test image i and training image j.
    /// - Throws: ``KNNError/notTrained`` or ``KNNError/featureMismatch(test:train:)``.
    public func computeDistancesTwoLoops(_ x: Matrix) throws -> Matrix {
        try checkTestImages(x)
        var dists = Matrix.zeros(x.rows, xTrain.rows)
        for i in 0 ..< x.rows {
            for j in 0 ..< xTrain.rows {
                var sum = 0.0
                for p in 0 ..< x.cols {
                    let difference = x[i, p] - xTrain[j, p]
                    sum += difference * difference
                }
                dists[i, j] = sum.squareRoot()
            }
        }
        return dists
    }

    /// L2 distances with one loop over test images; the training images are handled all at once by
    /// broadcasting a test image against the whole training matrix.
    ///
    /// - Parameter x: test images, shape (numTest, D).
    /// - Returns: `dists`, shape (numTest, numTrain), as ``computeDistancesTwoLoops(_:)``.
    /// - Throws: ``KNNError/notTrained`` or ``KNNError/featureMismatch(test:train:)``.
    public func computeDistancesOneLoop(_ x: Matrix) throws -> Matrix {
        try checkTestImages(x)
        var dists = Matrix.zeros(x.rows, xTrain.rows)
        for i in 0 ..< x.rows {
            let squared = (xTrain - x.row(i)).squared.sum(axis: 1)     // (numTrain, 1)
            dists[row: i] = squared.squareRoot.transposed             // (1, numTrain)
        }
        return dists
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
        let testNorms = x.sumOfSquares(axis: 1)                         // (numTest, 1)
        let trainNorms = xTrain.sumOfSquares(axis: 1).transposed        // (1, numTrain)
        var squared = matmul(x, xTrain, transposeB: true)               // (numTest, numTrain): a·b
        squared *= -2                                                   // in place: no full-size temporaries
        squared += testNorms
        squared += trainNorms
        return squared.maximum(0).squareRoot
    }

    /// L1 (Manhattan) distances, with at most one loop over test images.
    ///
    /// - Parameter x: test images, shape (numTest, D).
    /// - Returns: `dists`, shape (numTest, numTrain): `dists[i, j]` is the sum of absolute differences
    ///   between test image i and training image j.
    /// - Throws: ``KNNError/notTrained`` or ``KNNError/featureMismatch(test:train:)``.
    public func computeL1Distances(_ x: Matrix) throws -> Matrix {
        try checkTestImages(x)
        var dists = Matrix.zeros(x.rows, xTrain.rows)
        for i in 0 ..< x.rows {
            dists[row: i] = (xTrain - x.row(i)).magnitude.sum(axis: 1).transposed
        }
        return dists
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
        let classCount = (yTrain.max() ?? 0) + 1
        return (0 ..< distances.rows).map { i in
            let row = Array(distances.rowSlice(i))
            // The k nearest, kept sorted by (distance, index) while scanning once: O(numTrain) for small k,
            // where sorting the whole row would cost O(numTrain log numTrain).
            var nearest: [Int] = []
            nearest.reserveCapacity(k + 1)
            for j in row.indices where nearest.count < k || row[j] < row[nearest[k - 1]] {
                let position = nearest.firstIndex { row[j] < row[$0] } ?? nearest.count
                nearest.insert(j, at: position)
                if nearest.count > k { nearest.removeLast() }
            }
            var votes = [Int](repeating: 0, count: classCount)
            for j in nearest { votes[yTrain[j]] += 1 }
            return votes.indices.max { (votes[$0], -$0) < (votes[$1], -$1) }!    // most votes, then smallest label
        }
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
