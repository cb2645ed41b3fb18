import XCTest
import Foundation
import LinearAlgebra
import GradientCheck
import Training
@testable import Workbook

/// Chapter 4, optimisation: Exercises/04-neural-networks/UpdateRules.swift, LearningRateSchedules.swift
/// and WeightInitialization.swift.
///
/// Each update rule takes one step on fixed inputs, w = linspace(-0.4, 0.6) and dw = linspace(-0.6, 0.4)
/// as 4 × 5, from a state set explicitly; the expected values come from the rule's formula applied
/// entry by entry here. A second step must use the state the first one left, and two parameters of
/// different shapes must keep separate states.
extension NeuralNetworkTests {
    private static let w = NetReference.tensor([4, 5], -0.4, 0.6)
    private static let dw = NetReference.tensor([4, 5], -0.6, 0.4)
    private static let dw2 = NetReference.tensor([4, 5], 0.3, -0.5)

    /// Applies `formula` to every entry: (w, dw, state...) -> (new w, new state...).
    private static func entrywise(_ count: Int, _ formula: (Int) -> [Double]) -> [[Double]] {
        let rows = (0 ..< count).map(formula)
        return (0 ..< rows[0].count).map { k in rows.map { $0[k] } }
    }

    private func expectStep(_ actual: Tensor, _ expected: [Double], _ exercise: String, _ what: String, hint: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        expectTensor(actual, matches: Tensor(shape: [4, 5], expected), tolerance: 1e-13, exercise, what, hint: hint, file: file, line: line)
    }

    private func expectState(_ actual: Tensor?, _ expected: [Double], _ exercise: String, _ what: String, hint: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        guard let actual else {
            return fail(exercise, "\(what) is nil after a step", hint: "store the new state in the rule's property", file: file, line: line)
        }
        expectStep(actual, expected, exercise, what, hint: hint, file: file, line: line)
    }

    // MARK: SGD

    func test_SGD_oneStep() throws {
        var rule = SGD()
        var w = Self.w
        try attempt { try rule.update(&w, gradient: Self.dw, learningRate: 1e-2) }
        let expected = (0 ..< 20).map { Self.w.storage[$0] - 1e-2 * Self.dw.storage[$0] }
        expectStep(w, expected, "SGD", "w after one step, learning rate 1e-2", hint: "w - learningRate * dw")
        XCTAssertThrowsError(try rule.update(&w, gradient: Tensor(shape: [5, 4]), learningRate: 1e-2), "dw (5, 4) for w (4, 5)")
    }

    // MARK: Momentum

    func test_SGDMomentum_oneStepFromGivenVelocity() throws {
        let v0 = NetReference.tensor([4, 5], 0.6, 0.9)
        var rule = SGDMomentum()
        rule.velocity = v0
        var w = Self.w
        try attempt { try rule.update(&w, gradient: Self.dw, learningRate: 1e-3) }
        let e = Self.entrywise(20) { i in
            let v = 0.9 * v0.storage[i] - 1e-3 * Self.dw.storage[i]
            return [Self.w.storage[i] + v, v]
        }
        expectStep(w, e[0], "SGDMomentum", "w after one step (momentum 0.9, learning rate 1e-3)",
                   hint: "v = momentum * v - learningRate * dw, then w + v (the new v)")
        expectState(rule.velocity, e[1], "SGDMomentum", "the velocity after one step", hint: "v = momentum * v - learningRate * dw")
    }

    func test_SGDMomentum_secondStepUsesFirstVelocity() throws {
        var rule = SGDMomentum(momentum: 0.5)
        var w = Self.w
        try attempt { try rule.update(&w, gradient: Self.dw, learningRate: 1e-2) }
        try attempt { try rule.update(&w, gradient: Self.dw2, learningRate: 1e-2) }
        let e = Self.entrywise(20) { i in
            let v1 = -1e-2 * Self.dw.storage[i]
            let v2 = 0.5 * v1 - 1e-2 * Self.dw2.storage[i]
            return [Self.w.storage[i] + v1 + v2, v2]
        }
        expectStep(w, e[0], "SGDMomentum", "w after two steps from no velocity (momentum 0.5)",
                   hint: "the velocity starts at zeros, and the second step starts from the first step's velocity; use the momentum argument")
        expectState(rule.velocity, e[1], "SGDMomentum", "the velocity after two steps", hint: "store the new velocity")
    }

    func test_NesterovMomentum_oneStepFromGivenVelocity() throws {
        let v0 = NetReference.tensor([4, 5], 0.6, 0.9)
        var rule = NesterovMomentum()
        rule.velocity = v0
        var w = Self.w
        try attempt { try rule.update(&w, gradient: Self.dw, learningRate: 1e-3) }
        let e = Self.entrywise(20) { i in
            let v = 0.9 * v0.storage[i] - 1e-3 * Self.dw.storage[i]
            return [Self.w.storage[i] - 0.9 * v0.storage[i] + 1.9 * v, v]
        }
        expectStep(w, e[0], "NesterovMomentum", "w after one step (momentum 0.9, learning rate 1e-3)",
                   hint: "x_ahead form: v_prev = v; v = momentum * v - learningRate * dw; w += -momentum * v_prev + (1 + momentum) * v")
        expectState(rule.velocity, e[1], "NesterovMomentum", "the velocity after one step", hint: "v = momentum * v - learningRate * dw")
    }

    func test_NesterovMomentum_secondStepUsesFirstVelocity() throws {
        var rule = NesterovMomentum(momentum: 0.5)
        var w = Self.w
        try attempt { try rule.update(&w, gradient: Self.dw, learningRate: 1e-2) }
        try attempt { try rule.update(&w, gradient: Self.dw2, learningRate: 1e-2) }
        let e = Self.entrywise(20) { i in
            let v1 = -1e-2 * Self.dw.storage[i]
            let w1 = Self.w.storage[i] + 1.5 * v1
            let v2 = 0.5 * v1 - 1e-2 * Self.dw2.storage[i]
            return [w1 - 0.5 * v1 + 1.5 * v2, v2]
        }
        expectStep(w, e[0], "NesterovMomentum", "w after two steps from no velocity (momentum 0.5)",
                   hint: "the velocity starts at zeros; the second step's v_prev is the first step's v")
        expectState(rule.velocity, e[1], "NesterovMomentum", "the velocity after two steps", hint: "store the new velocity")
    }

    // MARK: AdaGrad and RMSProp

    func test_AdaGrad_oneStepFromGivenCache() throws {
        let c0 = NetReference.tensor([4, 5], 0.5, 0.9)
        var rule = AdaGrad()
        rule.squaredGradients = c0
        var w = Self.w
        try attempt { try rule.update(&w, gradient: Self.dw, learningRate: 1e-2) }
        let e = Self.entrywise(20) { i in
            let g = Self.dw.storage[i], c = c0.storage[i] + g * g
            return [Self.w.storage[i] - 1e-2 * g / (c.squareRoot() + 1e-8), c]
        }
        expectStep(w, e[0], "AdaGrad", "w after one step (learning rate 1e-2)",
                   hint: "cache += dw², then w - learningRate * dw / (sqrt(cache) + epsilon), with the updated cache")
        expectState(rule.squaredGradients, e[1], "AdaGrad", "the squared-gradient sum after one step", hint: "cache + dw * dw")
    }

    func test_AdaGrad_secondStepUsesFirstCache() throws {
        var rule = AdaGrad(epsilon: 1e-4)
        var w = Self.w
        try attempt { try rule.update(&w, gradient: Self.dw, learningRate: 1e-2) }
        try attempt { try rule.update(&w, gradient: Self.dw2, learningRate: 1e-2) }
        let e = Self.entrywise(20) { i in
            let (g1, g2) = (Self.dw.storage[i], Self.dw2.storage[i])
            let c1 = g1 * g1, c2 = c1 + g2 * g2
            let w1 = Self.w.storage[i] - 1e-2 * g1 / (c1.squareRoot() + 1e-4)
            return [w1 - 1e-2 * g2 / (c2.squareRoot() + 1e-4), c2]
        }
        expectStep(w, e[0], "AdaGrad", "w after two steps from no cache (epsilon 1e-4)",
                   hint: "the cache starts at zeros and keeps adding dw²; use the epsilon argument")
        expectState(rule.squaredGradients, e[1], "AdaGrad", "the squared-gradient sum after two steps", hint: "store the new cache")
    }

    func test_RMSProp_oneStepFromGivenCache() throws {
        let c0 = NetReference.tensor([4, 5], 0.7, 0.9)
        for decay in [0.99, 0.9] {
            var rule = decay == 0.99 ? RMSProp() : RMSProp(decayRate: decay)
            rule.squaredGradients = c0
            var w = Self.w
            try attempt { try rule.update(&w, gradient: Self.dw, learningRate: 1e-2) }
            let e = Self.entrywise(20) { i in
                let g = Self.dw.storage[i], c = decay * c0.storage[i] + (1 - decay) * g * g
                return [Self.w.storage[i] - 1e-2 * g / (c.squareRoot() + 1e-8), c]
            }
            expectStep(w, e[0], "RMSProp", "w after one step (decay rate \(decay), learning rate 1e-2)",
                       hint: "cache = decayRate * cache + (1 - decayRate) * dw², then w - learningRate * dw / (sqrt(cache) + epsilon)")
            expectState(rule.squaredGradients, e[1], "RMSProp", "the squared-gradient average after one step (decay rate \(decay))",
                        hint: "decayRate * cache + (1 - decayRate) * dw * dw")
        }
    }

    func test_RMSProp_secondStepUsesFirstCache() throws {
        var rule = RMSProp(decayRate: 0.9)
        var w = Self.w
        try attempt { try rule.update(&w, gradient: Self.dw, learningRate: 1e-2) }
        try attempt { try rule.update(&w, gradient: Self.dw2, learningRate: 1e-2) }
        let e = Self.entrywise(20) { i in
            let (g1, g2) = (Self.dw.storage[i], Self.dw2.storage[i])
            let c1 = 0.1 * g1 * g1, c2 = 0.9 * c1 + 0.1 * g2 * g2
            let w1 = Self.w.storage[i] - 1e-2 * g1 / (c1.squareRoot() + 1e-8)
            return [w1 - 1e-2 * g2 / (c2.squareRoot() + 1e-8), c2]
        }
        expectStep(w, e[0], "RMSProp", "w after two steps from no cache (decay rate 0.9)",
                   hint: "the cache starts at zeros; the second step decays the first step's cache")
        expectState(rule.squaredGradients, e[1], "RMSProp", "the squared-gradient average after two steps", hint: "store the new cache")
    }

    // MARK: Adam

    /// The expected Adam step from (m, v, t) entry by entry: new w, m, v.
    private static func adamStep(m m0: [Double], v v0: [Double], t t0: Int, learningRate: Double,
                                 beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) -> [[Double]] {
        let t = Double(t0 + 1)
        return entrywise(20) { i in
            let g = dw.storage[i]
            let m = beta1 * m0[i] + (1 - beta1) * g, v = beta2 * v0[i] + (1 - beta2) * g * g
            let mHat = m / (1 - pow(beta1, t)), vHat = v / (1 - pow(beta2, t))
            return [w.storage[i] - learningRate * mHat / (vHat.squareRoot() + epsilon), m, v]
        }
    }

    func test_Adam_firstStepFromNoState() throws {
        var rule = Adam()
        var w = Self.w
        try attempt { try rule.update(&w, gradient: Self.dw, learningRate: 1e-2) }
        let zeros = [Double](repeating: 0, count: 20)
        let e = Self.adamStep(m: zeros, v: zeros, t: 0, learningRate: 1e-2)
        expectStep(w, e[0], "Adam", "w after the first step (t = 0 before it, learning rate 1e-2)",
                   hint: "increment t before the bias correction: the first step divides by 1 - beta1^1, not 1 - beta1^0 = 0")
        expectState(rule.m, e[1], "Adam", "m after the first step", hint: "m = beta1 * m + (1 - beta1) * dw, from zeros")
        expectState(rule.v, e[2], "Adam", "v after the first step", hint: "v = beta2 * v + (1 - beta2) * dw², from zeros")
        expectEqual(rule.t, 1, "Adam", "t after the first step", hint: "t counts the steps taken: t += 1 once per update")
    }

    func test_Adam_stepAtTFive() throws {
        let m0 = NetReference.linspace(0.6, 0.9, 20), v0 = NetReference.linspace(0.7, 0.5, 20)
        var rule = Adam()
        (rule.m, rule.v, rule.t) = (Tensor(shape: [4, 5], m0), Tensor(shape: [4, 5], v0), 5)
        var w = Self.w
        try attempt { try rule.update(&w, gradient: Self.dw, learningRate: 1e-2) }
        let e = Self.adamStep(m: m0, v: v0, t: 5, learningRate: 1e-2)
        expectStep(w, e[0], "Adam", "w after a step from t = 5 with m = linspace(0.6, 0.9) and v = linspace(0.7, 0.5)",
                   hint: "t becomes 6 before the bias correction: mHat = m / (1 - beta1^6), vHat = v / (1 - beta2^6)")
        expectState(rule.m, e[1], "Adam", "m after the step", hint: "m = beta1 * m + (1 - beta1) * dw")
        expectState(rule.v, e[2], "Adam", "v after the step", hint: "v = beta2 * v + (1 - beta2) * dw²")
        expectEqual(rule.t, 6, "Adam", "t after a step from t = 5", hint: "t += 1 once per update")

        var other = Adam(beta1: 0.5, beta2: 0.75, epsilon: 1e-3)
        (other.m, other.v, other.t) = (Tensor(shape: [4, 5], m0), Tensor(shape: [4, 5], v0), 5)
        var w2 = Self.w
        try attempt { try other.update(&w2, gradient: Self.dw, learningRate: 1e-2) }
        let e2 = Self.adamStep(m: m0, v: v0, t: 5, learningRate: 1e-2, beta1: 0.5, beta2: 0.75, epsilon: 1e-3)
        expectStep(w2, e2[0], "Adam", "w after a step from t = 5 with beta1 0.5, beta2 0.75, epsilon 1e-3",
                   hint: "use the rule's beta1, beta2 and epsilon, not the defaults")
    }

    // MARK: One state per parameter

    /// Two copies of a fresh rule step a (4, 5) weight and a (3,) bias in turn, twice each; each copy must
    /// give what a rule stepping that parameter alone gives. Then mismatched shapes must throw.
    private func checkSeparateStates<Rule: UpdateRule>(_ exercise: String, _ fresh: Rule) throws {
        let b = NetReference.tensor([3], 0.1, -0.2), db = NetReference.tensor([3], 0.5, 0.7), db2 = NetReference.tensor([3], -0.1, 0.2)
        var (ruleW, ruleB) = (fresh, fresh)
        var (w, bias) = (Self.w, b)
        try attempt { try ruleW.update(&w, gradient: Self.dw, learningRate: 1e-2) }
        try attempt { try ruleB.update(&bias, gradient: db, learningRate: 1e-2) }
        try attempt { try ruleW.update(&w, gradient: Self.dw2, learningRate: 1e-2) }
        try attempt { try ruleB.update(&bias, gradient: db2, learningRate: 1e-2) }
        var (aloneW, aloneB) = (fresh, fresh)
        var (w1, b1) = (Self.w, b)
        try aloneW.update(&w1, gradient: Self.dw, learningRate: 1e-2)
        try aloneW.update(&w1, gradient: Self.dw2, learningRate: 1e-2)
        try aloneB.update(&b1, gradient: db, learningRate: 1e-2)
        try aloneB.update(&b1, gradient: db2, learningRate: 1e-2)
        let hint = "keep the state in the rule's stored properties (one copy per parameter), never in a static or global variable"
        expectTensor(w, matches: w1, tolerance: 1e-15, exercise, "a (4, 5) weight stepped in turn with a (3,) bias", hint: hint)
        expectTensor(bias, matches: b1, tolerance: 1e-15, exercise, "a (3,) bias stepped in turn with a (4, 5) weight", hint: hint)
        XCTAssertThrowsError(try ruleW.update(&w, gradient: Tensor(shape: [5, 4]), learningRate: 1e-2),
                             "\(exercise): dw (5, 4) for w (4, 5)")
        var wrongShape = Tensor(shape: [2, 10])
        XCTAssertThrowsError(try ruleW.update(&wrongShape, gradient: Tensor(shape: [2, 10]), learningRate: 1e-2),
                             "\(exercise): a (2, 10) parameter for a rule whose state is (4, 5)")
    }

    func test_SGDMomentum_separateStatePerParameter() throws { try checkSeparateStates("SGDMomentum", SGDMomentum()) }
    func test_NesterovMomentum_separateStatePerParameter() throws { try checkSeparateStates("NesterovMomentum", NesterovMomentum()) }
    func test_AdaGrad_separateStatePerParameter() throws { try checkSeparateStates("AdaGrad", AdaGrad()) }
    func test_RMSProp_separateStatePerParameter() throws { try checkSeparateStates("RMSProp", RMSProp()) }
    func test_Adam_separateStatePerParameter() throws { try checkSeparateStates("Adam", Adam()) }

    // MARK: Learning-rate schedules

    func test_StepDecay_chosenEpochs() throws {
        let schedule = StepDecay(initial: 0.1, factor: 0.5, every: 3)
        for (epoch, expected) in [(0, 0.1), (2, 0.1), (3, 0.05), (5, 0.05), (6, 0.025), (10, 0.0125)] {
            let rate = try attempt { try schedule.rate(epoch: epoch) }
            expectClose(rate, expected, tolerance: 1e-15, "StepDecay", "the rate at epoch \(epoch) (initial 0.1, factor 0.5, every 3)",
                        hint: "initial * factor^(epoch / every) with integer division: the rate changes at epochs 3, 6, 9, …")
        }
        expectClose(try schedule.learningRate(epoch: 6), 0.025, tolerance: 1e-15, "StepDecay", "learningRate(epoch: 6)")
        XCTAssertThrowsError(try StepDecay(initial: 0.1, factor: 0.5, every: 0).rate(epoch: 1), "every = 0")
    }

    func test_ExponentialDecay_chosenEpochs() throws {
        let schedule = ExponentialDecay(initial: 0.1, k: 0.2)
        for epoch in [0, 1, 5, 12] {
            let rate = try attempt { try schedule.rate(epoch: epoch) }
            expectClose(rate, 0.1 * exp(-0.2 * Double(epoch)), tolerance: 1e-15, "ExponentialDecay",
                        "the rate at epoch \(epoch) (initial 0.1, k 0.2)", hint: "initial * e^(-k * epoch)")
        }
    }

    func test_InverseTimeDecay_chosenEpochs() throws {
        let schedule = InverseTimeDecay(initial: 0.1, k: 0.5)
        for (epoch, expected) in [(0, 0.1), (1, 0.1 / 1.5), (4, 0.1 / 3), (10, 0.1 / 6)] {
            let rate = try attempt { try schedule.rate(epoch: epoch) }
            expectClose(rate, expected, tolerance: 1e-15, "InverseTimeDecay", "the rate at epoch \(epoch) (initial 0.1, k 0.5)",
                        hint: "initial / (1 + k * epoch)")
        }
    }

    // MARK: Weight initialization

    func test_WeightInitialization_scalesAndDraws() throws {
        let cases: [(WeightInitialization, Double, String)] = [
            (.smallRandom(), 0.01, "smallRandom() draws 0.01 * randn"),
            (.smallRandom(scale: 0.5), 0.5, "smallRandom(scale:) uses its scale"),
            (.xavier, 1 / 51.0.squareRoot(), "Xavier is randn / sqrt(fanIn)"),
            (.he, 1 / 25.5.squareRoot(), "He is randn / sqrt(fanIn / 2), in Double (51 / 2 is 25.5)"),
        ]
        for (initialization, scale, hint) in cases {
            var generator = SeededGenerator(seed: 70)
            let weights = try attempt { try initialization.weights(fanIn: 51, fanOut: 7, using: &generator) }
            var reference = SeededGenerator(seed: 70)
            let expected = NetReference.map(Tensor.gaussian([51, 7], using: &reference)) { $0 * scale }
            expectTensor(weights, matches: expected, tolerance: 1e-15, "WeightInitialization", "\(initialization) weights for fanIn 51, fanOut 7",
                         hint: hint + "; draw Tensor.gaussian([fanIn, fanOut]) from the generator passed in")
            expectEqual(generator.next(), reference.next(), "WeightInitialization", "the generator's next draw after \(initialization)",
                        hint: "draw exactly fanIn * fanOut numbers from the generator argument (inout), no new generator")
        }
        var generator = SeededGenerator(seed: 71)
        XCTAssertThrowsError(try WeightInitialization.xavier.weights(fanIn: 0, fanOut: 3, using: &generator), "fanIn = 0")
    }

    /// The lecture's experiment: 1,000 Gaussian inputs of dimension 500 through ten layers of 500 units
    /// with weights from `initialization`; the last layer's standard deviation and the fraction of its
    /// units with |h| > 0.99. The nonlinearity is computed here (tanh as 1 - 2 / (e^{2z} + 1), which
    /// is exact to rounding, with the matrix module's exp), so only the initialization is graded.
    private func lastLayer(_ initialization: WeightInitialization, relu: Bool) throws -> (deviation: Double, saturated: Double) {
        var inputs = SeededGenerator(seed: 72)
        var h = Matrix.gaussian(1000, 500, using: &inputs)
        var generator = SeededGenerator(seed: 73)
        for _ in 0 ..< 10 {
            let w = try attempt { try initialization.weights(fanIn: 500, fanOut: 500, using: &generator) }
            guard w.shape == [500, 500] else {
                fail("WeightInitialization", "weights(fanIn: 500, fanOut: 500) has shape \(w.shapeDescription)",
                     hint: "the shape is (fanIn, fanOut)")
                return (.nan, .nan)
            }
            let z = matmul(h, Matrix(reshaping: w, rows: 500, cols: 500))
            h = relu ? z.maximum(0) : 1 - 2 / (exp(2 * z) + 1)
        }
        let mean = h.mean()
        let deviation = (h - mean).squared.mean().squareRoot()
        let saturated = Double(h.storage.filter { abs($0) > 0.99 }.count) / Double(h.count)
        return (deviation, saturated)
    }

    func test_WeightInitialization_smallRandomVanishesThroughTanh() throws {
        let (deviation, _) = try lastLayer(.smallRandom(), relu: false)
        if !(deviation < 1e-5) {
            fail("WeightInitialization", "with 0.01 * randn the 10th tanh layer's standard deviation is \(format(deviation)), expected < 1e-5",
                 hint: "each layer multiplies the standard deviation by about 0.01 * sqrt(500) ≈ 0.22: smallRandom draws scale * randn")
        }
    }

    func test_WeightInitialization_unitGaussianSaturatesTanh() throws {
        let (deviation, saturated) = try lastLayer(.smallRandom(scale: 1), relu: false)
        if !(deviation > 0.95 && saturated > 0.5) {
            fail("WeightInitialization", "with 1.0 * randn the 10th tanh layer has standard deviation \(format(deviation)) and "
                 + "\(format(100 * saturated))% of units with |h| > 0.99; expected > 0.95 and most units saturated",
                 hint: "smallRandom(scale: 1) must draw 1 * randn")
        }
    }

    func test_WeightInitialization_xavierKeepsTanhAlive() throws {
        let (deviation, _) = try lastLayer(.xavier, relu: false)
        if !(deviation > 0.15 && deviation < 0.4) {
            fail("WeightInitialization", "with Xavier the 10th tanh layer's standard deviation is \(format(deviation)), expected in 0.15 ... 0.4",
                 hint: "Xavier divides randn by sqrt(fanIn)")
        }
    }

    func test_WeightInitialization_xavierCollapsesThroughReLU() throws {
        let (deviation, _) = try lastLayer(.xavier, relu: true)
        if !(deviation < 0.05) {
            fail("WeightInitialization", "with Xavier the 10th ReLU layer's standard deviation is \(format(deviation)), expected < 0.05",
                 hint: "ReLU zeroes half its inputs, so with randn / sqrt(fanIn) each layer halves the variance")
        }
    }

    func test_WeightInitialization_heKeepsReLUAlive() throws {
        let (deviation, _) = try lastLayer(.he, relu: true)
        if !(deviation > 0.5) {
            fail("WeightInitialization", "with He the 10th ReLU layer's standard deviation is \(format(deviation)), expected > 0.5",
                 hint: "He divides randn by sqrt(fanIn / 2), computed in Double")
        }
    }
}
