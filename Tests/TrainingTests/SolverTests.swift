import LinearAlgebra
import XCTest
@testable import Training

/// The Solver's loop: minibatches, one rule per parameter, the schedule, divergence, the best epoch.
final class SolverTests: XCTestCase {
    /// N images of one feature whose value is the image's index, labelled with their index.
    private func indexed(_ n: Int) -> (images: Tensor, labels: [Int]) {
        (Tensor(shape: [n, 1], (0 ..< n).map(Double.init)), Array(0 ..< n))
    }

    private func solver(_ model: RecordingModel, n: Int = 12, rule: any UpdateRule = PlainSGD(),
                        schedule: any LearningRateSchedule = Constant(rate: 0.1),
                        epochs: Int = 2, batchSize: Int = 4, seed: UInt64 = 5) throws -> Solver<RecordingModel> {
        try Solver(model: model, training: indexed(n), validation: indexed(3), updateRule: rule, schedule: schedule,
                   epochs: epochs, batchSize: batchSize, seed: seed)
    }

    func testEachEpochIsAPermutationOfTheTrainingSet() throws {
        var s = try solver(RecordingModel(), epochs: 3)
        try s.train()
        let batches = s.model.seen
        XCTAssertEqual(batches.count, 9)
        XCTAssertTrue(batches.allSatisfy { $0.count == 4 })
        let epochs = (0 ..< 3).map { e in batches[3 * e ..< 3 * e + 3].flatMap { $0 } }
        for order in epochs { XCTAssertEqual(order.sorted(), Array(0 ..< 12)) }
        XCTAssertNotEqual(epochs[0], epochs[1], "each epoch draws a new order")
        XCTAssertNotEqual(epochs[0], Array(0 ..< 12), "the order is shuffled")
        // The images travel with their labels (feature value = index).
        XCTAssertEqual(s.model.firstImageValues, batches.map { Double($0[0]) })
    }

    func testTheSameSeedGivesTheSameMinibatches() throws {
        var a = try solver(RecordingModel(), seed: 9), b = try solver(RecordingModel(), seed: 9), c = try solver(RecordingModel(), seed: 10)
        try a.train(); try b.train(); try c.train()
        XCTAssertEqual(a.model.seen, b.model.seen)
        XCTAssertNotEqual(a.model.seen, c.model.seen)
    }

    func testAnIncompleteLastBatchIsLeftOut() throws {
        var s = try solver(RecordingModel(), n: 10, epochs: 1, batchSize: 4)
        XCTAssertEqual(s.iterationsPerEpoch, 2)
        try s.train()
        XCTAssertEqual(s.model.seen.count, 2)
        XCTAssertEqual(Set(s.model.seen.flatMap { $0 }).count, 8)
        XCTAssertEqual(s.lossHistory.count, 2)
    }

    func testEveryParameterHasItsOwnCopyOfTheRule() throws {
        let log = RateLog()
        var s = try solver(RecordingModel(), rule: CountingRule(log: log), epochs: 2)
        try s.train()
        // Six steps: each parameter's own counter reached 6 (a shared state would reach 12).
        XCTAssertEqual(s.model.parameters["p"]!.storage, [6, 6])
        XCTAssertEqual(s.model.parameters["q"]!.storage, [6, 6, 6])
        XCTAssertEqual(log.rates.count, 12)
    }

    func testTheScheduleSetsEachEpochsLearningRate() throws {
        let log = RateLog()
        var s = try solver(RecordingModel(), rule: CountingRule(log: log), schedule: EpochNumbered(), epochs: 3)
        try s.train()
        // Two parameters, three steps per epoch: six calls at each epoch's rate.
        let expected: [Double] = [0.1, 0.2, 0.1 * 3].flatMap { [Double](repeating: $0, count: 6) }
        XCTAssertEqual(log.rates, expected)
        XCTAssertEqual(s.epochHistory.map(\.learningRate), [0.1, 0.2, 0.1 * 3])
    }

    func testTheLossHistoryAndTheEpochMeans() throws {
        var model = RecordingModel()
        model.losses = [2, 1.5, 1, 0.5, 0.25, 0.75]
        var s = try solver(model, epochs: 2)
        var lines: [String] = []
        s.log = { lines.append($0) }
        try s.train()
        XCTAssertEqual(s.lossHistory, [2, 1.5, 1, 0.5, 0.25, 0.75])
        XCTAssertEqual(s.epochHistory.map(\.loss), [1.5, 0.5])
        XCTAssertEqual(lines, ["Finished epoch 1 / 2: loss 1.50, train 0.083, val 0.333, lr 1.0e-01",
                               "Finished epoch 2 / 2: loss 0.50, train 0.083, val 0.333, lr 1.0e-01"])
    }

    func testTheLecturesLogLine() {
        let summary = EpochSummary(epoch: 3, epochCount: 10, loss: 1.94, trainAccuracy: 0.376, validationAccuracy: 0.352,
                                   learningRate: 3e-3, updateRatios: [:], seconds: 1)
        XCTAssertEqual(summary.logLine, "Finished epoch 3 / 10: loss 1.94, train 0.376, val 0.352, lr 3.0e-03")
    }

    func testALossAboveThreeTimesTheFirstStopsTheRun() throws {
        var model = RecordingModel()
        model.losses = [2, 1, 1, 6.0, 6.01]           // 6.0 is exactly 3 × 2 and goes on; 6.01 stops
        var s = try solver(model, schedule: Constant(rate: 3), epochs: 2)
        XCTAssertThrowsError(try s.train()) { error in
            XCTAssertEqual(error as? SolverError, .diverged(epoch: 2, iteration: 5, loss: 6.01, firstLoss: 2, learningRate: 3))
            XCTAssertTrue("\(error)".hasSuffix("the learning rate is likely too large: 3.0e+00"), "\(error)")
            XCTAssertTrue("\(error)".contains("6.01 exceeded three times its first value 2"), "\(error)")
        }
        // The first epoch finished and its parameters are kept as the best.
        XCTAssertEqual(s.epochHistory.count, 1)
        XCTAssertEqual(s.bestValidationAccuracy, 1.0 / 3.0)
        XCTAssertEqual(s.lossHistory, [2, 1, 1, 6.0])
    }

    func testANaNLossStopsTheRunAtOnce() throws {
        var model = RecordingModel()
        model.losses = [2.3, .nan]
        var s = try solver(model, schedule: Constant(rate: 0.5))
        XCTAssertThrowsError(try s.train()) { error in
            XCTAssertEqual("\(error)", "training stopped at iteration 2 (epoch 1): the loss turned NaN; the learning rate is likely too large: 5.0e-01")
        }
        XCTAssertEqual(s.lossHistory, [2.3])
    }

    func testTheBestEpochsParametersAreKeptAndReported() throws {
        // Two separable classes on one feature: x < 0 is class 0, x > 0 class 1.
        let xs: [Double] = [-3, -2, -1, -0.5, 0.5, 1, 2, 3]
        let images = Tensor(shape: [8, 1], xs), labels = xs.map { $0 < 0 ? 0 : 1 }
        var bests: [Int] = []
        var s = try Solver(model: SoftmaxRegression(features: 1, classes: 2), training: (images, labels), validation: (images, labels),
                           updateRule: PlainSGD(), schedule: Constant(rate: 0.5), epochs: 5, batchSize: 2, seed: 1)
        s.newBest = { summary, _ in bests.append(summary.epoch) }
        try s.train()
        XCTAssertEqual(s.epochHistory.last?.validationAccuracy, 1)
        XCTAssertEqual(s.bestValidationAccuracy, 1)
        XCTAssertEqual(bests.first, 1)
        let bestEpoch = bests.last!
        XCTAssertEqual(s.epochHistory[bestEpoch - 1].validationAccuracy, 1)
        XCTAssertTrue(s.epochHistory.prefix(bestEpoch - 1).allSatisfy { $0.validationAccuracy < 1 })
        XCTAssertLessThan(s.lossHistory.last!, s.lossHistory.first!)
        XCTAssertEqual(try accuracy(of: s.model, images: images, labels: labels), 1)
    }

    func testTheUpdateRatioOfEachParameter() throws {
        var s = try solver(RecordingModel(), rule: RelativeStep(fraction: 1e-3), epochs: 1)
        try s.train()
        let ratios = s.epochHistory[0].updateRatios
        XCTAssertEqual(Set(ratios.keys), ["p", "q"])
        XCTAssertEqual(ratios["p"]!, 1e-3, accuracy: 1e-12)
        XCTAssertEqual(ratios["q"]!, 1e-3, accuracy: 1e-12)
        XCTAssertEqual(updateRatio(before: Tensor(shape: [2], [3, 4]), after: Tensor(shape: [2], [3.003, 4.004])), 1e-3, accuracy: 1e-12)
        XCTAssertEqual(updateRatio(before: Tensor(shape: [2], [0, 0]), after: Tensor(shape: [2], [0, 0])), 0)
        XCTAssertEqual(updateRatio(before: Tensor(shape: [1], [0]), after: Tensor(shape: [1], [1])), .infinity)
    }

    func testImpossibleSettingsAreRefusedNamingTheValue() {
        XCTAssertThrowsError(try solver(RecordingModel(), n: 12, batchSize: 13)) { error in
            XCTAssertEqual("\(error)", "the batch size 13 is larger than the 12 training images")
        }
        XCTAssertThrowsError(try solver(RecordingModel(), epochs: 0)) { error in
            XCTAssertEqual("\(error)", "epochs 0: must be at least 1")
        }
        XCTAssertThrowsError(try solver(RecordingModel(), batchSize: 0)) { error in
            XCTAssertEqual("\(error)", "batch size 0: must be at least 1")
        }
        XCTAssertThrowsError(try Solver(model: RecordingModel(), training: (Tensor(shape: [4, 1]), [0, 1, 2]), validation: indexed(3),
                                        updateRule: PlainSGD(), schedule: Constant(rate: 1), epochs: 1, batchSize: 1)) { error in
            XCTAssertEqual("\(error)", "the training images (4, 1) do not match their 3 labels (or the training images' shape)")
        }
        XCTAssertThrowsError(try Solver(model: RecordingModel(), training: indexed(4), validation: (Tensor(shape: [3, 2]), [0, 1, 2]),
                                        updateRule: PlainSGD(), schedule: Constant(rate: 1), epochs: 1, batchSize: 1)) { error in
            XCTAssertTrue("\(error)".hasPrefix("the validation images (3, 2)"), "\(error)")
        }
    }

    func testGradientsMustHaveTheParametersNames() throws {
        var model = RecordingModel()
        model.gradientNames = ["p", "r"]
        var s = try solver(model)
        XCTAssertThrowsError(try s.train()) { error in
            XCTAssertEqual("\(error)", "the model's loss returned no gradient for q and gradients for unknown parameters r: every parameter needs a gradient of its name")
        }
    }

    func testPredictionsTakeTheFirstClassOnATie() throws {
        var model = SoftmaxRegression(features: 1, classes: 3)
        model.parameters["W"] = Tensor(shape: [1, 3], [0, 1, 1])        // x > 0: classes 1 and 2 tie
        let images = Tensor(shape: [3, 1], [1, 0, -1])
        XCTAssertEqual(try predictions(of: model, images: images), [1, 0, 0])
        XCTAssertEqual(try predictions(of: model, images: images, rows: [2, 0]), [0, 1])
        XCTAssertEqual(try accuracy(of: model, images: images, labels: [1, 1, 0]), 2.0 / 3.0, accuracy: 1e-15)
        XCTAssertEqual(try accuracy(of: model, images: images, labels: [1, 1, 0], rows: [0, 2]), 1)
    }
}
