import XCTest
import LinearAlgebra
@testable import Workbook

/// Chapter 1, k-nearest neighbours: Exercises/01-knn/KNearestNeighbor.swift and Exercises/01-knn/CrossValidation.swift.
final class KNNTests: XCTestCase {
    // MARK: train

    func test_train_memorisesTheData() throws {
        let (x, y) = Reference.data(6, 4, classes: 3, seed: 1)
        var knn = KNearestNeighbor()
        try attempt { try knn.train(x: x, y: y) }
        expectEqual(knn.xTrain, x, "train", "xTrain", hint: "store the images unchanged")
        expectEqual(knn.yTrain, y, "train", "yTrain", hint: "store the labels unchanged")
        XCTAssertThrowsError(try knn.train(x: x, y: Array(y.dropLast())), "one label missing must be an error") { error in
            expectEqual(error as? KNNError, .labelCountMismatch(images: 6, labels: 5), "train", "the error")
        }
    }

    // MARK: distances

    func test_computeDistancesTwoLoops_matchesReference() throws {
        let knn = try trained(Matrix([[0, 0], [3, 4], [6, 8]]), [0, 1, 2])
        let d = try attempt { try knn.computeDistancesTwoLoops(Matrix([[0, 0], [3, 0]])) }
        expectMatrix(d, matches: Matrix([[0, 5, 10], [3, 4, 73.0.squareRoot()]]), frobeniusBelow: 1e-9,
                     "computeDistancesTwoLoops", "distances of (0,0) and (3,0) to (0,0), (3,4), (6,8)",
                     hint: "rows are test images, columns training images; take the square root of the sum")
        try checkAgainstReference("computeDistancesTwoLoops") { try $0.computeDistancesTwoLoops($1) }
    }

    func test_computeDistancesOneLoop_matchesReference() throws {
        try checkAgainstReference("computeDistancesOneLoop") { try $0.computeDistancesOneLoop($1) }
    }

    func test_computeDistancesNoLoops_matchesReference() throws {
        try checkAgainstReference("computeDistancesNoLoops") { try $0.computeDistancesNoLoops($1) }
    }

    /// Test images that are (almost exactly) training images: the expanded formula
    /// ||a||^2 + ||b||^2 - 2ab rounds to tiny negative numbers for some of them, so an implementation
    /// without the clamp returns NaN there.
    func test_computeDistancesNoLoops_duplicateImageIsZeroNotNaN() throws {
        var rng = SeededGenerator(seed: 4)
        let train = Matrix.uniform(50, 20, low: 0, high: 1, using: &rng)
        let test = train + Matrix.uniform(50, 20, low: 0, high: 1e-9, using: &rng)
        // The precondition that makes this test meaningful: unclamped, some squared distance is negative.
        let unclamped = test.squared.sum(axis: 1) + train.squared.sum(axis: 1).transposed - 2 * matmul(test, train, transposeB: true)
        XCTAssertTrue((0 ..< 50).contains { unclamped[$0, $0] < 0 }, "the test data must exercise the negative case")
        let d = try attempt { try trained(train, Array(repeating: 0, count: 50)).computeDistancesNoLoops(test) }
        let nanCount = d.storage.filter(\.isNaN).count
        if nanCount > 0 {
            fail("computeDistancesNoLoops", "\(nanCount) distances are NaN for images that appear in the training set",
                 hint: "clamp the squared distances at 0 (.maximum(0)) before the square root")
        }
        expectMatrix(d, matches: Reference.distances(test, train), frobeniusBelow: 1e-6,
                     "computeDistancesNoLoops", "distances with duplicated images")
    }

    /// The lecture's worked example: two 4x4 single-channel images whose L1 distance is 456.
    func test_computeL1Distances_lectureExample() throws {
        let test = Matrix(row: [56, 32, 10, 18, 90, 23, 128, 133, 24, 26, 178, 200, 2, 0, 255, 220])
        let training = Matrix(row: [10, 20, 24, 17, 8, 10, 89, 100, 12, 16, 178, 170, 4, 32, 233, 112])
        let knn = try trained(training, [0])
        let d = try attempt { try knn.computeL1Distances(test) }
        expectEqual(d.rows == 1 && d.cols == 1, true, "computeL1Distances", "shape (1, 1)")
        expectClose(d[0, 0], 456, tolerance: 1e-9, "computeL1Distances", "the lecture's L1 distance",
                    hint: "sum |test - train| over all pixels, without squaring or a square root")
    }

    func test_computeL1Distances_matchesReference() throws {
        let (train, labels) = Reference.data(40, 12, classes: 3, scale: 255, seed: 2)
        let (test, _) = Reference.data(7, 12, classes: 3, scale: 255, seed: 3)
        let d = try attempt { try trained(train, labels).computeL1Distances(test) }
        expectMatrix(d, matches: Reference.distances(test, train, l1: true), frobeniusBelow: 1e-6,
                     "computeL1Distances", "L1 distances (7 test x 40 training)")
    }

    // MARK: predictLabels

    func test_predictLabels_tiesGoToTheSmallerLabel() throws {
        let knn = try trained(Matrix(column: [0, 1, 2]), [3, 1, 0])
        let distances = Matrix(row: [0.1, 0.2, 0.9])
        let predicted = try attempt { try knn.predictLabels(distances: distances, k: 2) }
        expectEqual(predicted, [1], "predictLabels", "k = 2 with neighbours labelled [3, 1]",
                    hint: "on a tie in votes, choose the smaller label")
    }

    func test_predictLabels_majorityVote() throws {
        let knn = try trained(Matrix(column: [0, 1, 2, 3, 4]), [2, 5, 5, 2, 2])
        let distances = Matrix([[0.1, 0.2, 0.3, 0.4, 0.5], [0.5, 0.4, 0.3, 0.2, 0.1]])
        let k1 = try attempt { try knn.predictLabels(distances: distances, k: 1) }
        expectEqual(k1, [2, 2], "predictLabels", "k = 1 (the single nearest neighbour)")
        let k3 = try attempt { try knn.predictLabels(distances: distances, k: 3) }
        expectEqual(k3, [5, 2], "predictLabels", "k = 3 (labels [2, 5, 5] and [2, 2, 5] vote)",
                    hint: "take the k smallest distances of each row, not the k largest")
        let reference = Reference.data(9, 3, classes: 4, seed: 5)
        let many = try trained(reference.x, reference.y)
        let d = Reference.distances(Reference.data(6, 3, classes: 4, seed: 6).x, reference.x)
        for k in [1, 2, 4, 9] {
            let got = try attempt { try many.predictLabels(distances: d, k: k) }
            expectEqual(got, Reference.vote(d, labels: reference.y, k: k), "predictLabels", "random votes with k = \(k)")
        }
    }

    /// The lecture's question: with L1 or L2 distance, 1-NN on its own training data is always right.
    func test_predictLabels_oneNearestNeighbourOnTrainingDataIsPerfect() throws {
        let (x, y) = Reference.data(60, 8, classes: 10, scale: 255, seed: 7)
        let knn = try trained(x, y)
        for metric in DistanceMetric.allCases {
            let predicted = try attempt { try knn.predict(x, k: 1, metric: metric) }
            let accuracy = Double(zip(predicted, y).filter { $0 == $1 }.count) / Double(y.count)
            expectClose(accuracy, 1, tolerance: 0, "predictLabels", "1-NN training accuracy with \(metric.rawValue)",
                        hint: "each training image is its own nearest neighbour at distance 0")
        }
    }

    func test_predictLabels_rejectsImpossibleK() throws {
        let knn = try trained(Matrix(column: [0, 1, 2]), [0, 1, 2])
        for k in [0, 4] {
            XCTAssertThrowsError(try knn.predict(Matrix(column: [1]), k: k), "k = \(k) with 3 training images") { error in
                expectEqual(error as? KNNError, .invalidK(k: k, trainingCount: 3), "predictLabels", "the error for k = \(k)")
            }
        }
    }

    // MARK: cross-validation

    func test_makeFolds_partitionsWithoutOverlap() throws {
        let folds = try attempt { try makeFolds(count: 23, folds: 5) }
        expectEqual(folds.map(\.count), [5, 5, 5, 4, 4], "makeFolds", "fold sizes for 23 examples in 5 folds",
                    hint: "the first count % folds folds get one example more")
        expectEqual(folds.flatMap { $0 }.sorted(), Array(0 ..< 23), "makeFolds", "all indices, sorted",
                    hint: "every index must be in exactly one fold")
        XCTAssertThrowsError(try makeFolds(count: 3, folds: 1))
        XCTAssertThrowsError(try makeFolds(count: 3, folds: 4))
    }

    func test_crossValidate_matchesReference() throws {
        let (x, y) = Reference.data(30, 4, classes: 3, seed: 8)
        let kChoices = [1, 3, 5, 20]
        var progress: [Int] = []
        let result = try attempt { try crossValidate(x: x, y: y, kChoices: kChoices, folds: 3) { done, _ in progress.append(done) } }
        expectEqual(result.keys.sorted(), kChoices, "crossValidate", "the values of k in the result")
        for k in kChoices {
            let expected = (0 ..< 3).map { f -> Double in
                let validation = Array(f * 10 ..< f * 10 + 10)
                let training = (0 ..< 30).filter { !validation.contains($0) }
                let d = Reference.distances(x.rows(at: validation), x.rows(at: training))
                let predicted = Reference.vote(d, labels: training.map { y[$0] }, k: k)
                return Double(zip(predicted, validation).filter { $0 == y[$1] }.count) / 10
            }
            let got = result[k] ?? []
            expectEqual(got, expected, "crossValidate", "fold accuracies for k = \(k)",
                        hint: got.contains { $0 > 1 } ? "an accuracy is a fraction: correct / fold size"
                                                      : "train on the other folds, validate on the held-out fold, in fold order")
        }
        expectEqual(progress, [1, 2, 3], "crossValidate", "progress calls", hint: "call progress(f + 1, folds) after each fold")
    }

    // MARK: helpers

    /// A classifier trained on `x`, `y` through the student's `train` (skips while it is a stub).
    private func trained(_ x: Matrix, _ y: [Int]) throws -> KNearestNeighbor {
        var knn = KNearestNeighbor()
        try attempt { try knn.train(x: x, y: y) }
        return knn
    }

    /// Compares an L2 distance implementation with the reference on seeded random data.
    private func checkAgainstReference(_ exercise: String, _ distances: (KNearestNeighbor, Matrix) throws -> Matrix) throws {
        let (train, labels) = Reference.data(45, 20, classes: 5, scale: 255, seed: 9)
        let (test, _) = Reference.data(8, 20, classes: 5, scale: 255, seed: 10)
        let d = try attempt { try distances(trained(train, labels), test) }
        let reference = Reference.distances(test, train)
        let squaredByMistake = d.shape == reference.shape && (d - reference.squared).magnitude.max() < 1e-3
        expectMatrix(d, matches: reference, frobeniusBelow: 1e-6, exercise, "L2 distances (8 test x 45 training)",
                     hint: squaredByMistake ? "these are the squared distances: take the square root"
                                            : "rows are test images and columns training images")
    }
}
