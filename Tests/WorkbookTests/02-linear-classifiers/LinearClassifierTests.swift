import XCTest
import Foundation
import LinearAlgebra
import GradientCheck
@testable import Workbook

/// Chapter 2, linear classifiers: Exercises/02-linear-classifiers/Regularization.swift, LinearSVM.swift, Softmax.swift,
/// LinearClassifier.swift and RandomSearch.swift.
///
/// The four losses add the regularization penalty, so their tests are skipped until
/// `Regularization.penalty` and `Regularization.gradient` are written: do those first. The `train` tests
/// run the given training loop, which calls `sampleMinibatch` and `sgdStep`, on a classifier with the
/// reference's loss (so a wrong loss is blamed on that loss alone).
final class LinearClassifierTests: XCTestCase {
    // MARK: Regularization

    func test_regularizationPenalty_knownMatrix() throws {
        let w = Matrix([[1, -2], [0, 3]])    // sum W^2 = 14, sum |W| = 6
        let cases: [(Regularization, Double, String)] = [
            (.l2, 0.5 * 14, "L2 is strength * sum of W^2, with no factor 1/2"),
            (.l1, 0.5 * 6, "L1 is strength * sum of |W|"),
            (.elasticNet(beta: 0.25), 0.5 * (0.25 * 14 + 6), "the elastic net is strength * (beta * sum W^2 + sum |W|)"),
        ]
        for (kind, expected, hint) in cases {
            let value = try attempt { try kind.penalty(w, strength: 0.5) }
            expectClose(value, expected, tolerance: 1e-12, "Regularization.penalty", "\(kind) penalty of [[1, -2], [0, 3]] at strength 0.5", hint: hint)
        }
    }

    func test_regularizationGradient_knownMatrix() throws {
        let w = Matrix([[1, -2], [0, 3]])
        let sign = Matrix([[1, -1], [0, 1]])    // sign(0) = 0
        let cases: [(Regularization, Matrix, String)] = [
            (.l2, 2 * 0.5 * w, "the gradient of strength * sum W^2 is 2 * strength * W"),
            (.l1, 0.5 * sign, "the gradient of strength * sum |W| is strength * sign(W), with sign(0) = 0"),
            (.elasticNet(beta: 0.25), 0.5 * (2 * 0.25 * w + sign), "strength * (2 * beta * W + sign(W)), with sign(0) = 0"),
        ]
        for (kind, expected, hint) in cases {
            let gradient = try attempt { try kind.gradient(w, strength: 0.5) }
            expectMatrix(gradient, matches: expected, frobeniusBelow: 1e-12, "Regularization.gradient",
                         "\(kind) gradient of [[1, -2], [0, 3]] at strength 0.5", hint: hint)
        }
    }

    func test_regularizationGradient_numericalCheck() throws {
        var rng = SeededGenerator(seed: 20)
        let w = Matrix.gaussian(5, 4, using: &rng)
        XCTAssertGreaterThan(w.magnitude.min(), 1e-3, "the test weights must stay away from the kink of |w| at 0")
        for kind in Self.regularizations {
            let analytic = try attempt { try kind.gradient(w, strength: 0.7) }
            // The numerical gradient of the reference penalty, so that a wrong penalty is not blamed on the gradient.
            let numerical = numericalGradient(of: { Reference.penalty($0, strength: 0.7, kind).value }, at: w)
            expectRelativeError(analytic, numerical, below: 1e-7, "Regularization.gradient", "\(kind) gradient",
                                hint: "differentiate the penalty as the chapter defines it (no factor 1/2)")
        }
    }

    // MARK: Multiclass SVM loss

    func test_svmLossNaive_lectureExample() throws { try checkLectureHingeExample("svmLossNaive", Self.svmNaive) }
    func test_svmLossVectorized_lectureExample() throws { try checkLectureHingeExample("svmLossVectorized", Self.svmVectorized) }

    func test_svmLossNaive_zeroScoresGiveCMinusOne() throws { try checkZeroScores("svmLossNaive", Self.svmNaive) }
    func test_svmLossVectorized_zeroScoresGiveCMinusOne() throws { try checkZeroScores("svmLossVectorized", Self.svmVectorized) }

    func test_svmLossNaive_matchesReference() throws {
        try checkAgainstReference("svmLossNaive", Self.svmNaive, hinge: true, reference: Reference.svmLoss)
    }
    func test_svmLossVectorized_matchesReference() throws {
        try checkAgainstReference("svmLossVectorized", Self.svmVectorized, hinge: true, reference: Reference.svmLoss)
    }

    func test_svmLossNaive_gradientCheck() throws { try checkGradient("svmLossNaive", Self.svmNaive, hinge: true) }
    func test_svmLossVectorized_gradientCheck() throws { try checkGradient("svmLossVectorized", Self.svmVectorized, hinge: true) }

    func test_svmLossNaive_doublingZeroLossWeights() throws { try checkDoubling("svmLossNaive", Self.svmNaive) }
    func test_svmLossVectorized_doublingZeroLossWeights() throws { try checkDoubling("svmLossVectorized", Self.svmVectorized) }

    func test_svmLossNaive_duplicatedBatchChangesNothing() throws { try checkDuplicatedBatch("svmLossNaive", Self.svmNaive) }
    func test_svmLossVectorized_duplicatedBatchChangesNothing() throws { try checkDuplicatedBatch("svmLossVectorized", Self.svmVectorized) }

    func test_svmLossNaive_marginExactlyZeroIsInactive() throws { try checkZeroMargins("svmLossNaive", Self.svmNaive) }
    func test_svmLossVectorized_marginExactlyZeroIsInactive() throws { try checkZeroMargins("svmLossVectorized", Self.svmVectorized) }

    func test_svmLossNaive_rejectsBadInput() throws { try checkBadInput("svmLossNaive", Self.svmNaive) }
    func test_svmLossVectorized_rejectsBadInput() throws { try checkBadInput("svmLossVectorized", Self.svmVectorized) }

    // MARK: Softmax loss

    func test_softmaxLossNaive_lectureExample() throws { try checkLectureSoftmaxExample("softmaxLossNaive", Self.softmaxNaive) }
    func test_softmaxLossVectorized_lectureExample() throws { try checkLectureSoftmaxExample("softmaxLossVectorized", Self.softmaxVectorized) }

    func test_softmaxLossNaive_tinyWeightsGiveLn10() throws { try checkTinyWeights("softmaxLossNaive", Self.softmaxNaive) }
    func test_softmaxLossVectorized_tinyWeightsGiveLn10() throws { try checkTinyWeights("softmaxLossVectorized", Self.softmaxVectorized) }

    func test_softmaxLossNaive_numericallyStable() throws { try checkStability("softmaxLossNaive", Self.softmaxNaive) }
    func test_softmaxLossVectorized_numericallyStable() throws { try checkStability("softmaxLossVectorized", Self.softmaxVectorized) }

    func test_softmaxLossNaive_matchesReference() throws {
        try checkAgainstReference("softmaxLossNaive", Self.softmaxNaive, hinge: false, reference: Reference.softmaxLoss)
    }
    func test_softmaxLossVectorized_matchesReference() throws {
        try checkAgainstReference("softmaxLossVectorized", Self.softmaxVectorized, hinge: false, reference: Reference.softmaxLoss)
    }

    func test_softmaxLossNaive_gradientCheck() throws { try checkGradient("softmaxLossNaive", Self.softmaxNaive, hinge: false) }
    func test_softmaxLossVectorized_gradientCheck() throws { try checkGradient("softmaxLossVectorized", Self.softmaxVectorized, hinge: false) }

    func test_softmaxLossNaive_duplicatedBatchChangesNothing() throws { try checkDuplicatedBatch("softmaxLossNaive", Self.softmaxNaive) }
    func test_softmaxLossVectorized_duplicatedBatchChangesNothing() throws {
        try checkDuplicatedBatch("softmaxLossVectorized", Self.softmaxVectorized)
    }

    func test_softmaxLossNaive_rejectsBadInput() throws { try checkBadInput("softmaxLossNaive", Self.softmaxNaive) }
    func test_softmaxLossVectorized_rejectsBadInput() throws { try checkBadInput("softmaxLossVectorized", Self.softmaxVectorized) }

    // MARK: Minibatch SGD

    func test_sampleMinibatch_keepsImagesWithTheirLabels() throws {
        // Row i of x holds i in every feature, so each sampled row says which image it is.
        let x = Matrix(rows: 10, cols: 3, (0 ..< 30).map { Double($0 / 3) })
        let y = [4, 1, 7, 0, 9, 2, 2, 5, 3, 8]
        var rng = SeededGenerator(seed: 30)
        let batch = try attempt { try sampleMinibatch(x: x, y: y, batchSize: 6, using: &rng) }
        expectEqual(batch.x.shapeDescription, "(6, 3)", "sampleMinibatch", "the batch's image shape",
                    hint: "take batchSize rows of x, keeping all D features")
        expectEqual(batch.y.count, 6, "sampleMinibatch", "the number of labels")
        guard batch.x.rows == 6 && batch.y.count == 6 && batch.x.cols == 3 else { return }
        for k in 0 ..< 6 {
            let image = Int(batch.x[k, 0])
            guard (0 ..< 10).contains(image), batch.x.row(k) == x.row(image) else {
                fail("sampleMinibatch", "batch row \(k) is \(batch.x.row(k)), not a row of x", hint: "gather whole rows: x.rows(at: indices)")
                return
            }
            expectEqual(batch.y[k], y[image], "sampleMinibatch", "the label of batch row \(k) (image \(image))",
                        hint: "use the same indices for the images and their labels")
        }
    }

    func test_sampleMinibatch_drawsWithReplacementFromTheSeed() throws {
        let x = Matrix(column: (0 ..< 10).map(Double.init))
        let y = Array(0 ..< 10)
        func draw(seed: UInt64, size: Int) throws -> [Int] {
            var rng = SeededGenerator(seed: seed)
            return try attempt { try sampleMinibatch(x: x, y: y, batchSize: size, using: &rng) }.y
        }
        let big = try draw(seed: 31, size: 200)
        expectEqual(big.count, 200, "sampleMinibatch", "a batch of 200 from 10 images",
                    hint: "draw with replacement (rng.indices(batchSize, below: N)): a batch may be larger than N")
        expectEqual(Set(big), Set(0 ..< 10), "sampleMinibatch", "the images drawn in 200 uniform draws from 10",
                    hint: "draw every index uniformly from 0 ..< N")
        // Independent draws follow image i with image i + 1 (mod 10) about one time in ten; a block of
        // consecutive images from a random start does it every time.
        let successive = zip(big, big.dropFirst()).filter { $1 == ($0 + 1) % 10 }.count
        if big.count == 200 && successive > 100 {
            fail("sampleMinibatch", "in a batch of 200 from 10, image i was followed by image i + 1 \(successive) times of 199 (about 20 expected)",
                 hint: "draw every index independently (rng.indices(batchSize, below: N)), not a block of consecutive images from a random start")
        }
        expectEqual(try draw(seed: 31, size: 200), big, "sampleMinibatch", "a second batch with the same seed",
                    hint: "take every random draw from the rng argument")
        if try draw(seed: 32, size: 200) == big {
            fail("sampleMinibatch", "seeds 31 and 32 gave the same batch", hint: "take every random draw from the rng argument")
        }
        var rng = SeededGenerator(seed: 33)
        let first = try attempt { try sampleMinibatch(x: x, y: y, batchSize: 20, using: &rng) }.y
        let second = try attempt { try sampleMinibatch(x: x, y: y, batchSize: 20, using: &rng) }.y
        if first == second {
            fail("sampleMinibatch", "two batches drawn one after the other from the same generator are equal",
                 hint: "draw from the rng passed in (inout), do not create a new generator inside")
        }
        XCTAssertThrowsError(try sampleMinibatch(x: x, y: y, batchSize: 0, using: &rng), "a batch size of 0") { error in
            expectEqual(error as? LinearClassifierError, .invalidSetting(name: "batchSize", value: 0, requirement: "at least 1"),
                        "sampleMinibatch", "the error for a batch size of 0", hint: "keep the given checkMinibatchRequest call")
        }
    }

    /// Batches much smaller than the training set: together they must reach every image, each batch
    /// holding valid rows, and the same seed must give the same sequence of batches.
    func test_sampleMinibatch_smallBatchesReachEveryImage() throws {
        let x = Matrix(column: (0 ..< 10).map(Double.init))
        let y = Array(0 ..< 10)
        func batches(seed: UInt64) throws -> [[Int]] {
            var rng = SeededGenerator(seed: seed)
            return try (0 ..< 40).map { _ in try attempt { try sampleMinibatch(x: x, y: y, batchSize: 3, using: &rng) }.y }
        }
        let drawn = try batches(seed: 44)
        expectEqual(drawn.map(\.count), Array(repeating: 3, count: 40), "sampleMinibatch", "the sizes of 40 batches of 3")
        let reached = Set(drawn.joined())
        expectEqual(reached, Set(0 ..< 10), "sampleMinibatch", "the images reached by 40 batches of 3 from 10",
                    hint: reached.isSubset(of: Set(0 ..< 3)) ? "draw the indices from 0 ..< N (the number of images), not from 0 ..< batchSize"
                                                              : "draw every index uniformly from 0 ..< N, with rng.indices(batchSize, below: N)")
        expectEqual(try batches(seed: 44), drawn, "sampleMinibatch", "40 batches drawn again with the same seed",
                    hint: "take every random draw from the rng argument")
    }

    func test_sgdStep_movesAgainstTheGradient() throws {
        let w = Matrix([[1, 2], [3, 4], [5, 6]])
        let dW = Matrix([[10, -20], [0, 5], [1, 1]])
        let updated = try attempt { try sgdStep(weights: w, gradient: dW, learningRate: 0.1) }
        expectMatrix(updated, matches: Matrix([[0, 4], [3, 3.5], [4.9, 5.9]]), frobeniusBelow: 1e-12,
                     "sgdStep", "W after one step with learning rate 0.1",
                     hint: "step against the gradient: W - learningRate * dW")
        XCTAssertThrowsError(try sgdStep(weights: w, gradient: dW.transposed, learningRate: 0.1)) { error in
            expectEqual(error as? LinearClassifierError, .gradientShapeMismatch(weights: "(3, 2)", gradient: "(2, 3)"),
                        "sgdStep", "the error for a transposed gradient")
        }
    }

    func test_predict_takesTheHighestScore() throws {
        var rng = SeededGenerator(seed: 34)
        var svm = LinearSVM()
        svm.weights = Matrix.gaussian(6, 4, using: &rng)
        let x = Matrix.gaussian(25, 6, using: &rng)
        let predicted = try attempt { try svm.predict(x) }
        let expected = (0 ..< x.rows).map { i -> Int in
            let s = Reference.scores(svm.weights, x, image: i)
            return s.indices.max { s[$0] < s[$1] }!
        }
        expectEqual(predicted, expected, "predict", "predictions for 25 random images",
                    hint: "scores = matmul(x, weights) is (N, C); predict the column of each row's largest score")
        var tied = Softmax()
        tied.weights = Matrix([[1, 1, 0]])
        expectEqual(try attempt { try tied.predict(Matrix([[2], [-2]])) }, [0, 2], "predict",
                    "scores (2, 2, 0) and (-2, -2, 0)", hint: "on a tie, predict the first (smallest) class")
        XCTAssertThrowsError(try Softmax().predict(x)) { error in
            expectEqual(error as? LinearClassifierError, .notTrained, "predict", "the error before training")
        }
        XCTAssertThrowsError(try svm.predict(Matrix.zeros(2, 5))) { error in
            expectEqual(error as? LinearClassifierError, .featureMismatch(features: 5, weightRows: 6), "predict",
                        "the error for images with 5 features and W of 6 rows")
        }
    }

    func test_sgdStep_trainingLearnsSeparableClusters() throws {
        let (x, y) = Reference.clusters(300, 6, classes: 4, seed: 35)
        for hinge in [true, false] {
            var classifier = ReferenceClassifier(hinge: hinge)
            let name = hinge ? "the SVM loss" : "the softmax loss"
            var progress: [Int] = []
            var progressLosses: [Double] = []
            let history = try attempt {
                try classifier.train(x: x, y: y, learningRate: 0.01, reg: 1e-3, iterations: 300, batchSize: 32,
                                     seed: 36, progressEvery: 100) { iteration, loss in progress.append(iteration); progressLosses.append(loss) }
            }
            expectEqual(history.count, 300, "sgdStep", "\(name): the loss history's length (one loss per iteration)")
            expectEqual(progress, [100, 200, 300], "sgdStep", "\(name): the iterations reported to progress")
            if history.count == 300 {
                expectEqual(progressLosses, [history[99], history[199], history[299]], "sgdStep", "\(name): the losses reported to progress")
            }
            expectEqual(classifier.weights.shapeDescription, "(7, 4)", "sgdStep", "\(name): the shape of W",
                        hint: "W is (D, C): one row per feature (bias included), one column per class")
            let early = history.prefix(10).reduce(0, +) / 10, late = history.suffix(10).reduce(0, +) / 10
            if !(late < early / 4) {
                fail("sgdStep", "\(name): the minibatch loss went from \(format(early)) (first 10 iterations) to \(format(late)) (last 10), expected a fall by a factor of 4 or more",
                     hint: "sgdStep must return W - learningRate * dW (the losses here are the reference's; sampleMinibatch must pass first)")
            }
            let predicted = (0 ..< x.rows).map { i -> Int in
                let s = Reference.scores(classifier.weights, x, image: i)
                return s.indices.max { s[$0] < s[$1] } ?? -1
            }
            let accuracy = Double(zip(predicted, y).filter { $0 == $1 }.count) / Double(y.count)
            if !(accuracy >= 0.95) {
                fail("sgdStep", "\(name): training accuracy \(format(accuracy)) on four well-separated clusters, expected at least 0.95",
                     hint: "sgdStep must return W - learningRate * dW (the losses here are the reference's; sampleMinibatch must pass first)")
            }
        }
    }

    func test_sampleMinibatch_trainingIsReproducibleFromTheSeed() throws {
        let (x, y) = Reference.clusters(100, 5, classes: 3, seed: 37)
        func run(seed: UInt64) throws -> (history: [Double], weights: Matrix) {
            var softmax = ReferenceClassifier(hinge: false)
            let history = try attempt { try softmax.train(x: x, y: y, learningRate: 0.01, reg: 1e-2, iterations: 20, batchSize: 10, seed: seed) }
            return (history, softmax.weights)
        }
        let first = try run(seed: 38), again = try run(seed: 38), other = try run(seed: 39)
        expectEqual(again.history, first.history, "sampleMinibatch", "the loss history of a second run with the same seed",
                    hint: "every random draw must come from the rng argument (the training loop, the loss and sgdStep are given or the reference's here; sgdStep must pass first)")
        expectEqual(again.weights, first.weights, "sampleMinibatch", "the weights of a second run with the same seed")
        if other.history == first.history {
            fail("sampleMinibatch", "seeds 38 and 39 gave the same loss history", hint: "sampleMinibatch must draw from its rng argument")
        }
    }

    func test_sgdStep_trainingStopsWhenTheLossExplodes() throws {
        let (x, y) = Reference.clusters(100, 5, classes: 3, seed: 40)
        var svm = ReferenceClassifier(hinge: true)
        do {
            let history = try attempt { try svm.train(x: x, y: y, learningRate: 1e3, reg: 10, iterations: 200, batchSize: 20, seed: 41) }
            fail("sgdStep", "a learning rate of 1e3 with reg 10 trained to the end (last loss \(format(history.last ?? .nan))); expected a divergence error",
                 hint: "sgdStep must return W - learningRate * dW, so that a huge step makes the penalty explode")
        } catch let error as LinearClassifierError {
            guard case let .diverged(iteration, _) = error else {
                return fail("sgdStep", "threw \(error), expected .diverged")
            }
            XCTAssertLessThan(iteration, 200, "the divergence is found early")
            XCTAssertTrue(error.description.contains("learning rate is likely too large"), error.description)
        }
    }

    // MARK: Random search

    func test_randomWeightSearch_keepsTheLowestLoss() throws {
        var tried: [(weights: Matrix, loss: Double)] = []
        var reported: [Int] = []
        var bestSoFar: [Double] = []
        let target = Matrix.ones(3, 2)
        let best = try attempt {
            try randomWeightSearch(features: 3, classes: 2, tries: 50, scale: 1, seed: 42,
                                   loss: { w in
                                       let value = (w - target).squared.sum()
                                       tried.append((w, value))
                                       return value
                                   },
                                   progress: { done, bestLoss in reported.append(done); bestSoFar.append(bestLoss) })
        }
        expectEqual(tried.count, 50, "randomWeightSearch", "the number of loss evaluations", hint: "evaluate the loss once per try")
        expectEqual(reported, Array(1 ... 50), "randomWeightSearch", "the tries reported to progress")
        let runningMinimum = tried.indices.map { t in tried.prefix(t + 1).map(\.loss).min()! }
        expectEqual(bestSoFar, runningMinimum, "randomWeightSearch", "the lowest losses so far told to progress after each of the 50 tries",
                    hint: "tell progress the lowest loss found so far (after this try), not this try's loss")
        let spread = tried.flatMap(\.weights.storage)
        let deviation = (spread.reduce(0) { $0 + $1 * $1 } / Double(max(spread.count, 1))).squareRoot()
        if !(deviation > 0.7 && deviation < 1.3) {
            fail("randomWeightSearch", "the 300 entries drawn with scale 1 have a standard deviation of \(format(deviation))",
                 hint: "use the scale argument as the standard deviation, not a fixed 0.0001")
        }
        guard let lowest = tried.min(by: { $0.loss < $1.loss }) else { return }
        expectEqual(best.loss, lowest.loss, "randomWeightSearch", "the returned loss",
                    hint: "keep the lowest loss seen, not the last one")
        expectEqual(best.weights, lowest.weights, "randomWeightSearch", "the returned weights",
                    hint: "return the weights that gave the lowest loss")
        expectEqual(best.weights.shapeDescription, "(3, 2)", "randomWeightSearch", "the shape of W (D, C)")
    }

    /// The documented rule on a tie: the earlier try is kept.
    func test_randomWeightSearch_keepsTheEarlierTryOnATie() throws {
        for losses in [[1.0, 1, 1, 1, 1, 1], [3, 2, 5, 2, 2, 7], [4, 0, 0, 1, 0, 3]] {
            var tried: [Matrix] = []
            var reported: [Double] = []
            let best = try attempt {
                try randomWeightSearch(features: 2, classes: 2, tries: losses.count, scale: 1, seed: 45,
                                       loss: { w in tried.append(w); return losses[tried.count - 1] },
                                       progress: { _, bestLoss in reported.append(bestLoss) })
            }
            guard tried.count == losses.count else {
                return fail("randomWeightSearch", "\(tried.count) loss evaluations for \(losses.count) tries", hint: "evaluate the loss once per try")
            }
            let first = losses.firstIndex(of: losses.min()!)!
            expectEqual(best.loss, losses.min()!, "randomWeightSearch", "the returned loss for losses \(losses.map(format))")
            expectEqual(best.weights, tried[first], "randomWeightSearch",
                        "the returned weights for losses \(losses.map(format)) (try \(first + 1) is the first with the lowest)",
                        hint: "on a tie keep the earlier try: replace the best only when a loss is strictly lower (<, not <=)")
            expectEqual(reported, losses.indices.map { losses.prefix($0 + 1).min()! }, "randomWeightSearch",
                        "the lowest losses so far told to progress for losses \(losses.map(format))")
        }
    }

    func test_randomWeightSearch_drawsSmallGaussianWeightsFromTheSeed() throws {
        func search(seed: UInt64) throws -> [Matrix] {
            var tried: [Matrix] = []
            _ = try attempt { try randomWeightSearch(features: 40, classes: 10, tries: 5, scale: 1e-4, seed: seed) { w in
                tried.append(w)
                return w.sum()
            } }
            return tried
        }
        let draws = try search(seed: 43)
        expectEqual(try search(seed: 43), draws, "randomWeightSearch", "the candidates of a second search with the same seed",
                    hint: "draw every W from one SeededGenerator(seed: seed)")
        if try search(seed: 46) == draws {
            fail("randomWeightSearch", "seeds 43 and 46 gave the same candidates", hint: "seed the generator with the seed argument")
        }
        guard draws.count == 5 else { return fail("randomWeightSearch", "\(draws.count) candidates instead of 5") }
        if Set(draws.map(\.storage)).count < 5 {
            fail("randomWeightSearch", "some of the 5 candidates are equal", hint: "draw a new W for every try from the same generator")
        }
        let entries = draws.flatMap(\.storage)
        let mean = entries.reduce(0, +) / Double(entries.count)
        let deviation = (entries.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(entries.count)).squareRoot()
        expectClose(mean, 0, tolerance: 1e-5, "randomWeightSearch", "the mean of 2,000 drawn entries",
                    hint: "each entry is scale * (a standard normal draw)")
        expectClose(deviation, 1e-4, tolerance: 1e-5, "randomWeightSearch", "the standard deviation of 2,000 drawn entries",
                    hint: "each entry is scale * (a standard normal draw): Matrix.gaussian(D, C, standardDeviation: scale, using: &rng)")
    }

    // MARK: Shared checks

    /// A linear classifier with the reference's loss (Support/References.swift), so that the training tests
    /// grade sampleMinibatch and sgdStep (which the given training loop calls) and not the four losses.
    struct ReferenceClassifier: LinearClassifier {
        var weights = Matrix.zeros(0, 0)
        let regularization = Regularization.l2
        let hinge: Bool

        func loss(weights: Matrix, x: Matrix, y: [Int], reg: Double) throws -> (loss: Double, dW: Matrix) {
            hinge ? Reference.svmLoss(weights, x, y, reg: reg, .l2) : Reference.softmaxLoss(weights, x, y, reg: reg, .l2)
        }
    }

    typealias Loss = (_ weights: Matrix, _ x: Matrix, _ y: [Int], _ reg: Double, _ kind: Regularization) throws -> (loss: Double, dW: Matrix)

    static let svmNaive: Loss = { try svmLossNaive(weights: $0, x: $1, y: $2, reg: $3, regularization: $4) }
    static let svmVectorized: Loss = { try svmLossVectorized(weights: $0, x: $1, y: $2, reg: $3, regularization: $4) }
    static let softmaxNaive: Loss = { try softmaxLossNaive(weights: $0, x: $1, y: $2, reg: $3, regularization: $4) }
    static let softmaxVectorized: Loss = { try softmaxLossVectorized(weights: $0, x: $1, y: $2, reg: $3, regularization: $4) }

    static let regularizations: [Regularization] = [.l2, .l1, .elasticNet(beta: 0.5)]

    /// The lecture's table: scores for a cat, a car and a frog image. With x = I (image i is the one-hot
    /// row e_i), the scores x W are W itself, so row i of W is image i's scores for (cat, car, frog).
    private func checkLectureHingeExample(_ exercise: String, _ loss: Loss) throws {
        let scores = Matrix([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
        let x = Matrix.identity(3)
        // cat: max(0, 5.1 - 3.2 + 1) + max(0, -1.7 - 3.2 + 1); car: both margins negative; frog: 6.3 + 6.6.
        for (i, (name, expected)) in [("cat", 2.9), ("car", 0), ("frog", 12.9)].enumerated() {
            let value = try attempt { try loss(scores, x.rows(i ..< i + 1), [i], 0, .l2) }.loss
            expectClose(value, expected, tolerance: 1e-9, exercise, "the hinge loss of the \(name) image",
                        hint: "sum max(0, s_j - s_y + 1) over the wrong classes j only (the true class would add 1)")
        }
        let (mean, dW) = try attempt { try loss(scores, x, [0, 1, 2], 0, .l2) }
        expectClose(mean, (2.9 + 0 + 12.9) / 3, tolerance: 1e-9, exercise, "the mean loss of the three images",
                    hint: "the loss is the mean over the batch: divide the sum by N")
        expectClose(mean, 5.27, tolerance: 0.005, exercise, "the loss against the lecture's rounded 5.27")
        // d loss / d scores: cat's car margin is active; frog's cat and car margins are. dW = x^T dScores / N.
        let expected = Matrix([[-1, 1, 0], [0, 0, 0], [1, 1, -2]]) / 3
        expectMatrix(dW, matches: expected, frobeniusBelow: 1e-9, exercise, "dW of the lecture's example",
                     hint: Self.gradientHint(dW, scores, x, [0, 1, 2], reg: 0, .l2, hinge: true,
                                             otherwise: "each positive margin adds x_i to column j and subtracts it from column y_i; divide by N"))
    }

    /// With W = 0 every margin is exactly 1: the loss is C - 1, the course's first sanity check.
    private func checkZeroScores(_ exercise: String, _ loss: Loss) throws {
        let (x, y) = Reference.data(7, 5, classes: 10, seed: 21)
        let value = try attempt { try loss(Matrix.zeros(5, 10), x, y, 0.5, .l2) }.loss
        expectClose(value, 9, tolerance: 1e-12, exercise, "the loss with all scores 0 and C = 10",
                    hint: value == 10 ? "skip j == y_i: the true class has margin 1 too but must not count"
                                      : "each of the C - 1 wrong classes has margin 0 - 0 + 1 = 1")
    }

    /// Both losses against the plain loops of `Reference`, without regularization and with a large
    /// strength of each kind (so a wrong penalty or penalty gradient cannot hide behind the data loss).
    private func checkAgainstReference(_ exercise: String, _ loss: Loss, hinge: Bool,
                                       reference: (Matrix, Matrix, [Int], Double, Regularization) -> (loss: Double, dW: Matrix)) throws {
        let (x, y) = Reference.data(9, 6, classes: 4, scale: 2, seed: 22)
        var rng = SeededGenerator(seed: 23)
        let w = Matrix.gaussian(6, 4, standardDeviation: 0.5, using: &rng)
        let settings: [(Double, Regularization)] = [(0, .l2)] + Self.regularizations.map { (1e3, $0) }
        for (reg, kind) in settings {
            let got = try attempt { try loss(w, x, y, reg, kind) }
            let expected = reference(w, x, y, reg, kind)
            let what = reg == 0 ? "without regularization" : "with \(kind) regularization at strength \(format(reg))"
            let hint = reg == 0 ? "compare each step with the definition; both loss and dW are means over the batch"
                                : "add regularization.penalty(weights, strength: reg) to the loss and its gradient to dW, after the mean"
            expectClose(got.loss, expected.loss, tolerance: 1e-9 * max(1, abs(expected.loss)), exercise, "the loss \(what)", hint: hint)
            expectMatrix(got.dW, matches: expected.dW, frobeniusBelow: 1e-9 * max(1, Self.norm(expected.dW)),
                         exercise, "dW \(what)", hint: Self.gradientHint(got.dW, w, x, y, reg: reg, kind, hinge: hinge, otherwise: hint))
        }
    }

    /// The analytic dW against the centred numerical gradient of the same function, for each kind of
    /// regularization. For the hinge, every margin is kept at least 1e-3 from 0 (its kink), far beyond
    /// the 1e-5 step; every weight is kept away from 0 (the kink of |w|); and every entry of the true
    /// gradient is at least 1e-2 in size, so that the numerical gradient's rounding error (about 1e-11)
    /// stays far below the 1e-7 relative error allowed.
    private func checkGradient(_ exercise: String, _ loss: Loss, hinge: Bool) throws {
        var rng = SeededGenerator(seed: 28)
        let x = Matrix.gaussian(6, 5, using: &rng)
        let w = Matrix.gaussian(5, 4, using: &rng)
        let y = (0 ..< 6).map { _ in rng.integer(below: 4) }
        XCTAssertGreaterThan(w.magnitude.min(), 1e-3, "the test weights must stay away from the kink of |w| at 0")
        if hinge {
            let closest = (0 ..< 6).flatMap { i -> [Double] in
                let s = Reference.scores(w, x, image: i)
                return s.indices.filter { $0 != y[i] }.map { abs(s[$0] - s[y[i]] + 1) }
            }.min()!
            XCTAssertGreaterThan(closest, 1e-3, "the test data must keep every margin away from the hinge's kink")
        }
        for kind in Self.regularizations {
            let reference = hinge ? Reference.svmLoss(w, x, y, reg: 0.1, kind) : Reference.softmaxLoss(w, x, y, reg: 0.1, kind)
            XCTAssertGreaterThan(reference.dW.magnitude.min(), 1e-2, "the test data must keep every gradient entry away from 0")
            let analytic = try attempt { try loss(w, x, y, 0.1, kind) }.dW
            let numerical = try attempt { try numericalGradient(of: { try loss($0, x, y, 0.1, kind).loss }, at: w) }
            expectRelativeError(analytic, numerical, below: 1e-7, exercise, "dW with \(kind) regularization",
                                hint: Self.gradientHint(analytic, w, x, y, reg: 0.1, kind, hinge: hinge))
        }
    }

    /// Margins of exactly 0 (a wrong class scoring exactly 1 below the true class): the hinge's derivative
    /// at 0 is taken as 0, so such a margin adds nothing to the loss or to dW. Every score is a small
    /// binary fraction and x is one-hot, so the margins are exactly 0, not merely close to it.
    private func checkZeroMargins(_ exercise: String, _ loss: Loss) throws {
        // With x = I the scores are W: image 0 scores (2, 1, 0.5) with true class 0 (margins 0 and -0.5),
        // image 1 (0.25, -0.75, -0.75) with true class 0 (margins 0 and 0), image 2 (1, 3, 2) with true
        // class 1 (margins -1 and 0).
        let zeroHint = "a margin of exactly 0 is not active: count a wrong class only when s_j - s_y + 1 > 0 (not >= 0)"
        /// The zero-margin hint when dW is what counting zero margins gives, else the hint that fits dW.
        func hint(_ dW: Matrix, _ w: Matrix, _ x: Matrix, _ y: [Int]) -> String {
            let counted = Reference.hingeLoss(w, x, y, reg: 0, .l2, countingZeroMargins: true).dW
            return dW.shape == counted.shape && relativeError(dW, counted) < 1e-9 ? zeroHint : Self.gradientHint(dW, w, x, y, reg: 0, .l2, hinge: true)
        }
        let w = Matrix([[2, 1, 0.5], [0.25, -0.75, -0.75], [1, 3, 2]])
        let (value, dW) = try attempt { try loss(w, Matrix.identity(3), [0, 0, 1], 0, .l2) }
        expectClose(value, 0, tolerance: 0, exercise, "the loss when every margin is exactly 0 or negative",
                    hint: "max(0, margin) is 0 for a margin of 0 or less, and the true class is skipped")
        expectMatrix(dW, matches: Matrix.zeros(3, 3), frobeniusBelow: 1e-15, exercise,
                     "dW when every margin is exactly 0 or negative", hint: hint(dW, w, Matrix.identity(3), [0, 0, 1]))
        // Scores (1, 0, 2), true class 0: the class-1 margin is exactly 0, the class-2 margin 2.
        let mixed = Matrix([[1, 0, 2]])
        let (mixedValue, mixedGradient) = try attempt { try loss(mixed, Matrix([[1]]), [0], 0, .l2) }
        expectClose(mixedValue, 2, tolerance: 1e-15, exercise, "the loss of scores (1, 0, 2), true class 0 (margins 0 and 2)",
                    hint: "max(0, margin) is 0 for a margin of 0 or less, and the true class is skipped")
        expectMatrix(mixedGradient, matches: Matrix([[-1, 0, 1]]), frobeniusBelow: 1e-15, exercise,
                     "dW of scores (1, 0, 2), true class 0 (only the class-2 margin is active)", hint: hint(mixedGradient, mixed, Matrix([[1]]), [0]))
    }

    /// The hint for a wrong dW: the usual mistakes each leave a recognisable dW (the data part not
    /// divided by N, the penalty's gradient missing, divided by N or halved, the true-class term missing
    /// or with the wrong sign), so the hint names the one that fits, or `otherwise`.
    static func gradientHint(_ dW: Matrix, _ w: Matrix, _ x: Matrix, _ y: [Int], reg: Double, _ kind: Regularization,
                             hinge: Bool, otherwise: String? = nil) -> String {
        guard dW.shape == w.shape else { return "dW has the shape of W, (D, C)" }
        let parts = Reference.gradientParts(w, x, y, reg: reg, kind, hinge: hinge)
        let n = Double(x.rows)
        let correct = parts.data + parts.penalty
        let trueColumn = hinge
            ? "the true-class columns are wrong: each positive margin also subtracts x_i from column y_i (dScores[i, y_i] = -(number of positive margins))"
            : "the true-class columns are wrong: d loss / d s_{y_i} is p_{y_i} - 1, so subtract x_i / N from column y_i"
        var candidates: [(Matrix, String)] = [
            (n * parts.data + parts.penalty, "dW is N times too large: divide the data gradient by N, as the loss (the penalty's gradient is added after the mean)"),
            (parts.data / n + parts.penalty, "dW's data part is N times too small: divide by N once"),
            (parts.data + parts.penalty / n, "the penalty's gradient is divided by N: add it after taking the mean, as the penalty itself"),
            (parts.data, "dW lacks the penalty's gradient: add regularization.gradient(weights, strength: reg)"),
            (parts.data - parts.trueClass + parts.penalty, trueColumn),
            (parts.data - 2 * parts.trueClass + parts.penalty, "the true-class columns have the wrong sign: a positive margin lowers the loss's gradient for s_{y_i}"),
        ]
        if !hinge { candidates.append((parts.data - parts.oneHot + parts.penalty, trueColumn)) }
        if !hinge { candidates.append((parts.data + parts.oneHot + parts.penalty, "at the true class the gradient is p - 1: subtract 1 there, do not add it")) }
        if kind == .l2 { candidates.append((parts.data + 0.5 * parts.penalty, "the gradient of reg * sum W^2 is 2 * reg * W (no factor 1/2 in this workbook)")) }
        for (candidate, hint) in candidates where relativeError(candidate, correct) > 1e-6 && relativeError(dW, candidate) < 1e-6 {
            return hint
        }
        if relativeError(dW, correct) < 1e-9 {
            return "dW matches the reference, so the loss is what disagrees with it: see the matchesReference test"
        }
        return otherwise ?? "compare dW with the definition step by step: d loss / d scores for each image, then x^T dScores / N, then the penalty's gradient"
    }

    /// The lecture's argument for regularization: if W has zero hinge loss, so has 2W; only the penalty
    /// tells them apart (with L2 it is four times larger for 2W).
    private func checkDoubling(_ exercise: String, _ loss: Loss) throws {
        var rng = SeededGenerator(seed: 25)
        // With x = I the scores are W: each image scores 3 for its own class and about +-0.1 elsewhere.
        let w = 3 * Matrix.identity(4) + Matrix.gaussian(4, 4, standardDeviation: 0.1, using: &rng)
        let (x, y) = (Matrix.identity(4), [0, 1, 2, 3])
        let once = try attempt { try loss(w, x, y, 0, .l2) }.loss
        let twice = try attempt { try loss(2 * w, x, y, 0, .l2) }.loss
        expectClose(once, 0, tolerance: 1e-12, exercise, "the hinge loss when every true score leads by more than 1",
                    hint: "a margin s_j - s_y + 1 below 0 costs nothing: max(0, margin)")
        expectClose(twice, 0, tolerance: 1e-12, exercise, "the hinge loss of 2W")
        let penalised = try attempt { try loss(w, x, y, 0.1, .l2) }.loss
        let penalisedTwice = try attempt { try loss(2 * w, x, y, 0.1, .l2) }.loss
        expectClose(penalisedTwice, 4 * penalised, tolerance: 1e-9, exercise, "the L2-regularized loss of 2W (4 times that of W)",
                    hint: "the penalty is reg * sum W^2, added to the data loss")
    }

    /// The loss is a mean over the batch: the batch stacked twice gives the same loss and dW.
    private func checkDuplicatedBatch(_ exercise: String, _ loss: Loss) throws {
        let (x, y) = Reference.data(8, 5, classes: 3, scale: 2, seed: 26)
        var rng = SeededGenerator(seed: 27)
        let w = Matrix.gaussian(5, 3, using: &rng)
        let once = try attempt { try loss(w, x, y, 0.3, .l2) }
        let twice = try attempt { try loss(w, Matrix.stacking([x, x]), y + y, 0.3, .l2) }
        // A data part that is a sum doubles; a penalty divided by N halves: say which one happened.
        let penalty = Reference.penalty(w, strength: 0.3, .l2)
        let n = Double(x.rows)
        func hint(_ onceDifference: Double, _ twiceDifference: Double, _ penaltyPart: Double, _ what: String) -> String {
            if abs((twiceDifference - penaltyPart) - 2 * (onceDifference - penaltyPart)) < 1e-9 * max(1, abs(twiceDifference)) {
                return "\(what) doubles with the batch: divide the data part by N (a mean over the batch, not a sum)"
            }
            if abs((onceDifference - twiceDifference) - penaltyPart / (2 * n)) < 1e-9 * max(1, abs(penaltyPart)) && penaltyPart != 0 {
                return "the penalty's share of \(what) changes with the batch: add it after dividing by N, not before"
            }
            return "divide the data loss and its gradient by N (a mean over the batch, not a sum), and the penalty by nothing"
        }
        expectClose(twice.loss, once.loss, tolerance: 1e-9, exercise, "the loss of the batch stacked twice",
                    hint: hint(once.loss, twice.loss, penalty.value, "the loss"))
        let entry = twice.dW.shape == once.dW.shape
            ? (0 ..< once.dW.count).max { abs(twice.dW[flat: $0] - once.dW[flat: $0]) < abs(twice.dW[flat: $1] - once.dW[flat: $1]) } ?? 0 : 0
        let dWHint = twice.dW.shape == once.dW.shape && once.dW.count > 0
            ? hint(once.dW[flat: entry], twice.dW[flat: entry], penalty.gradient[flat: entry], "dW")
            : "dW has the shape of W, whatever the batch"
        expectMatrix(twice.dW, matches: once.dW, frobeniusBelow: 1e-9, exercise, "dW of the batch stacked twice", hint: dWHint)
    }

    /// Bad labels and shapes are typed errors (the given checks at the top of each loss).
    private func checkBadInput(_ exercise: String, _ loss: Loss) throws {
        let w = Matrix.zeros(4, 3)
        let x = Matrix.ones(5, 4)
        _ = try attempt { try loss(w, x, [0, 1, 2, 0, 1], 0, .l2) }
        let cases: [(Matrix, [Int], LinearClassifierError)] = [
            (x, [0, 1, 3, 0, 1], .labelOutOfRange(label: 3, index: 2, classes: 3)),
            (x, [0, 1, 2, 0, -1], .labelOutOfRange(label: -1, index: 4, classes: 3)),
            (x, [0, 1, 2, 0], .labelCountMismatch(images: 5, labels: 4)),
            (Matrix.ones(5, 5), [0, 1, 2, 0, 1], .featureMismatch(features: 5, weightRows: 4)),
            (Matrix.zeros(0, 4), [], .emptyBatch),
        ]
        for (images, labels, expected) in cases {
            XCTAssertThrowsError(try loss(w, images, labels, 0, .l2), "\(exercise): \(expected)") { error in
                expectEqual(error as? LinearClassifierError, expected, exercise, "the error",
                            hint: "keep the given checkLossInputs call at the top of the function")
            }
        }
    }

    /// The lecture's cat image, scores (3.2, 5.1, -1.7), true class cat. With x = [[1]] the scores are W.
    private func checkLectureSoftmaxExample(_ exercise: String, _ loss: Loss) throws {
        let w = Matrix([[3.2, 5.1, -1.7]])
        let (value, dW) = try attempt { try loss(w, Matrix([[1]]), [0], 0, .l2) }
        let normaliser = exp(3.2) + exp(5.1) + exp(-1.7)
        let logHint = abs(value - 0.886) < 0.01
            ? "0.89 is the lecture slide's base-10 logarithm; the cross-entropy uses the natural log (Foundation.log)"
            : "the loss is -ln(e^{s_y} / sum_j e^{s_j})"
        expectClose(value, log(normaliser) - 3.2, tolerance: 1e-9, exercise, "the cross-entropy of the cat image", hint: logHint)
        expectClose(value, 2.04, tolerance: 0.005, exercise, "the loss against the lecture's 2.04 (natural log)", hint: logHint)
        // d loss / d scores = p - onehot(y); with x = [[1]], dW is exactly that.
        let p = Matrix([[exp(3.2), exp(5.1), exp(-1.7)]]) / normaliser
        expectMatrix(dW, matches: p - Matrix([[1, 0, 0]]), frobeniusBelow: 1e-9, exercise, "dW of the cat example (p - onehot(y))",
                     hint: "the gradient of the loss with respect to the scores is the probabilities minus 1 at the true class")
        expectClose(dW[0, 0] + 1, 0.13, tolerance: 0.005, exercise, "the cat's probability (dW[0, 0] + 1) against the lecture's 0.13")
    }

    /// Tiny weights give nearly equal scores, so every class has probability near 1/10: loss near ln 10.
    private func checkTinyWeights(_ exercise: String, _ loss: Loss) throws {
        let (x, y) = Reference.data(50, 20, classes: 10, seed: 28)
        var rng = SeededGenerator(seed: 29)
        let w = Matrix.gaussian(20, 10, standardDeviation: 1e-4, using: &rng)
        let value = try attempt { try loss(w, x, y, 0, .l2) }.loss
        expectClose(value, log(10), tolerance: 1e-3, exercise, "the loss with tiny weights and 10 classes (ln 10 = 2.3026)",
                    hint: abs(value - 1) < 0.01 ? "that is log10(10): use the natural logarithm" : "the loss is the mean over the batch of -ln p_y")
    }

    /// Scores of +-1000 overflow or underflow e^s; a stable implementation subtracts each row's maximum.
    private func checkStability(_ exercise: String, _ loss: Loss) throws {
        let hint = "subtract each row's maximum score before exp, and compute the loss as ln(sum_j e^{s_j - max}) - (s_y - max) rather than -ln(p_y)"
        let spread = Matrix([[1000, 0, -1000]])
        let cases: [(Matrix, [Int], Double, Matrix, String)] = [
            (spread, [2], 2000, Matrix([[1, 0, -1]]), "scores (1000, 0, -1000), true class the last"),
            (spread, [0], 0, Matrix([[0, 0, 0]]), "scores (1000, 0, -1000), true class the first"),
            (Matrix([[-1000, -1000, -1000]]), [0], log(3), Matrix([[-2, 1, 1]]) / 3, "scores all -1000, C = 3"),
            (Matrix(rows: 1, cols: 10, repeating: -1000), [9], log(10), Matrix(row: Array(repeating: 0.1, count: 9) + [-0.9]),
             "scores all -1000, C = 10"),
        ]
        for (w, y, expectedLoss, expectedGradient, what) in cases {
            let (value, dW) = try attempt { try loss(w, Matrix([[1]]), y, 0, .l2) }
            guard value.isFinite && dW.storage.allSatisfy(\.isFinite) else {
                fail(exercise, "\(what): loss \(value), dW \(dW)", hint: hint)
                continue
            }
            expectClose(value, expectedLoss, tolerance: 1e-9, exercise, "the loss for \(what)", hint: hint)
            expectMatrix(dW, matches: expectedGradient, frobeniusBelow: 1e-9, exercise, "dW for \(what)")
        }
        // Two images whose scores lie 2,000 apart: each row must be shifted by its own maximum (one shift
        // for the whole batch leaves e^{-2000} = 0 in the second row, and ln 0).
        let w = Matrix([[1000, 0, -1000], [-1000, -999, -1001]])
        let (x, y) = (Matrix.identity(2), [1, 0])
        let expected = Reference.softmaxLoss(w, x, y, reg: 0, .l2)
        let (value, dW) = try attempt { try loss(w, x, y, 0, .l2) }
        let what = "two images with scores (1000, 0, -1000) and (-1000, -999, -1001)"
        guard value.isFinite && dW.storage.allSatisfy(\.isFinite) else {
            return fail(exercise, "\(what): loss \(value), dW \(dW)",
                        hint: "subtract each row's own maximum (scores.max(axis: 1)), not one maximum for the whole batch")
        }
        expectClose(value, expected.loss, tolerance: 1e-9, exercise, "the loss for \(what)", hint: hint)
        expectMatrix(dW, matches: expected.dW, frobeniusBelow: 1e-9, exercise, "dW for \(what)")
    }

    /// Fails unless relativeError(analytic, numerical) is below `limit`, as the style guide prints it.
    private func expectRelativeError(_ analytic: Matrix, _ numerical: Matrix, below limit: Double, _ exercise: String,
                                     _ what: String, hint: String, file: StaticString = #filePath, line: UInt = #line) {
        guard analytic.rows == numerical.rows && analytic.cols == numerical.cols else {
            return fail(exercise, "\(what) has shape \(analytic.shapeDescription), expected \(numerical.shapeDescription)",
                        hint: "dW has the shape of W", file: file, line: line)
        }
        let error = relativeError(analytic, numerical)
        guard !(error < limit) else { return }
        fail(exercise, "\(what): relative error \(format(error)) (must be < \(format(limit))) against the numerical gradient",
             hint: hint, file: file, line: line)
    }

    private static func norm(_ m: Matrix) -> Double { m.squared.sum().squareRoot() }
}
