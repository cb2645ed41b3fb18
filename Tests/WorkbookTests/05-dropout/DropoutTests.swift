import XCTest
import LinearAlgebra
import GradientCheck
@testable import Workbook

/// Chapter 5, dropout and batch normalization: Exercises/05-dropout/Dropout.swift and BatchNormalization.swift.
///
/// Dropout is checked by its statistics on 500 × 500 inputs of mean 10 (the fraction of zeros within
/// 0.01 of 1 − p, the mean within 1%), entry by entry (0 or x / p), and against the numerical gradient
/// with the mask fixed by the seed (relative error below 1e-10). Batch normalization is checked against
/// a reference written from the definition (DropoutReference), its backward passes on a cache built by
/// that reference against its numerical gradient (below 1e-8), and against each other (below 1e-12).
final class DropoutTests: XCTestCase {
    typealias R = DropoutReference

    /// 500 × 500 inputs, uniform in [5, 15): mean 10, no entry near 0.
    private static let bigInput: Tensor = {
        var rng = SeededGenerator(seed: 501)
        return Tensor.uniform([500, 500], low: 5, high: 15, using: &rng)
    }()

    // MARK: - Inverted dropout, forward

    func test_dropoutForward_trainModeKeepsOrZeroesEachUnit() throws {
        let x = Self.bigInput
        let inputMean = R.matrix(x).mean()
        for (p, seed) in [(0.25, UInt64(1)), (0.4, 2), (0.7, 3)] {
            var generator = SeededGenerator(seed: seed)
            let (out, _) = try attempt { try dropoutForward(x, keepProbability: p, mode: .train, using: &generator) }
            guard out.shape == x.shape else {
                fail("dropoutForward", "out has shape \(out.shapeDescription), expected the shape of x \(x.shapeDescription)")
                return
            }
            var zeros = 0
            var firstWrong: Int?
            out.withUnsafeBufferPointer { o in
                x.withUnsafeBufferPointer { v in
                    for i in 0 ..< o.count {
                        if o[i] == 0 { zeros += 1 } else if firstWrong == nil && !(abs(o[i] - v[i] / p) <= 1e-12 * abs(v[i] / p)) { firstWrong = i }
                    }
                }
            }
            if let i = firstWrong {
                fail("dropoutForward", "p = \(p): entry \(i) is \(format(out.storage[i])) for x = \(format(x.storage[i])); every output must be 0 or x / p = \(format(x.storage[i] / p))",
                     hint: "inverted dropout divides the kept units by p (the keep probability), it does not multiply")
            }
            let zeroFraction = Double(zeros) / Double(x.count)
            expectClose(zeroFraction, 1 - p, tolerance: 0.01, "dropoutForward", "p = \(p): the fraction of zeros",
                        hint: "p is the probability of KEEPING a unit: keep where the uniform draw is below p")
            let outMean = R.matrix(out).mean()
            expectClose(outMean, inputMean, tolerance: 0.01 * inputMean, "dropoutForward", "p = \(p): the mean output",
                        hint: "with the kept units divided by p, the expected output is the input")
            // The units kept are those whose draw from the generator is below p (row-major, one draw each).
            var draws = SeededGenerator(seed: seed)
            let expected = R.matrix(x) * R.matrix(Tensor.uniform(x.shape, using: &draws)).map { $0 < p ? 1 / p : 0 }
            expectMatrix(R.matrix(out), matches: expected, frobeniusBelow: 1e-6, "dropoutForward",
                         "p = \(p): the output against x · (u < p) / p with the generator's draws u",
                         hint: "one generator.uniform() per entry in row-major order (Tensor.uniform(x.shape, using: &generator)), kept where it is below p")
        }
    }

    func test_dropoutForward_testModeAndKeepAllAreTheIdentity() throws {
        let x = R.tensor(R.features(20, means: [1, -2, 0, 3], stds: [1, 2, 0.5, 1], seed: 502))
        for p in [0.25, 0.7, 1.0] {
            var generator = SeededGenerator(seed: 4)
            let (out, _) = try attempt { try dropoutForward(x, keepProbability: p, mode: .test, using: &generator) }
            expectEqual(out, x, "dropoutForward", "test mode with p = \(p)",
                        hint: "inverted dropout does all its scaling at training time: the test pass returns x itself")
        }
        var generator = SeededGenerator(seed: 5)
        let (out, _) = try attempt { try dropoutForward(x, keepProbability: 1, mode: .train, using: &generator) }
        expectEqual(out, x, "dropoutForward", "train mode with p = 1 (keep every unit)",
                    hint: "every uniform draw in [0, 1) is below 1, and x / 1 is x")
    }

    func test_dropoutForward_sameSeedSameMask() throws {
        let x = R.tensor(R.features(30, means: [1, 2, 3, 4, 5], stds: [1, 1, 1, 1, 1], seed: 503))
        var first = SeededGenerator(seed: 77), again = SeededGenerator(seed: 77), other = SeededGenerator(seed: 78)
        let a = try attempt { try dropoutForward(x, keepProbability: 0.5, mode: .train, using: &first).out }
        let b = try attempt { try dropoutForward(x, keepProbability: 0.5, mode: .train, using: &again).out }
        let c = try attempt { try dropoutForward(x, keepProbability: 0.5, mode: .train, using: &other).out }
        expectEqual(a, b, "dropoutForward", "the output for the same seed, twice",
                    hint: "draw the mask from the generator you are given, not from a generator of your own")
        if a == c {
            fail("dropoutForward", "seeds 77 and 78 give the same output: the mask does not come from the generator",
                 hint: "draw one uniform number per entry from `generator`")
        }
        // The generator moves on: the next pass drops other units.
        let next = try attempt { try dropoutForward(x, keepProbability: 0.5, mode: .train, using: &first).out }
        if next == a {
            fail("dropoutForward", "two passes with one generator drop the same units",
                 hint: "pass the generator inout and draw from it, so each pass gets a fresh mask")
        }
    }

    func test_dropoutForward_rejectsKeepProbabilityOutside0To1() throws {
        let x = Tensor(shape: [2, 3], [1, 2, 3, 4, 5, 6])
        var generator = SeededGenerator(seed: 6)
        _ = try attempt { try dropoutForward(x, keepProbability: 0.5, mode: .train, using: &generator) }
        for p in [0, -0.5, 1.000001, 2, Double.nan] {
            for mode in LayerMode.allCases {
                do {
                    _ = try dropoutForward(x, keepProbability: p, mode: mode, using: &generator)
                    fail("dropoutForward", "keep probability \(p) in \(mode) mode was accepted; it must throw DropoutError.invalidKeepProbability",
                         hint: "call checkKeepProbability(p) first, in both modes")
                } catch let error as DropoutError {
                    guard case .invalidKeepProbability = error else {
                        fail("dropoutForward", "keep probability \(p): threw \(error), expected .invalidKeepProbability")
                        continue
                    }
                }
            }
        }
    }

    // MARK: - Inverted dropout, backward

    func test_dropoutBackward_matchesNumericalGradientWithTheForwardMask() throws {
        let x = R.features(12, means: [0.5, -1, 2, 0, 1, -0.5, 3, 1], stds: [1, 1, 2, 1, 0.5, 1, 1, 2], seed: 504)
        let dout = R.upstream(12, 8, seed: 505)
        for (p, seed) in [(0.6, UInt64(11)), (0.3, 12)] {
            var generator = SeededGenerator(seed: seed)
            let (out, cache) = try attempt { try dropoutForward(R.tensor(x), keepProbability: p, mode: .train, using: &generator) }
            let dx = try attempt { try dropoutBackward(R.tensor(dout), cache: cache) }
            // The mask is fixed by the seed: every evaluation starts from a fresh generator with it.
            // Dropout is linear in x, so a large step is exact and keeps rounding far below 1e-10.
            let numerical = try numericalGradient(of: { point -> Matrix in
                var fresh = SeededGenerator(seed: seed)
                return R.matrix(try dropoutForward(R.tensor(point), keepProbability: p, mode: .train, using: &fresh).out)
            }, at: x, upstream: dout, step: 1e-2)
            guard dx.shape == [12, 8] else {
                fail("dropoutBackward", "dx has shape \(dx.shapeDescription), expected (12, 8)")
                return
            }
            let error = relativeError(R.matrix(dx), numerical)
            if !(error < 1e-10) {
                fail("dropoutBackward", "p = \(p): dx relative error \(format(error)) (must be < 1e-10) against the numerical gradient",
                     hint: "multiply dout by the forward pass's mask (kept entries 1/p, dropped 0); never draw a new mask in backward")
            }
            // Exact zeros where the forward dropped a unit, exactly dout / p where it kept one.
            for i in 0 ..< dx.count where out.storage[i] == 0 && dx.storage[i] != 0 {
                fail("dropoutBackward", "p = \(p): entry \(i) was dropped by the forward pass but its gradient is \(format(dx.storage[i])), not 0")
                break
            }
            let again = try dropoutBackward(R.tensor(dout), cache: cache)
            expectEqual(again, dx, "dropoutBackward", "a second backward pass with the same cache",
                        hint: "backward must only read the cache")
        }
        var generator = SeededGenerator(seed: 13)
        let (_, testCache) = try attempt { try dropoutForward(R.tensor(x), keepProbability: 0.5, mode: .test, using: &generator) }
        let dx = try attempt { try dropoutBackward(R.tensor(dout), cache: testCache) }
        expectEqual(dx, R.tensor(dout), "dropoutBackward", "dx after a test-mode forward pass",
                    hint: "the test pass is the identity, so its gradient is dout")
    }

    func test_dropoutBackward_rejectsAnUpstreamOfTheWrongShape() throws {
        var generator = SeededGenerator(seed: 14)
        let (_, cache) = try attempt { try dropoutForward(Tensor(shape: [3, 4], repeating: 1), keepProbability: 0.5, mode: .train, using: &generator) }
        _ = try attempt { try dropoutBackward(Tensor(shape: [3, 4], repeating: 1), cache: cache) }
        XCTAssertThrowsError(try dropoutBackward(Tensor(shape: [4, 3], repeating: 1), cache: cache)) { error in
            guard case .shapeMismatch? = error as? DropoutError else {
                fail("dropoutBackward", "dout (4, 3) for a (3, 4) mask threw \(error), expected DropoutError.shapeMismatch",
                     hint: "checkUpstreamShape(dout, mask.shape, \"dropoutBackward\")")
                return
            }
        }
    }

    // MARK: - The lecture's first version

    func test_vanillaDropoutForward_hasTheSameExpectedOutputAsInvertedDropout() throws {
        let x = Self.bigInput
        let inputMean = R.matrix(x).mean()
        for (p, seed) in [(0.25, UInt64(21)), (0.4, 22), (0.7, 23)] {
            var generator = SeededGenerator(seed: seed)
            let train = try attempt { try vanillaDropoutForward(x, keepProbability: p, mode: .train, using: &generator) }
            let test = try attempt { try vanillaDropoutForward(x, keepProbability: p, mode: .test, using: &generator) }
            guard train.shape == x.shape, test.shape == x.shape else {
                fail("vanillaDropoutForward", "the output has shape \(train.shapeDescription) / \(test.shapeDescription), expected \(x.shapeDescription)")
                return
            }
            for i in 0 ..< x.count where !(train.storage[i] == 0 || train.storage[i] == x.storage[i]) {
                fail("vanillaDropoutForward", "p = \(p): train-mode entry \(i) is \(format(train.storage[i])) for x = \(format(x.storage[i])); it must be 0 or x",
                     hint: "the first version does not scale at training time")
                break
            }
            expectMatrix(R.matrix(test), matches: R.matrix(x) * p, frobeniusBelow: 1e-9, "vanillaDropoutForward", "p = \(p): the test-mode output",
                         hint: "at test time every unit is kept and scaled by p")
            // The expected output: the mean training output is the test output's mean, p · the input mean.
            let trainMean = R.matrix(train).mean()
            expectClose(trainMean, p * inputMean, tolerance: 0.01 * p * inputMean, "vanillaDropoutForward",
                        "p = \(p): the mean train-mode output (the test output's mean is p · \(format(inputMean)))")
            // Entry by entry: the units kept are those whose draw is below p, one draw per entry in row-major
            // order, as in dropoutForward; inverted dropout with the same draws (computed here) is 1/p times it.
            var draws = SeededGenerator(seed: seed)
            let uniforms = Tensor.uniform(x.shape, using: &draws)
            let keep = R.matrix(uniforms).map { $0 < p ? 1 : 0 }
            expectMatrix(R.matrix(train), matches: R.matrix(x) * keep, frobeniusBelow: 1e-9, "vanillaDropoutForward",
                         "p = \(p): the train-mode output against x · (u < p) with the generator's draws u",
                         hint: "draw as dropoutForward does: one generator.uniform() per entry in row-major order (Tensor.uniform), keep where it is below p")
            let inverted = R.matrix(x) * keep / p
            expectClose(inverted.mean(), inputMean, tolerance: 0.01 * inputMean, "vanillaDropoutForward",
                        "p = \(p): inverted dropout's mean train-mode output with the same draws, against its test output's mean (the input's)")
        }
    }

    // MARK: - Batch normalization, forward

    private static let means = [5.0, -3, 0, 12, 1], stds = [2.0, 0.5, 1, 4, 3]

    func test_batchNormForward_trainModeNormalizesEachFeature() throws {
        let x = R.features(200, means: Self.means, stds: Self.stds, seed: 510)
        let ones = [Double](repeating: 1, count: 5), zeros = [Double](repeating: 0, count: 5)
        for (gamma, beta) in [(ones, zeros), ([1, 2, 3, 0.5, -1], [0, -1, 4, 2, 0.5]), ([0, 1, 0, 1, 0], [7, 0, -7, 0, 0])] {
            var state = try BatchNormState(features: 5)
            let (out, _) = try attempt {
                try batchNormForward(R.tensor(x), gamma: Tensor(shape: [5], gamma), beta: Tensor(shape: [5], beta), mode: .train, state: &state)
            }
            guard out.shape == [200, 5] else {
                fail("batchNormForward", "out has shape \(out.shapeDescription), expected (200, 5)")
                return
            }
            let statistics = R.columnStatistics(R.matrix(out))
            let reference = R.batchNorm(x, gamma: gamma, beta: beta, epsilon: 1e-5)
            for j in 0 ..< 5 {
                // The standard deviation of x̂ is sqrt(var / (var + eps)), a hair below 1.
                let expectedStd = abs(gamma[j]) * (reference.variance[j] / (reference.variance[j] + 1e-5)).squareRoot()
                expectClose(statistics.mean[j], beta[j], tolerance: 1e-9, "batchNormForward",
                            "gamma \(gamma), beta \(beta): the mean of feature \(j)", hint: "subtract each column's mean (axis 0), then add beta")
                expectClose(statistics.std[j], expectedStd, tolerance: 1e-9, "batchNormForward",
                            "gamma \(gamma), beta \(beta): the standard deviation of feature \(j)",
                            hint: "divide by sqrt(var + eps) with the column's divide-by-N variance, then multiply by gamma")
            }
            expectMatrix(R.matrix(out), matches: reference.out, frobeniusBelow: 1e-9, "batchNormForward", "gamma \(gamma), beta \(beta): out")
            if gamma[0] == 0 {
                expectEqual(out[0, 0], 7, "batchNormForward", "out[0, 0] with gamma 0 and beta 7", hint: "gamma 0 leaves beta alone, exactly")
            }
        }
    }

    func test_batchNormForward_updatesTheRunningAveragesWithMomentum() throws {
        let first = R.features(40, means: Self.means, stds: Self.stds, seed: 511)
        let second = R.features(40, means: Self.means.map { $0 + 1 }, stds: Self.stds, seed: 512)
        let gamma = Tensor(shape: [5], [1, 2, 3, 0.5, -1]), beta = Tensor(shape: [5], [0, -1, 4, 2, 0.5])
        for (momentum, epsilon) in [(0.9, 1e-5), (0.5, 1e-2)] {
            var state = try BatchNormState(features: 5, momentum: momentum, epsilon: epsilon)
            let (out, _) = try attempt { try batchNormForward(R.tensor(first), gamma: gamma, beta: beta, mode: .train, state: &state) }
            let r1 = R.batchNorm(first, gamma: gamma.storage, beta: beta.storage, epsilon: epsilon)
            expectMatrix(R.matrix(out), matches: r1.out, frobeniusBelow: 1e-9, "batchNormForward", "out with epsilon \(epsilon)",
                         hint: "use state.epsilon, not a constant of your own")
            var mean = r1.mean.map { (1 - momentum) * $0 }                    // from mean 0
            var variance = r1.variance.map { momentum + (1 - momentum) * $0 }  // from variance 1
            expectMatrix(R.matrix(state.runningMean), matches: Matrix(row: mean), frobeniusBelow: 1e-12, "batchNormForward",
                         "the running mean after one train pass with momentum \(momentum)",
                         hint: "running = momentum · running + (1 − momentum) · batch mean")
            expectMatrix(R.matrix(state.runningVariance), matches: Matrix(row: variance), frobeniusBelow: 1e-12, "batchNormForward",
                         "the running variance after one train pass with momentum \(momentum)",
                         hint: "the batch variance divides by N (not N − 1), and the average starts at 1")
            // A second train pass moves the averages again, from where the first left them.
            _ = try batchNormForward(R.tensor(second), gamma: gamma, beta: beta, mode: .train, state: &state)
            let r2 = R.batchNorm(second, gamma: gamma.storage, beta: beta.storage, epsilon: epsilon)
            mean = zip(mean, r2.mean).map { momentum * $0 + (1 - momentum) * $1 }
            variance = zip(variance, r2.variance).map { momentum * $0 + (1 - momentum) * $1 }
            expectMatrix(R.matrix(state.runningMean), matches: Matrix(row: mean), frobeniusBelow: 1e-12, "batchNormForward",
                         "the running mean after a second train pass", hint: "update the state on every train-mode pass")
            expectMatrix(R.matrix(state.runningVariance), matches: Matrix(row: variance), frobeniusBelow: 1e-12, "batchNormForward",
                         "the running variance after a second train pass")
            // A test-mode pass reads the averages and leaves them alone.
            let before = state
            _ = try batchNormForward(R.tensor(second), gamma: gamma, beta: beta, mode: .test, state: &state)
            expectEqual(state, before, "batchNormForward", "the state after a test-mode pass", hint: "only train mode updates the averages")
        }
    }

    func test_batchNormForward_testModeUsesTheRunningAverages() throws {
        var state = try BatchNormState(features: 5)
        let ones = Tensor(shape: [5], repeating: 1), zeros = Tensor(shape: [5], repeating: 0)
        for pass in 0 ..< 200 {
            let batch = R.features(50, means: Self.means, stds: Self.stds, seed: 1_000 + UInt64(pass))
            _ = try attempt { try batchNormForward(R.tensor(batch), gamma: ones, beta: zeros, mode: .train, state: &state) }
        }
        let test = R.features(500, means: Self.means, stds: Self.stds, seed: 999)
        let (out, _) = try attempt { try batchNormForward(R.tensor(test), gamma: ones, beta: zeros, mode: .test, state: &state) }
        let statistics = R.columnStatistics(R.matrix(out))
        for j in 0 ..< 5 {
            expectClose(state.runningMean.storage[j], Self.means[j], tolerance: 0.2 * Self.stds[j], "batchNormForward",
                        "the running mean of feature \(j) after 200 train passes (the data's mean is \(Self.means[j]))")
            expectClose(statistics.mean[j], 0, tolerance: 0.2, "batchNormForward", "the test-mode output's mean of feature \(j)",
                        hint: "test mode subtracts the running mean, not the test batch's own")
            expectClose(statistics.std[j], 1, tolerance: 0.2, "batchNormForward", "the test-mode output's standard deviation of feature \(j)")
        }
        // Exactly (x − running mean) / sqrt(running variance + eps), for a batch of one too.
        let single = Matrix(row: [6, -2.5, 0.3, 10, -1])
        let (one, _) = try attempt { try batchNormForward(R.tensor(single), gamma: ones, beta: zeros, mode: .test, state: &state) }
        let expected = (single - R.matrix(state.runningMean)) / (R.matrix(state.runningVariance) + state.epsilon).squareRoot
        expectMatrix(R.matrix(one), matches: expected, frobeniusBelow: 1e-12, "batchNormForward", "a test-mode batch of one",
                     hint: "at test time each example is normalized by the running averages alone")
    }

    func test_batchNormForward_rejectsABatchOfOneInTrainModeAndMismatchedShapes() throws {
        var state = try BatchNormState(features: 3)
        let gamma = Tensor(shape: [3], repeating: 1), beta = Tensor(shape: [3], repeating: 0)
        _ = try attempt { try batchNormForward(Tensor(shape: [2, 3], [1, 2, 3, 4, 5, 6]), gamma: gamma, beta: beta, mode: .train, state: &state) }
        let before = state
        XCTAssertThrowsError(try batchNormForward(Tensor(shape: [1, 3], [1, 2, 3]), gamma: gamma, beta: beta, mode: .train, state: &state)) { error in
            expectEqual(error as? DropoutError, .batchTooSmall(operation: "batchNormForward", batchSize: 1), "batchNormForward",
                        "the error for a train-mode batch of one")
        }
        expectEqual(state, before, "batchNormForward", "the state after a refused batch")
        XCTAssertThrowsError(try batchNormForward(Tensor(shape: [4, 3], repeating: 1), gamma: Tensor(shape: [4], repeating: 1),
                                                  beta: beta, mode: .train, state: &state)) { error in
            guard case .featureMismatch? = error as? DropoutError else {
                fail("batchNormForward", "gamma of 4 entries for 3 features threw \(error), expected DropoutError.featureMismatch")
                return
            }
        }
    }

    // MARK: - Batch normalization, backward

    /// A well-conditioned batch: 8 examples of 5 features, gamma and beta away from 0.
    private static let backwardInput = R.features(8, means: [5, -3, 0, 12, 1], stds: [2, 0.5, 1, 4, 3], seed: 520)
    private static let gammaValues = [1.5, -0.7, 2, 0.9, 1.2], betaValues = [0.1, -0.2, 0.3, 0, 1]

    /// Checks one backward pass against the numerical gradients of the reference forward pass.
    private func checkBackward(_ exercise: String, _ backward: (Tensor, BatchNormCache) throws -> (dx: Tensor, dgamma: Tensor, dbeta: Tensor)) throws {
        let x = Self.backwardInput
        for (epsilon, seed) in [(1e-5, UInt64(521)), (0.5, 522)] {
            let dout = R.upstream(8, 5, seed: seed)
            let cache = R.cache(x, gamma: Self.gammaValues, epsilon: epsilon)
            let (dx, dgamma, dbeta) = try attempt { try backward(R.tensor(dout), cache) }
            func loss(_ x: Matrix, _ gamma: [Double], _ beta: [Double]) -> Matrix {
                R.batchNorm(x, gamma: gamma, beta: beta, epsilon: epsilon).out
            }
            let numericalDx = numericalGradient(of: { loss($0, Self.gammaValues, Self.betaValues) }, at: x, upstream: dout)
            let numericalDgamma = numericalGradient(of: { loss(x, $0.storage, Self.betaValues) }, at: Matrix(row: Self.gammaValues), upstream: dout)
            let numericalDbeta = numericalGradient(of: { loss(x, Self.gammaValues, $0.storage) }, at: Matrix(row: Self.betaValues), upstream: dout)
            for (name, analytic, numerical, shape, hint) in [
                ("dx", dx, numericalDx, [8, 5], "x reaches the output three ways (directly, through the mean, through the variance): add all three"),
                ("dgamma", dgamma, numericalDgamma, [5], "dgamma = Σ over the batch of dout · x̂"),
                ("dbeta", dbeta, numericalDbeta, [5], "dbeta = Σ over the batch of dout"),
            ] {
                guard analytic.shape == shape else {
                    fail(exercise, "\(name) has shape \(analytic.shapeDescription), expected \(Tensor(shape: shape).shapeDescription) (the shape of \(name == "dx" ? "x" : "gamma"))")
                    continue
                }
                let error = relativeError(R.matrix(analytic), numerical)
                if !(error < 1e-8) {
                    fail(exercise, "eps \(epsilon): \(name) relative error \(format(error)) (must be < 1e-8) against the numerical gradient", hint: hint)
                }
            }
            let again = try backward(R.tensor(dout), cache)
            expectEqual(again.dx, dx, exercise, "dx of a second backward pass with the same cache", hint: "backward must only read the cache")
        }
    }

    func test_batchNormBackward_matchesNumericalGradient() throws {
        try checkBackward("batchNormBackward") { try batchNormBackward($0, cache: $1) }
    }

    func test_batchNormBackwardSimplified_matchesNumericalGradient() throws {
        try checkBackward("batchNormBackwardSimplified") { try batchNormBackwardSimplified($0, cache: $1) }
    }

    func test_batchNormBackwardSimplified_agreesWithTheGraphBackward() throws {
        let x = R.features(64, means: Self.means, stds: Self.stds, seed: 523)
        let cache = R.cache(x, gamma: Self.gammaValues, epsilon: 1e-5)
        let dout = R.tensor(R.upstream(64, 5, seed: 524))
        let simplified = try attempt { try batchNormBackwardSimplified(dout, cache: cache) }
        let staged = try attempt { try batchNormBackward(dout, cache: cache) }
        for (name, a, b) in [("dx", staged.dx, simplified.dx), ("dgamma", staged.dgamma, simplified.dgamma), ("dbeta", staged.dbeta, simplified.dbeta)] {
            guard a.shape == b.shape else {
                fail("batchNormBackwardSimplified", "\(name) has shape \(b.shapeDescription), batchNormBackward's has \(a.shapeDescription)")
                continue
            }
            let error = relativeError(R.matrix(a), R.matrix(b))
            if !(error < 1e-12) {
                fail("batchNormBackwardSimplified", "\(name) differs from batchNormBackward's by relative error \(format(error)) (must be < 1e-12)",
                     hint: "dx = gamma · inverseStd / N · (N · dout − Σ dout − x̂ · Σ (dout · x̂)), sums down the batch")
            }
        }
    }

    func test_batchNormBackward_rejectsATestModeCacheAndAWrongUpstream() throws {
        let features = R.features(6, means: [1, 2, 3], stds: [1, 1, 1], seed: 525)
        let x = R.tensor(features)
        let trainCache = R.cache(features, gamma: [1, 1, 1], epsilon: 1e-5)
        let testCache = BatchNormCache(centered: trainCache.centered, normalized: trainCache.normalized,
                                       inverseStandardDeviation: trainCache.inverseStandardDeviation, gamma: trainCache.gamma, mode: .test)
        for (name, backward) in [("batchNormBackward", batchNormBackward), ("batchNormBackwardSimplified", batchNormBackwardSimplified)]
            as [(String, (Tensor, BatchNormCache) throws -> (dx: Tensor, dgamma: Tensor, dbeta: Tensor))] {
            _ = try attempt { try backward(x, trainCache) }
            XCTAssertThrowsError(try backward(x, testCache)) { error in
                expectEqual(error as? DropoutError, .backwardAfterTestMode(operation: name), name, "the error for a test-mode cache",
                            hint: "call checkBatchNormBackward(dout, cache, \"\(name)\") first")
            }
            XCTAssertThrowsError(try backward(Tensor(shape: [6, 4], repeating: 1), trainCache)) { error in
                guard case .shapeMismatch? = error as? DropoutError else {
                    fail(name, "dout (6, 4) for a (6, 3) output threw \(error), expected DropoutError.shapeMismatch")
                    return
                }
            }
        }
    }
}
