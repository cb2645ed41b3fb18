import LinearAlgebra
import XCTest
@testable import Training

/// A run stopped after an epoch and resumed from its `Solver.state` ends where the run that never
/// stopped ends, bit for bit; the best epoch, the rules' state and the schedule continue.
final class ResumeTests: XCTestCase {
    /// 40 images of 5 Gaussian features in 3 classes, the class shifting the features so that there is
    /// something to learn.
    private func data(seed: UInt64) -> (images: Tensor, labels: [Int]) {
        var rng = SeededGenerator(seed: seed)
        let labels = (0 ..< 40).map { $0 % 3 }
        let noise = Tensor.gaussian([40, 5], using: &rng)
        var values = noise.storage
        for i in 0 ..< 40 { values[5 * i + labels[i]] += 2 }
        return (Tensor(shape: [40, 5], values), labels)
    }

    private func solver(epochs: Int, rule: any UpdateRule = Momentum(momentum: 0.9)) throws -> Solver<SoftmaxRegression> {
        try Solver(model: SoftmaxRegression(features: 5, classes: 3), training: data(seed: 1), validation: data(seed: 2),
                   updateRule: rule, schedule: Halving(initial: 0.05), epochs: epochs, batchSize: 8, accuracySampleCount: 16, seed: 7)
    }

    /// A run of 3 epochs, with its state after each.
    private func uninterrupted() throws -> (solver: Solver<SoftmaxRegression>, states: [SolverState]) {
        var full = try solver(epochs: 3)
        var states: [SolverState] = []
        full.epochEnded = { _, state in states.append(state) }
        try full.train()
        return (full, states)
    }

    func testAResumedRunEndsWithTheSameParametersBitForBit() throws {
        let (full, states) = try uninterrupted()
        XCTAssertEqual(states.map(\.epochsDone), [1, 2, 3])
        for stop in [1, 2] {
            var resumed = try solver(epochs: 3)
            try resumed.resume(from: states[stop - 1])
            try resumed.train()
            XCTAssertEqual(differences(resumed.model.parameters, full.model.parameters), [], "resumed after epoch \(stop)")
            XCTAssertEqual(resumed.lossHistory.map(\.bitPattern), full.lossHistory.suffix(resumed.lossHistory.count).map(\.bitPattern))
            XCTAssertEqual(resumed.lossHistory.count, (3 - stop) * 5)
            XCTAssertEqual(resumed.epochHistory.map(\.epoch), Array(stop + 1 ... 3), "epochs are numbered in the whole run")
            XCTAssertEqual(resumed.epochHistory.map(\.learningRate), full.epochHistory.suffix(3 - stop).map(\.learningRate))
            XCTAssertEqual(resumed.epochHistory.map(\.validationAccuracy), full.epochHistory.suffix(3 - stop).map(\.validationAccuracy))
            XCTAssertEqual(resumed.bestEpoch, full.bestEpoch)
            XCTAssertEqual(resumed.bestValidationAccuracy, full.bestValidationAccuracy)
            XCTAssertEqual(differences(resumed.bestParameters, full.bestParameters), [])
            XCTAssertEqual(differences(resumed.rules.mapValues { ($0 as! Momentum).velocity! }, full.rules.mapValues { ($0 as! Momentum).velocity! }), [])
        }
    }

    func testTheRulesStateMattersToTheResumedRun() throws {
        // Without the velocities (what a checkpoint of parameters only gives) the run goes elsewhere: the
        // test above would see a lost state.
        let (full, states) = try uninterrupted()
        var restarted = try solver(epochs: 3)
        var state = states[0]
        state.rules = [:]
        try restarted.resume(from: state)
        try restarted.train()
        XCTAssertNotEqual(differences(restarted.model.parameters, full.model.parameters), [])
    }

    func testAResumedRunThatDoesNotBeatTheSavedBestKeepsIt() throws {
        // RecordingModel scores every image as class 0: validation accuracy 1/3 in every epoch.
        var first = try Solver(model: RecordingModel(), training: (Tensor(shape: [12, 1]), Array(repeating: 1, count: 12)),
                               validation: (Tensor(shape: [3, 1]), [0, 1, 2]), updateRule: PlainSGD(), schedule: Constant(rate: 0.1),
                               epochs: 1, batchSize: 4)
        try first.train()
        var saved = first.state
        XCTAssertEqual([saved.epochsDone, saved.bestEpoch], [1, 1])
        saved.bestValidationAccuracy = 0.9      // a better epoch than any the resumed run reaches
        saved.bestParameters["p"] = Tensor(shape: [2], [4, 5])
        var resumed = try Solver(model: RecordingModel(), training: (Tensor(shape: [12, 1]), Array(repeating: 1, count: 12)),
                                 validation: (Tensor(shape: [3, 1]), [0, 1, 2]), updateRule: PlainSGD(), schedule: Constant(rate: 0.1),
                                 epochs: 3, batchSize: 4)
        try resumed.resume(from: saved)
        var bests: [Int] = [], ended: [Int] = []
        resumed.newBest = { summary, _ in bests.append(summary.epoch) }
        resumed.epochEnded = { summary, state in
            ended.append(summary.epoch)
            XCTAssertEqual([state.epochsDone, state.bestEpoch], [summary.epoch, 1])
        }
        try resumed.train()
        XCTAssertEqual(bests, [], "no resumed epoch beat the saved best")
        XCTAssertEqual(ended, [2, 3])
        XCTAssertEqual(resumed.bestEpoch, 1)
        XCTAssertEqual(resumed.bestValidationAccuracy, 0.9)
        XCTAssertEqual(resumed.bestParameters["p"]!.storage, [4, 5])
    }

    func testTheScheduleAndEachRulesCountContinue() throws {
        let log = RateLog()
        func make() throws -> Solver<RecordingModel> {
            try Solver(model: RecordingModel(), training: (Tensor(shape: [12, 1]), Array(0 ..< 12)), validation: (Tensor(shape: [3, 1]), [0, 1, 2]),
                       updateRule: CountingRule(log: log), schedule: EpochNumbered(), epochs: 3, batchSize: 4, seed: 5)
        }
        var full = try make()
        var afterOne: SolverState?
        full.epochEnded = { summary, state in if summary.epoch == 1 { afterOne = state } }
        try full.train()
        log.rates = []
        var resumed = try make()
        try resumed.resume(from: afterOne!)
        try resumed.train()
        // Epochs 2 and 3 at their own rates (0.2, 0.3), and each parameter's count going on from 3 to 9.
        XCTAssertEqual(log.rates, [0.2, 0.1 * 3].flatMap { [Double](repeating: $0, count: 6) })
        XCTAssertEqual(resumed.model.parameters["p"]!.storage, [9, 9])
        XCTAssertEqual(resumed.model.seen, Array(full.model.seen.suffix(6)), "the same minibatches as the run's epochs 2 and 3")
    }

    func testAStateThatDoesNotFitIsRefusedAndChangesNothing() throws {
        var s = try solver(epochs: 2)
        let fresh = s.state
        XCTAssertEqual([fresh.epochsDone, fresh.bestEpoch], [0, 0])
        XCTAssertNil(fresh.firstLoss)
        func refused(_ change: (inout SolverState) -> Void, _ expected: String) {
            var state = fresh
            change(&state)
            XCTAssertThrowsError(try s.resume(from: state), expected) { error in XCTAssertEqual("\(error)", expected) }
        }
        refused({ $0.epochsDone = 3 }, "epochs done 3: must be in 0 … 2, the run's epochs")
        refused({ $0.epochsDone = 1; $0.bestEpoch = 2 }, "best epoch 2: must be in 0 … 1, the epochs done")
        refused({ $0.epochsDone = 1; $0.bestEpoch = 1; $0.bestValidationAccuracy = 1.5 }, "best validation accuracy 1.5: must be in [0, 1]")
        refused({ $0.parameters["W"] = Tensor(shape: [3, 5]) },
                "the state to resume from does not fit the model: its parameters have W of shape [3, 5], the model's is [5, 3]")
        refused({ $0.bestParameters["b"] = nil }, "the state to resume from does not fit the model: its best parameters have no b")
        refused({ $0.rules["W2"] = Momentum(momentum: 0.9) },
                "the state to resume from does not fit the model: its update rules have a rule for W2, which the model does not have")
        XCTAssertEqual(s.epochsDone, 0)
        try s.train()
        XCTAssertThrowsError(try s.resume(from: fresh)) { error in
            XCTAssertEqual("\(error)", "resume after 10 steps: must come before train()")
        }
    }

    /// The names whose tensors differ from `expected`'s in shape or in any bit (missing or extra names too),
    /// each with how many entries differ: [] when all are the same, bit for bit.
    private func differences(_ tensors: [String: Tensor], _ expected: [String: Tensor]) -> [String] {
        Set(tensors.keys).union(expected.keys).sorted().compactMap { name in
            guard let a = tensors[name], let b = expected[name], a.shape == b.shape else { return "\(name) (missing or of another shape)" }
            let count = zip(a.storage, b.storage).filter { $0.bitPattern != $1.bitPattern }.count
            return count == 0 ? nil : "\(name) (\(count) of \(a.count) entries)"
        }
    }
}

/// SGD with momentum, with its velocity as state: v ← μ v − lr · dw; w ← w + v.
struct Momentum: UpdateRule {
    let momentum: Double
    var velocity: Tensor?

    init(momentum: Double) { self.momentum = momentum }

    mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws {
        let v = zip(velocity?.storage ?? Array(repeating: 0, count: w.count), dw.storage).map { momentum * $0 - learningRate * $1 }
        velocity = Tensor(shape: w.shape, v)
        w = Tensor(shape: w.shape, zip(w.storage, v).map { $0 + $1 })
    }
}

/// A learning rate halved every epoch.
struct Halving: LearningRateSchedule {
    let initial: Double
    func learningRate(epoch: Int) -> Double { initial * pow(0.5, Double(epoch)) }
}
