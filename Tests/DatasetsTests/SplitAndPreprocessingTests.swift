import XCTest
import LinearAlgebra
import Datasets

/// The standard split, preprocessing and the label helpers, on small matrices with known answers.
final class SplitAndPreprocessingTests: XCTestCase {
    /// `n` examples of `d` features where every feature of example i equals `Double(i)`, label i % 10:
    /// a row's value says where it came from.
    private func numbered(_ n: Int, d: Int = 2) -> LabeledImages {
        LabeledImages(images: Matrix(rows: n, cols: d, (0 ..< n).flatMap { Array(repeating: Double($0), count: d) }),
                      labels: (0 ..< n).map { $0 % 10 })
    }

    // MARK: Split

    func testStandardSplitSizesWithTheDefaults() throws {
        let split = try DataSplit(training: numbered(50_000, d: 1), test: numbered(10_000, d: 1), seed: 0)
        XCTAssertEqual([split.train.count, split.validation.count, split.test.count, split.development.count],
                       [49_000, 1_000, 1_000, 500])
        XCTAssertEqual(split.train.images[48_999, 0], 48_999)
        XCTAssertEqual(split.validation.images[0, 0], 49_000, "validation starts right after training")
        XCTAssertEqual(split.validation.images[999, 0], 49_999)
        XCTAssertEqual(split.test.images[999, 0], 999, "the first 1,000 test records")
    }

    func testDevelopmentSetIsDrawnFromTrainingWithoutReplacementAndReproducibly() throws {
        let training = numbered(60), test = numbered(8)
        let split = try DataSplit(training: training, test: test, trainCount: 40, validationCount: 10,
                                  testCount: 5, developmentCount: 30, seed: 7)
        XCTAssertEqual(split.train.labels, Array(training.labels[0 ..< 40]))
        XCTAssertEqual(split.validation.images.column(0).storage, (40 ..< 50).map(Double.init))
        XCTAssertEqual(split.test.labels, [0, 1, 2, 3, 4])

        let drawn = split.development.images.column(0).storage.map { Int($0) }
        XCTAssertEqual(drawn, split.developmentIndices, "development rows are the training rows at developmentIndices")
        XCTAssertEqual(split.development.labels, drawn.map { $0 % 10 })
        XCTAssertEqual(Set(drawn).count, 30, "no example is drawn twice")
        XCTAssertTrue(drawn.allSatisfy { (0 ..< 40).contains($0) }, "drawn from the training part only: \(drawn)")

        let again = try DataSplit(training: training, test: test, trainCount: 40, validationCount: 10,
                                  testCount: 5, developmentCount: 30, seed: 7)
        XCTAssertEqual(again.developmentIndices, split.developmentIndices, "same seed, same development set")
        let other = try DataSplit(training: training, test: test, trainCount: 40, validationCount: 10,
                                  testCount: 5, developmentCount: 30, seed: 8)
        XCTAssertNotEqual(other.developmentIndices, split.developmentIndices, "another seed draws another set")
    }

    func testSplitThatDoesNotFitTheDataIsAnError() {
        let training = numbered(60), test = numbered(8)
        XCTAssertThrowsError(try DataSplit(training: training, test: test, trainCount: 55, validationCount: 10,
                                           testCount: 5, developmentCount: 5, seed: 0)) { error in
            XCTAssertEqual(error as? DataSplitError,
                           .notEnoughTrainingExamples(trainCount: 55, validationCount: 10, available: 60))
            XCTAssertTrue(String(describing: error).contains("65 training examples, but only 60"), "\(error)")
        }
        XCTAssertThrowsError(try DataSplit(training: training, test: test, trainCount: 40, validationCount: 10,
                                           testCount: 9, developmentCount: 5, seed: 0)) { error in
            XCTAssertEqual(error as? DataSplitError, .notEnoughTestExamples(testCount: 9, available: 8))
        }
        XCTAssertThrowsError(try DataSplit(training: training, test: test, trainCount: 40, validationCount: 10,
                                           testCount: 5, developmentCount: 41, seed: 0)) { error in
            XCTAssertEqual(error as? DataSplitError, .developmentSetTooLarge(developmentCount: 41, trainCount: 40))
        }
        XCTAssertThrowsError(try DataSplit(training: numbered(5_000), test: numbered(500), seed: 0),
                             "the default split needs the full training set") { error in
            XCTAssertEqual(error as? DataSplitError,
                           .notEnoughTrainingExamples(trainCount: 49_000, validationCount: 1_000, available: 5_000))
        }
    }

    // MARK: Mean image

    func testMeanImageAndItsSubtraction() {
        let x = Matrix([[1, 2, 30], [3, 6, 10]])
        let mean = meanImage(x)
        XCTAssertEqual(mean.nestedRows, [[2, 4, 20]])
        let centred = subtractingMeanImage(mean, from: x)
        XCTAssertEqual(centred.nestedRows, [[-1, -2, 10], [1, 2, -10]])
        XCTAssertEqual(meanImage(centred).nestedRows, [[0, 0, 0]])
        XCTAssertEqual(subtractingMeanImage(mean, from: Matrix([[2, 4, 20]])).nestedRows, [[0, 0, 0]],
                       "the training mean applies unchanged to other sets")
    }

    // MARK: Per-channel statistics

    func testChannelMeansAndStandardDeviationsAreOverThePlanes() {
        // Two images of 3 planes x 2 pixels: red (1, 3 | 5, 7), green all 10, blue (0, 0 | 0, 8).
        let x = Matrix([[1, 3, 10, 10, 0, 0],
                        [5, 7, 10, 10, 0, 8]])
        XCTAssertEqual(channelMeans(x), [4, 10, 2])
        let deviations = channelStandardDeviations(x)
        XCTAssertEqual(deviations[0], 5.0.squareRoot(), accuracy: 1e-12, "red: (9 + 1 + 1 + 9) / 4")
        XCTAssertEqual(deviations[1], 0)
        XCTAssertEqual(deviations[2], 12.0.squareRoot(), accuracy: 1e-12, "blue: (4 + 4 + 4 + 36) / 4")

        let normalized = normalizingChannels(x, means: [4, 10, 2], standardDeviations: [2, 5, 4])
        XCTAssertEqual(normalized.nestedRows, [[-1.5, -0.5, 0, 0, -0.5, -0.5],
                                               [0.5, 1.5, 0, 0, -0.5, 1.5]])
    }

    func testNormalizedChannelsHaveMeanZeroAndDeviationOne() {
        var rng = SeededGenerator(seed: 3)
        let x = Matrix.uniform(20, 3072, low: 0, high: 255, using: &rng)
        let z = normalizingChannels(x, means: channelMeans(x), standardDeviations: channelStandardDeviations(x))
        for (value, expected) in zip(channelMeans(z) + channelStandardDeviations(z), [0.0, 0, 0, 1, 1, 1]) {
            XCTAssertEqual(value, expected, accuracy: 1e-12)
        }
    }

    // MARK: Bias trick

    func testBiasColumnAppendsOnesAfterTheFeatures() {
        let x = Matrix([[1, 2], [3, 4], [5, 6]])
        XCTAssertEqual(appendingBiasColumn(x).nestedRows, [[1, 2, 1], [3, 4, 1], [5, 6, 1]])
        let images = appendingBiasColumn(Matrix(rows: 4, cols: CIFAR10.featureCount, repeating: 9))
        XCTAssertEqual(images.shapeDescription, "(4, 3073)")
        XCTAssertEqual(images.column(3072).storage, [1, 1, 1, 1])
        XCTAssertEqual(images.column(3071).storage, [9, 9, 9, 9])
    }

    // MARK: Labels

    func testClassCountsAndAccuracy() {
        XCTAssertEqual(classCounts([2, 0, 2, 9, 2], classes: 10), [1, 0, 3, 0, 0, 0, 0, 0, 0, 1])
        XCTAssertEqual(classCounts([], classes: 3), [0, 0, 0])
        XCTAssertEqual(accuracy(predicted: [1, 2, 3, 4], labels: [1, 2, 0, 4]), 0.75)
        XCTAssertEqual(accuracy(predicted: [5], labels: [6]), 0)
    }
}
