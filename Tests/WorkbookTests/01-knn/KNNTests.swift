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
        // Training again replaces the data (kNN's training is memorising the latest training set).
        let (x2, y2) = Reference.data(3, 4, classes: 3, seed: 15)
        try attempt { try knn.train(x: x2, y: y2) }
        expectEqual(knn.xTrain, x2, "train", "xTrain after training again on 3 other images", hint: "assign the images, do not append to them")
        expectEqual(knn.yTrain, y2, "train", "yTrain after training again on 3 other images", hint: "assign the labels, do not append to them")
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

    /// The documented example, then 72 tied votes (two-, three- and four-way ties, over many label sets,
    /// neighbour orders and training orders): a rule that depends on the order the votes were counted in
    /// (a Dictionary's order changes from run to run) or on which neighbour is nearest cannot pass them all.
    func test_predictLabels_tiesGoToTheSmallerLabel() throws {
        let knn = try trained(Matrix(column: [0, 1, 2]), [3, 1, 0])
        let predicted = try attempt { try knn.predictLabels(distances: Matrix(row: [0.1, 0.2, 0.9]), k: 2) }
        let hint = "on a tie in votes, choose the smaller label (not the nearest neighbour's, not the first or last counted; " +
            "a Dictionary's order changes from run to run)"
        expectEqual(predicted, [1], "predictLabels", "k = 2 with neighbours labelled [3, 1]", hint: hint)
        var rng = SeededGenerator(seed: 13)
        var wrong: [String] = []
        var cases = 0
        for tied in [2, 3, 4] {
            for _ in 0 ..< 24 {
                // `tied` labels with two votes each among the k = 2 * tied nearest, then three far neighbours
                // of other labels: every tied label has the most votes, and the smallest must win.
                var labels: [Int] = []
                while labels.count < tied {
                    let label = rng.integer(below: 10)
                    if !labels.contains(label) { labels.append(label) }
                }
                var nearest = labels + labels
                rng.shuffle(&nearest)
                var others = (0 ..< 10).filter { !labels.contains($0) }
                rng.shuffle(&others)
                nearest += others.prefix(3)
                // Neighbour j is the j-th nearest; the training images are in a shuffled order.
                let order = rng.permutation(nearest.count)
                var distances = Matrix.zeros(1, nearest.count)
                var trainingLabels = Array(repeating: 0, count: nearest.count)
                for (position, j) in order.enumerated() {
                    distances[0, position] = Double(j + 1) / 8
                    trainingLabels[position] = nearest[j]
                }
                let knn = try trained(Matrix(column: (0 ..< nearest.count).map(Double.init)), trainingLabels)
                let got = try attempt { try knn.predictLabels(distances: distances, k: 2 * tied) }
                cases += 1
                if got != [labels.min()!] {
                    wrong.append("k = \(2 * tied), the nearest labelled \(Array(nearest.prefix(2 * tied))) (nearest first), gave \(got) instead of [\(labels.min()!)]")
                }
            }
        }
        if let first = wrong.first {
            fail("predictLabels", "\(wrong.count) of \(cases) tied votes went to a label other than the smallest, e.g. \(first)", hint: hint)
        }
    }

    /// The documented rule for neighbours at equal distance: they are taken in training order (the
    /// earlier training image first), whatever their labels.
    func test_predictLabels_equalDistancesTakeTheEarlierTrainingImage() throws {
        let cases: [(distances: [Double], labels: [Int], k: Int, expected: Int, what: String)] = [
            ([0.5, 0.5, 0.5], [2, 0, 1], 1, 2, "k = 1, three training images at the same distance, labelled [2, 0, 1]"),
            ([0, 0, 0], [7, 3, 5], 1, 7, "k = 1, three training images at distance 0, labelled [7, 3, 5]"),
            ([0.2, 0.2, 0.2], [6, 6, 1], 2, 6, "k = 2, three training images at the same distance, labelled [6, 6, 1]"),
            ([0.9, 0.3, 0.1, 0.3, 0.3], [0, 4, 8, 2, 2], 2, 4,
             "k = 2, the nearest labelled 8, then three at equal distance labelled [4, 2, 2] in training order"),
            ([0.4, 0.4, 0.1, 0.4, 0.4], [5, 5, 1, 0, 0], 3, 5,
             "k = 3, the nearest labelled 1, then four at equal distance labelled [5, 5, 0, 0] in training order"),
            ([0.3, 0.3, 0.1], [4, 2, 2], 3, 2, "k = 3, distances (0.3, 0.3, 0.1) labelled [4, 2, 2]: each image votes once"),
            ([0, 0, 0.5], [3, 1, 3], 2, 1, "k = 2, two images at distance 0 labelled [3, 1]: each votes once, the tie goes to 1"),
        ]
        for (distances, labels, k, expected, what) in cases {
            let knn = try trained(Matrix(column: labels.indices.map(Double.init)), labels)
            let got = try attempt { try knn.predictLabels(distances: Matrix(row: distances), k: k) }
            expectEqual(got, [expected], "predictLabels", what,
                        hint: "among neighbours at equal distance take the earlier training image first (compare with <, " +
                            "not <=, or sort the indices by (distance, index)), each image once (not found again by its distance value); " +
                            "do not break distance ties by label")
        }
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

    /// The lecture's question: with L1 or L2 distance, 1-NN on its own training data is always right. The
    /// distances come from the reference, so that this grades predictLabels alone.
    func test_predictLabels_oneNearestNeighbourOnTrainingDataIsPerfect() throws {
        let (x, y) = Reference.data(60, 8, classes: 10, scale: 255, seed: 7)
        let knn = try trained(x, y)
        for metric in DistanceMetric.allCases {
            let distances = Reference.distances(x, x, l1: metric == .l1)
            let predicted = try attempt { try knn.predictLabels(distances: distances, k: 1) }
            let accuracy = Double(zip(predicted, y).filter { $0 == $1 }.count) / Double(y.count)
            expectClose(accuracy, 1, tolerance: 0, "predictLabels", "1-NN training accuracy with \(metric.rawValue) distances (from the reference)",
                        hint: "each training image is its own nearest neighbour at distance 0: take the smallest distance of each row")
        }
    }

    func test_predictLabels_rejectsImpossibleK() throws {
        let knn = try trained(Matrix(column: [0, 1, 2]), [0, 1, 2])
        let distances = Matrix(row: [0.3, 0.1, 0.2])
        _ = try attempt { try knn.predictLabels(distances: distances, k: 1) }
        for k in [0, -1, 4] {
            XCTAssertThrowsError(try knn.predictLabels(distances: distances, k: k), "k = \(k) with 3 training images") { error in
                expectEqual(error as? KNNError, .invalidK(k: k, trainingCount: 3), "predictLabels", "the error for k = \(k)",
                            hint: "keep the given checkDistances call at the top of the function")
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

    func test_makeFolds_contiguousBlocksInOrder() throws {
        for (count, folds) in [(23, 5), (10, 3), (7, 7), (9, 2)] {
            let got = try attempt { try makeFolds(count: count, folds: folds) }
            let (base, extra) = count.quotientAndRemainder(dividingBy: folds)
            var start = 0
            let expected = (0 ..< folds).map { f -> [Int] in
                let size = base + (f < extra ? 1 : 0)
                defer { start += size }
                return Array(start ..< start + size)
            }
            expectEqual(got, expected, "makeFolds", "the folds of \(count) examples in \(folds)",
                        hint: "fold f is the next contiguous block of indices, in order (as NumPy's array_split), " +
                            "the first count % folds folds one longer; not every folds-th index")
        }
    }

    func test_crossValidate_matchesReference() throws {
        let (x, y) = Reference.data(30, 4, classes: 3, seed: 8)
        try checkCrossValidation(x, y, kChoices: [1, 3, 5, 20], folds: 3, metric: .l2)
    }

    /// The L1 metric (not the default) and folds of unequal sizes (23 images in 4 folds of 6, 6, 6, 5).
    func test_crossValidate_l1MetricAndUnequalFolds() throws {
        let (x, y) = Reference.data(23, 5, classes: 3, scale: 255, seed: 14)
        try checkCrossValidation(x, y, kChoices: [2, 1, 7], folds: 4, metric: .l1)
    }

    // MARK: helpers

    /// Runs the student's crossValidate and compares every fold's accuracy with the reference's (contiguous
    /// folds as makeFolds documents, distances and votes by the definitions), and what progress was told.
    /// crossValidate calls makeFolds, a distance function and predictLabels; the hint says so.
    private func checkCrossValidation(_ x: Matrix, _ y: [Int], kChoices: [Int], folds: Int, metric: DistanceMetric) throws {
        var progress: [String] = []
        let result = try attempt {
            try crossValidate(x: x, y: y, kChoices: kChoices, folds: folds, metric: metric) { done, total in progress.append("(\(done), \(total))") }
        }
        let setting = "\(x.rows) images, \(folds) folds, \(metric.rawValue)"
        expectEqual(result.keys.sorted(), kChoices.sorted(), "crossValidate", "the values of k in the result (\(setting))")
        let (base, extra) = x.rows.quotientAndRemainder(dividingBy: folds)
        let sizes = (0 ..< folds).map { base + ($0 < extra ? 1 : 0) }
        let starts = sizes.indices.map { sizes.prefix($0).reduce(0, +) }
        let used = metric == .l1 ? "computeL1Distances" : "computeDistancesNoLoops"
        for k in kChoices {
            let expected = (0 ..< folds).map { f -> Double in
                let validation = Array(starts[f] ..< starts[f] + sizes[f])
                let training = (0 ..< x.rows).filter { !validation.contains($0) }
                let d = Reference.distances(x.rows(at: validation), x.rows(at: training), l1: metric == .l1)
                let predicted = Reference.vote(d, labels: training.map { y[$0] }, k: k)
                return Double(zip(predicted, validation).filter { $0 == y[$1] }.count) / Double(validation.count)
            }
            let got = result[k] ?? []
            let hint: String
            if got.contains(where: { $0 > 1 }) {
                hint = "an accuracy is a fraction: correct / the fold's size"
            } else if extra > 0 && got.count == folds
                        && zip(zip(got, expected), sizes).allSatisfy({ abs($0.0 * Double(x.rows / folds) - $0.1 * Double($1)) < 1e-9 }) {
                hint = "divide by the held-out fold's own size: the folds differ in size when N is not a multiple of the number of folds"
            } else {
                hint = "train on the other folds, validate on the held-out fold, in fold order, with the metric passed in " +
                    "(\(used)); makeFolds, \(used) and predictLabels must pass their own tests first"
            }
            expectEqual(got, expected, "crossValidate", "fold accuracies for k = \(k) (\(setting))", hint: hint)
        }
        let expectedProgress = (1 ... folds).map { "(\($0), \(folds))" }
        expectEqual(progress, expectedProgress, "crossValidate", "the (done, total) pairs told to progress (\(setting))",
                    hint: "call progress(f + 1, folds) once after each fold, with the number of folds as the total")
    }

    /// A classifier holding `x`, `y` as its training data, set directly rather than through the student's
    /// `train`, so that the distance and vote tests grade their own exercise alone (train has its own test).
    private func trained(_ x: Matrix, _ y: [Int]) throws -> KNearestNeighbor {
        var knn = KNearestNeighbor()
        knn.xTrain = x
        knn.yTrain = y
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
