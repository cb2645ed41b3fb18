import XCTest
import Foundation
import LinearAlgebra
import GradientCheck
@testable import Workbook

/// Chapter 4, the two-layer net and L-BFGS: Exercises/04-neural-networks/TwoLayerNet.swift and LBFGS.swift.
///
/// `TwoLayerNet` is checked on a fixed network built from linspace (scores, loss, every gradient against
/// the numerical gradient of a plain reference), then with the lecture's sanity checks. The training
/// test drives the net with plain gradient descent written here, so it needs no update rule of yours.
extension NeuralNetworkTests {
    /// N = 3 examples, D = 5, H = 50, C = 7, every parameter and the inputs filled with linspace.
    private static func linspaceNet(reg: Double) throws -> (net: TwoLayerNet, x: Tensor, y: [Int]) {
        let (n, d, h, c) = (3, 5, 50, 7)
        var net = try TwoLayerNet(inputSize: d, hiddenSize: h, classCount: c, reg: reg)
        net.parameters = [
            "W1": NetReference.tensor([d, h], -0.7, 0.3), "b1": NetReference.tensor([h], -0.1, 0.9),
            "W2": NetReference.tensor([h, c], -0.3, 0.4), "b2": NetReference.tensor([c], -0.9, 0.1),
        ]
        // x = linspace(-5.5, 4.5) read as (D, N), transposed to (N, D).
        let values = NetReference.linspace(-5.5, 4.5, n * d)
        let x = Tensor(shape: [n, d], (0 ..< n * d).map { k in values[(k % d) * n + k / d] })
        return (net, x, [0, 5, 1])
    }

    func test_TwoLayerNet_scoresOnLinspaceNet() throws {
        let (net, x, _) = try Self.linspaceNet(reg: 0)
        let scores = try attempt { try net.scores(x) }
        expectTensor(scores, matches: NetReference.twoLayerScores(net.parameters, x), tolerance: 1e-10, "TwoLayerNet",
                     "scores(x) of the linspace net (N = 3, C = 7)", hint: "scores = ReLU(x W1 + b1) W2 + b2: affineReLUForward, then affineForward")
        let images = try attempt { try net.scores(x.reshaped([3, 5, 1])) }
        expectTensor(images, matches: scores, tolerance: 0, "TwoLayerNet", "scores(x) for x of shape (3, 5, 1)",
                     hint: "an input of shape (N, d1, …, dk) is flattened to (N, D): pass x to the affine layer as it is")
    }

    func test_TwoLayerNet_lossOnLinspaceNet() throws {
        for reg in [0, 0.05] {
            var (net, x, y) = try Self.linspaceNet(reg: reg)
            let (loss, _) = try attempt { try net.loss(x, labels: y) }
            expectClose(loss, NetReference.twoLayerLoss(net.parameters, x, y, reg: reg), tolerance: 1e-10, "TwoLayerNet",
                        "the loss of the linspace net with reg = \(reg)",
                        hint: reg == 0 ? "the softmax loss of the scores, mean over the batch"
                                       : "add reg * (sum of W1² + sum of W2²): chapter 2's λ Σ W², no factor 1/2, no biases")
        }
    }

    func test_TwoLayerNet_gradientCheck() throws {
        for reg in [0, 0.7] {
            var (net, x, y) = try Self.linspaceNet(reg: reg)
            let (_, gradients) = try attempt { try net.loss(x, labels: y) }
            expectEqual(Set(gradients.keys), ["W1", "b1", "W2", "b2"], "TwoLayerNet", "the gradients' names",
                        hint: "return one gradient per parameter, named as in parameters")
            for name in ["W1", "b1", "W2", "b2"] {
                guard let analytic = gradients[name] else { continue }
                let parameters = net.parameters
                // The data loss and the penalty are differenced apart: the penalty's change comes from the
                // perturbed entry alone, so its rounding error does not swamp the gradient's small entries.
                let dataPart = NetReference.gradient(of: { p in
                    var changed = parameters
                    changed[name] = p
                    return NetReference.twoLayerLoss(changed, x, y, reg: 0)
                }, at: parameters[name]!)
                let h = NetReference.step
                let numerical = Tensor(shape: dataPart.shape, zip(dataPart.storage, parameters[name]!.storage).map { data, w in
                    data + (name.hasPrefix("W") ? reg * ((w + h) * (w + h) - (w - h) * (w - h)) / (2 * h) : 0)
                })
                expectGradient(analytic, numerical, below: 1e-7, "TwoLayerNet", "d\(name) with reg = \(reg)",
                               hint: name.hasPrefix("W") ? "backward through affine, ReLU, affine; add 2 * reg * W to dW"
                                                         : "db is the upstream gradient summed over the batch; biases are not regularized")
            }
            let again = try attempt { try net.loss(x, labels: y) }
            expectEqual(again.gradients["W1"], gradients["W1"], "TwoLayerNet", "dW1 of a second call on the same batch",
                        hint: "loss(x, labels:) must not change the parameters or keep state between calls")
        }
    }

    // MARK: The lecture's sanity checks

    /// 50 CIFAR-like examples: D = 3,072 features of standard deviation 50 (mean-subtracted pixels), 10 classes.
    private static func cifarLikeBatch() -> (x: Tensor, y: [Int]) {
        var rng = SeededGenerator(seed: 80)
        let x = Tensor.gaussian([50, 3072], standardDeviation: 50, using: &rng)
        return (x, (0 ..< 50).map { _ in rng.integer(below: 10) })
    }

    func test_TwoLayerNet_sanityInitialLossIsLn10() throws {
        let (x, y) = Self.cifarLikeBatch()
        var net = try TwoLayerNet(inputSize: 3072, hiddenSize: 50, classCount: 10, seed: 81)
        let (loss, _) = try attempt { try net.loss(x, labels: y) }
        expectClose(loss, log(10), tolerance: 0.05, "TwoLayerNet", "the initial loss with weights 1e-4 * randn, 10 classes and no regularization",
                    hint: "tiny weights give almost equal scores, p ≈ 1/10 for every class, and a loss near -ln(1/10) = 2.3026")
    }

    func test_TwoLayerNet_sanityRegularizationRaisesLoss() throws {
        let (x, y) = Self.cifarLikeBatch()
        var net = try TwoLayerNet(inputSize: 3072, hiddenSize: 50, classCount: 10, seed: 81)
        let (plain, _) = try attempt { try net.loss(x, labels: y) }
        net.reg = 1e3
        let (regularized, _) = try attempt { try net.loss(x, labels: y) }
        let squares = ["W1", "W2"].reduce(0.0) { total, name in net.parameters[name]!.storage.reduce(total) { $0 + $1 * $1 } }
        // With λ Σ W² this is about 2.30 + 1.54 = 3.84; the lecture's ½ λ Σ W² gives its 3.07.
        expectClose(regularized, plain + 1e3 * squares, tolerance: 1e-9, "TwoLayerNet", "the initial loss with reg = 1e3",
                    hint: "the loss rises by reg * (sum W1² + sum W2²) (about 1.54 here, so 3.84 in all: the lecture's 3.07 uses ½ λ Σ W²)")
        if !(regularized > plain + 1) {
            fail("TwoLayerNet", "switching on reg = 1e3 moved the loss from \(format(plain)) to \(format(regularized))",
                 hint: "the regularization penalty adds to the loss")
        }
    }

    func test_TwoLayerNet_overfitsTwentyExamples() throws {
        var rng = SeededGenerator(seed: 82)
        let x = Tensor.gaussian([20, 30], using: &rng)
        let y = (0 ..< 20).map { _ in rng.integer(below: 10) }
        var net = try TwoLayerNet(inputSize: 30, hiddenSize: 50, classCount: 10, weightScale: 0.1, seed: 83)
        var loss = Double.nan
        for _ in 0 ..< 300 {
            let result = try attempt { try net.loss(x, labels: y) }
            loss = result.loss
            for (name, gradient) in result.gradients {
                guard let p = net.parameters[name], p.shape == gradient.shape else { continue }
                net.parameters[name] = Tensor(shape: p.shape, zip(p.storage, gradient.storage).map { $0 - 0.5 * $1 })
            }
        }
        let scores = try attempt { try net.scores(x) }
        let predicted = (0 ..< 20).map { i in (0 ..< 10).max { scores[i, $0] < scores[i, $1] }! }
        let accuracy = Double(zip(predicted, y).filter { $0 == $1 }.count) / 20
        expectEqual(accuracy, 1, "TwoLayerNet", "the training accuracy on 20 examples after 300 steps of gradient descent (learning rate 0.5; final loss \(format(loss)))",
                    hint: "a net with 50 hidden units and no regularization must fit 20 examples exactly; if the loss stalls, check the gradients")
    }

    func test_TwoLayerNet_rejectsBadLabels() throws {
        var (net, x, y) = try Self.linspaceNet(reg: 0)
        _ = try attempt { try net.loss(x, labels: y) }
        XCTAssertThrowsError(try net.loss(x, labels: [0, 7, 1]), "label 7 with 7 classes")
        XCTAssertThrowsError(try net.loss(x, labels: [0, 1]), "2 labels for 3 examples")
        XCTAssertThrowsError(try net.scores(Tensor(shape: [3, 4])), "4 features for D = 5")
    }

    // MARK: L-BFGS

    func test_lbfgs_minimisesAQuadratic() throws {
        // f(x) = Σ a (x - c)² with curvatures a from 1 to 10: the minimum is x = c, where f = 0.
        let a = Matrix(rows: 2, cols: 5, NetReference.linspace(1, 10, 10))
        let c = Matrix(rows: 2, cols: 5, NetReference.linspace(-1, 2, 10))
        let f: (Matrix) -> (loss: Double, gradient: Matrix) = { x in ((a * (x - c).squared).sum(), 2 * a * (x - c)) }
        for memory in [10, 3] {
            let (x, losses) = try attempt { try lbfgs(initial: Matrix.zeros(2, 5), iterations: 40, memory: memory, f) }
            let worst = (x - c).magnitude.max()
            if !(worst < 1e-6) {
                fail("lbfgs", "on Σ a (x - c)² (memory \(memory), 40 iterations) x is \(format(worst)) from the minimum c",
                     hint: "check the two-loop recursion: newest pair first in the first loop, oldest first in the second")
            }
            expectClose(losses.first ?? .nan, f(Matrix.zeros(2, 5)).loss, tolerance: 1e-12, "lbfgs", "losses[0] (f at the initial point)",
                        hint: "losses starts with f(initial), then one loss per iteration")
            if losses.count > 41 || zip(losses, losses.dropFirst()).contains(where: { $1 > $0 }) {
                fail("lbfgs", "the losses \(losses.prefix(6).map(format))… rise or number more than iterations + 1",
                     hint: "the Armijo line search accepts a step only when the loss decreases enough")
            }
        }
    }

    func test_lbfgs_beatsGradientDescentOnSoftmax() throws {
        // Chapter 2's softmax classifier on 200 examples in 4 clusters, by the plain reference loss.
        let (x, y) = Reference.clusters(200, 10, classes: 4, seed: 84)
        var rng = SeededGenerator(seed: 85)
        let w0 = Matrix.gaussian(x.cols, 4, standardDeviation: 1e-3, using: &rng)
        let f: (Matrix) -> (loss: Double, gradient: Matrix) = { w in
            let (loss, dW) = Reference.softmaxLoss(w, x, y, reg: 0.01, .l2)
            return (loss, dW)
        }
        let steps = 15
        let (_, losses) = try attempt { try lbfgs(initial: w0, iterations: steps, f) }
        // Plain gradient descent, the same number of steps, with the best of four learning rates.
        let descent = [1e-2, 1e-1, 1, 3].map { rate -> Double in
            var w = w0
            for _ in 0 ..< steps { w -= rate * f(w).gradient }
            return f(w).loss
        }.filter { $0.isFinite }.min()!
        let final = losses.last ?? .nan
        if !(final < descent) {
            fail("lbfgs", "after \(steps) iterations the softmax loss is \(format(final)); \(steps) steps of gradient descent reach \(format(descent))",
                 hint: "the first step is along -∇f / ‖∇f‖; later ones scale H by sᵀy / yᵀy of the newest pair")
        }
    }

    func test_lbfgs_rejectsBadSettings() throws {
        let f: (Matrix) -> (loss: Double, gradient: Matrix) = { x in (x.squared.sum(), 2 * x) }
        _ = try attempt { try lbfgs(initial: Matrix.ones(1, 3), iterations: 2, f) }
        XCTAssertThrowsError(try lbfgs(initial: Matrix.ones(1, 3), iterations: -1, f), "iterations = -1")
        XCTAssertThrowsError(try lbfgs(initial: Matrix.ones(1, 3), iterations: 2, memory: 0, f), "memory = 0")
        XCTAssertThrowsError(try lbfgs(initial: Matrix.ones(1, 3), iterations: 2) { x in (x.squared.sum(), 2 * x.transposed) },
                             "a gradient of shape (3, 1) for x (1, 3)")
    }
}
