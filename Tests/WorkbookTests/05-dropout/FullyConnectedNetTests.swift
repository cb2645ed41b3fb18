import XCTest
import LinearAlgebra
import GradientCheck
@testable import Workbook

/// Chapter 5, the fully connected net: Exercises/05-dropout/FullyConnectedNet.swift. Its gradients are checked
/// against numerical gradients of its own loss (every parameter, relative error ‖a − b‖ / (‖a‖ + ‖b‖) below
/// 1e-6, at a point checked to be away from ReLU kinks: the reference reaches about 1e-8), with the dropout
/// masks fixed the way a value type fixes them: every evaluation runs on a copy of the same net, whose
/// generator is in the same state.
extension DropoutTests {
    /// Six examples of 15 features, labels in 0 ..< 10.
    private static let smallBatch: (x: Tensor, labels: [Int]) = {
        var rng = SeededGenerator(seed: 540)
        return (Tensor.gaussian([6, 15], using: &rng), (0 ..< 6).map { _ in rng.integer(below: 10) })
    }()

    /// The net draws its weights with chapter 4's `WeightInitialization`: until that is written, these tests
    /// say so (through `attempt`) instead of failing.
    private func smallNet(keepProbability: Double, batchNorm: Bool, reg: Double) throws -> FullyConnectedNet {
        try attempt { try FullyConnectedNet(inputSize: 15, hiddenSizes: [20, 30], classCount: 10, keepProbability: keepProbability,
                              batchNormalization: batchNorm, initialization: .he, reg: reg, seed: 541, dropoutSeed: 542) }
    }

    /// ‖a − b‖ / (‖a‖ + ‖b‖) over a whole parameter. Entry by entry, the centred difference's rounding
    /// (about 1e-11 here) swamps the tiny entries of a deep net's gradient; over the whole parameter a
    /// right gradient is near 1e-9, a wrong one 1e-3 or more.
    static func normRelativeError(_ a: Matrix, _ b: Matrix) -> Double {
        func norm(_ m: Matrix) -> Double { m.squared.sum().squareRoot() }
        let error = norm(a - b) / max(1e-12, norm(a) + norm(b))
        return error.isNaN ? .infinity : error
    }

    func test_FullyConnectedNet_matchesNumericalGradient() throws {
        let (x, labels) = Self.smallBatch
        // Each kind of net once, two of them with the regularization (the test runs a debug build: it is kept short).
        for (name, p, batchNorm, reg) in [("plain", 1.0, false, 0.0), ("dropout p = 0.5", 0.5, false, 3.14), ("batch norm", 1.0, true, 0.0),
                                          ("dropout p = 0.75 and batch norm", 0.75, true, 3.14)] {
            do {
                let net = try smallNet(keepProbability: p, batchNorm: batchNorm, reg: reg)
                var trained = net
                let (_, gradients) = try attempt { try trained.loss(x, labels: labels) }
                let expectedNames = Set(net.parameters.keys)
                expectEqual(Set(gradients.keys), expectedNames, "FullyConnectedNet", "\(name): the names of the gradients",
                            hint: "every parameter (W1, b1, …, gamma1, beta1, …) needs its gradient")
                for key in net.parameters.keys.sorted() {
                    guard let value = net.parameters[key], let gradient = gradients[key] else { continue }
                    guard gradient.shape == value.shape else {
                        fail("FullyConnectedNet", "\(name): gradient \(key) has shape \(gradient.shapeDescription), expected \(value.shapeDescription)")
                        continue
                    }
                    let numerical = try numericalGradient(of: { point -> Double in
                        var copy = net                  // the same dropout generator state: the same masks
                        copy.parameters[key] = Tensor(reshaping: point, shape: value.shape)
                        return try copy.loss(x, labels: labels).loss
                    }, at: DropoutReference.matrix(value).reshaped(rows: 1, cols: value.count))
                    let analytic = Matrix(reshaping: gradient, rows: 1, cols: gradient.count)
                    if batchNorm && key.hasPrefix("b") && !key.hasPrefix("beta") && key != "b3" {
                        // A bias just before a batch normalization is subtracted again with the batch mean: the
                        // loss does not depend on it, and both gradients are 0 up to rounding.
                        let largest = max(analytic.magnitude.max(), numerical.magnitude.max())
                        if !(largest < 1e-8) {
                            fail("FullyConnectedNet", "\(name): \(key) comes just before a batch normalization, so its gradient is 0; got entries up to \(format(largest))",
                                 hint: "pass the gradient through batchNormBackward(…) before the affine layer's backward")
                        }
                        continue
                    }
                    let error = Self.normRelativeError(analytic, numerical)
                    if !(error < 1e-6) {
                        fail("FullyConnectedNet", "\(name), λ = \(reg): \(key) relative error \(format(error)) (must be < 1e-6) against the numerical gradient",
                             hint: key.hasPrefix("W") && reg > 0 ? "the regularization adds 2 λ W to every weight's gradient"
                                 : "run the backward calls in the reverse order of the forward calls, each with its own layer's cache")
                    }
                }
            }
        }
    }

    func test_FullyConnectedNet_initialLossIsNearLn10() throws {
        var rng = SeededGenerator(seed: 543)
        let x = Tensor.gaussian([50, 100], using: &rng)
        let labels = (0 ..< 50).map { _ in rng.integer(below: 10) }
        for (p, batchNorm) in [(1.0, false), (0.5, false), (1.0, true)] {
            var net = try attempt { try FullyConnectedNet(inputSize: 100, hiddenSizes: [50, 50], classCount: 10, keepProbability: p,
                                                          batchNormalization: batchNorm, initialization: .smallRandom(scale: 1e-3), seed: 544) }
            let loss = try attempt { try net.loss(x, labels: labels).loss }
            expectClose(loss, log(10), tolerance: 0.02, "FullyConnectedNet", "the initial loss (p = \(p), batch norm \(batchNorm), weights 1e-3 · randn, λ = 0)",
                        hint: "tiny scores give every class probability 1/10, so the loss is ln 10 = 2.3026")
        }
    }

    func test_FullyConnectedNet_overfitsFiftyExamples() throws {
        var rng = SeededGenerator(seed: 545)
        let x = Tensor.gaussian([50, 40], using: &rng)
        let labels = (0 ..< 50).map { _ in rng.integer(below: 10) }
        var net = try attempt { try FullyConnectedNet(inputSize: 40, hiddenSizes: [100, 100], classCount: 10, initialization: .smallRandom(scale: 1e-1), seed: 546) }
        _ = try attempt { try net.loss(x, labels: labels) }
        // Full-batch gradient descent by hand, so that the test depends on nothing but the net.
        for _ in 0 ..< 200 {
            let (_, gradients) = try net.loss(x, labels: labels)
            for (key, g) in gradients {
                let w = net.parameters[key]!
                net.parameters[key] = Tensor(reshaping: Matrix(reshaping: w, rows: 1, cols: w.count) - 0.1 * Matrix(reshaping: g, rows: 1, cols: g.count), shape: w.shape)
            }
        }
        let scores = try attempt { try net.scores(x) }
        let predicted = Matrix(reshaping: scores, rows: 50, cols: 10).argmax(axis: 1)
        let accuracy = Double(zip(predicted, labels).filter { $0 == $1 }.count) / 50
        expectEqual(accuracy, 1.0, "FullyConnectedNet", "the training accuracy on 50 examples after 200 steps of gradient descent (learning rate 0.1)",
                    hint: "a three-layer net memorizes 50 examples; if it cannot, a gradient is wrong (check the gradient test first)")
    }

    func test_FullyConnectedNet_scoresRunTheLayersInTestMode() throws {
        let (x, labels) = Self.smallBatch
        // Dropout at test time is the identity: the same weights give the same scores with any p.
        let plain = try smallNet(keepProbability: 1, batchNorm: false, reg: 0)
        var dropped = try smallNet(keepProbability: 0.3, batchNorm: false, reg: 0)
        let reference = try attempt { try plain.scores(x) }
        let scores = try attempt { try dropped.scores(x) }
        expectMatrix(DropoutReference.matrix(scores), matches: DropoutReference.matrix(reference), frobeniusBelow: 1e-12, "FullyConnectedNet",
                     "the scores of a net with p = 0.3 against the same net with p = 1", hint: "scores uses dropout in .test mode")
        _ = try dropped.loss(x, labels: labels)
        let again = try dropped.scores(x)
        expectEqual(again, scores, "FullyConnectedNet", "the scores after a training loss (dropout has no state that scores reads)")
        // Batch norm at test time uses the running averages: fresh ones (mean 0, variance 1) scale each
        // hidden pre-activation by 1 / sqrt(1 + eps); then a training loss moves them, and the scores with them.
        var normalized = try smallNet(keepProbability: 1, batchNorm: true, reg: 0)
        let fresh = try attempt { try normalized.scores(x) }
        var manual = Matrix(reshaping: x, rows: 6, cols: 15)
        for layer in 1 ... 3 {
            manual = matmul(manual, DropoutReference.matrix(plain.parameters["W\(layer)"]!)) + DropoutReference.matrix(plain.parameters["b\(layer)"]!)
            if layer < 3 { manual = (manual / (1 + 1e-5).squareRoot()).maximum(0) }
        }
        expectMatrix(DropoutReference.matrix(fresh), matches: manual, frobeniusBelow: 1e-10, "FullyConnectedNet",
                     "the scores of a fresh batch-norm net (running mean 0, variance 1)", hint: "scores uses batch normalization in .test mode, with the running averages")
        _ = try normalized.loss(x, labels: labels)
        if try normalized.scores(x) == fresh {
            fail("FullyConnectedNet", "the scores did not change after a training loss moved the running averages",
                 hint: "loss must update batchNormStates (pass them inout to batchNormForward in .train mode)")
        }
    }

    func test_FullyConnectedNet_rejectsAHiddenSizeOfZero() throws {
        var net = try smallNet(keepProbability: 1, batchNorm: false, reg: 0)
        _ = try attempt { try net.loss(Self.smallBatch.x, labels: Self.smallBatch.labels) }
        XCTAssertThrowsError(try FullyConnectedNet(inputSize: 15, hiddenSizes: [20, 0], classCount: 10)) { error in
            guard case .invalidSetting(let name, _, _)? = error as? DropoutError, name == "hiddenSizes[1]" else {
                return XCTFail("expected DropoutError.invalidSetting naming hiddenSizes[1], got \(error)")
            }
        }
        XCTAssertThrowsError(try FullyConnectedNet(inputSize: 15, hiddenSizes: [20], classCount: 10, keepProbability: 0))
        var normalized = try smallNet(keepProbability: 1, batchNorm: true, reg: 0)
        XCTAssertThrowsError(try normalized.loss(Tensor.zeros(1, 15), labels: [3])) { error in
            expectEqual(error as? DropoutError, .batchTooSmall(operation: "batchNormForward", batchSize: 1), "FullyConnectedNet",
                        "the error for a training batch of one with batch normalization")
        }
    }
}
