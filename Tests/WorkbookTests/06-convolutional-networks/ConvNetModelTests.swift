import XCTest
import LinearAlgebra
import GradientCheck
import ConvolutionLayers
@testable import Workbook

/// Chapter 6, the sandwiches and the three-layer convnet: Exercises/06-convolutional-networks/
/// ConvolutionSandwiches.swift and ThreeLayerConvNet.swift. The sandwiches are compared with the
/// reference layers of ConvolutionReferences.swift run in order and with numerical gradients; the net
/// with the lecture's sanity checks (the initial loss near ln C, the regularization's share of it),
/// numerical gradients of its own loss on a tiny net, and a small training run that must overfit.
extension ConvolutionalNetworkTests {
    /// max(0, x), entrywise.
    private func relu(_ x: Tensor) -> Tensor { Tensor(shape: x.shape, x.storage.map { max(0, $0) }) }

    // MARK: sandwiches

    func test_convReLUForward_matchesTheLayersInOrder() throws {
        let x = R.gaussian([2, 3, 6, 6], seed: 701), w = R.gaussian([4, 3, 3, 3], seed: 702), b = R.gaussian([4], seed: 703)
        let (out, _) = try attempt { try convReLUForward(x, w, b, stride: 1, padding: 1) }
        expectTensor(out, relu(R.convolution(x, w, b, stride: 1, padding: 1)), tolerance: 1e-10, "convReLUForward",
                     "conv (stride 1, padding 1) then ReLU", hint: "convForwardFast first, then reluForward on its output")
    }

    func test_convReLUBackward_isTheLayersBackwardInReverse() throws {
        let x = R.gaussian([2, 3, 6, 6], seed: 701), w = R.gaussian([4, 3, 3, 3], seed: 702), b = R.gaussian([4], seed: 703)
        let (out, cache) = try attempt { try convReLUForward(x, w, b, stride: 1, padding: 1) }
        let dout = R.gaussian(out.shape, seed: 704)
        let (dx, dw, db) = try attempt { try convReLUBackward(dout, cache: cache) }
        // The given fast convolution's backward pass, on dout masked where the convolution's output is not positive.
        let (a, convolutionCache) = try convForwardFast(x, w, b, stride: 1, padding: 1)
        let expected = try convBackwardFast(masked(dout, by: a), cache: convolutionCache)
        let hint = "reluBackward first, then the convolution's backward pass, on the ReLU's output gradient"
        expectGradient(dx, expected.dx, "convReLUBackward", "dx", hint: hint)
        expectGradient(dw, expected.dw, "convReLUBackward", "dw", hint: hint)
        expectGradient(db, expected.db, "convReLUBackward", "db", hint: hint)
        let (noDx, dwOnly, dbOnly) = try convReLUBackward(dout, cache: cache, inputGradient: false)
        expectEqual(noDx == nil, true, "convReLUBackward", "dx == nil with inputGradient: false")
        expectGradient(dwOnly, expected.dw, "convReLUBackward", "dw with inputGradient: false", hint: "use convParameterGradientsFast")
        expectGradient(dbOnly, expected.db, "convReLUBackward", "db with inputGradient: false", hint: "use convParameterGradientsFast")
    }

    func test_convReLUPoolForward_matchesTheLayersInOrder() throws {
        let x = R.gaussian([2, 3, 8, 8], seed: 711), w = R.gaussian([3, 3, 5, 5], seed: 712), b = R.gaussian([3], seed: 713)
        let f = { (x: Tensor, w: Tensor, b: Tensor) in
            R.maxPool(self.relu(R.convolution(x, w, b, stride: 1, padding: 2)), poolHeight: 2, poolWidth: 2, stride: 2)
        }
        let (out, _) = try attempt { try convReLUPoolForward(x, w, b, stride: 1, padding: 2) }
        expectTensor(out, f(x, w, b), tolerance: 1e-10, "convReLUPoolForward", "conv (padding 2), ReLU, 2 x 2 max pool",
                     hint: "convForwardFast, reluForward, then maxPoolForwardFast with window and stride poolSize")
    }

    func test_convReLUPoolBackward_isTheLayersBackwardInReverse() throws {
        let x = R.gaussian([2, 3, 8, 8], seed: 711), w = R.gaussian([3, 3, 5, 5], seed: 712), b = R.gaussian([3], seed: 713)
        let (out, cache) = try attempt { try convReLUPoolForward(x, w, b, stride: 1, padding: 2) }
        let dout = R.gaussian(out.shape, seed: 714)
        let (dx, dw, db) = try attempt { try convReLUPoolBackward(dout, cache: cache) }
        // The given layers' backward passes in reverse: pool, ReLU mask, convolution.
        let (a, convolutionCache) = try convForwardFast(x, w, b, stride: 1, padding: 2)
        let (_, poolCache) = try maxPoolForwardFast(relu(a))
        let expected = try convBackwardFast(masked(try maxPoolBackwardFast(dout, cache: poolCache), by: a), cache: convolutionCache)
        let hint = "maxPoolBackwardFast, then reluBackward, then the convolution's backward pass: the forward layers in reverse"
        expectGradient(dx, expected.dx, "convReLUPoolBackward", "dx", hint: hint)
        expectGradient(dw, expected.dw, "convReLUPoolBackward", "dw", hint: hint)
        expectGradient(db, expected.db, "convReLUPoolBackward", "db", hint: hint)
        let (noDx, dwOnly, _) = try convReLUPoolBackward(dout, cache: cache, inputGradient: false)
        expectEqual(noDx == nil, true, "convReLUPoolBackward", "dx == nil with inputGradient: false")
        expectGradient(dwOnly, expected.dw, "convReLUPoolBackward", "dw with inputGradient: false")
    }

    // MARK: the three-layer convnet

    func test_ThreeLayerConvNet_initialLossNearLn10() throws {
        var net = try ThreeLayerConvNet(inputShape: [3, 8, 8], filterCount: 4, filterSize: 3, hiddenSize: 20, classCount: 10, seed: 720)
        let x = R.gaussian([20, 3, 8, 8], seed: 721)
        let labels = (0 ..< 20).map { $0 % 10 }
        let (loss, gradients) = try attempt { try net.loss(x, labels: labels) }
        expectClose(loss, log(10), tolerance: 0.01, "ThreeLayerConvNet", "the initial loss with tiny weights and no regularization",
                    hint: "with scores near 0 every class has probability 1/10: the loss is ln 10 ≈ 2.303")
        expectEqual(Set(gradients.keys), Set(net.parameters.keys), "ThreeLayerConvNet", "the names of the gradients",
                    hint: "return a gradient for every parameter: W1, b1, W2, b2, W3, b3")
        for (name, p) in net.parameters { expectEqual(gradients[name]?.shape, p.shape, "ThreeLayerConvNet", "the shape of d\(name)") }
        // The regularization adds λ Σ W² over the three weights, not the biases (the workbook's convention).
        net.reg = 0.5
        net.parameters["b2"] = Tensor(shape: [20], repeating: 0.1)
        let squares = ["W1", "W2", "W3"].map { net.parameters[$0]!.storage.map { $0 * $0 }.reduce(0, +) }.reduce(0, +)
        var unregularized = net
        unregularized.reg = 0
        let (withReg, _) = try net.loss(x, labels: labels)
        let (withoutReg, _) = try unregularized.loss(x, labels: labels)
        expectClose(withReg - withoutReg, 0.5 * squares, tolerance: 1e-12, "ThreeLayerConvNet", "the regularization loss at reg 0.5",
                    hint: "reg * (ΣW1² + ΣW2² + ΣW3²): all three weights, no biases, no factor 1/2")
    }

    func test_ThreeLayerConvNet_gradientsMatchNumerical() throws {
        var net = try ThreeLayerConvNet(inputShape: [2, 6, 6], filterCount: 3, filterSize: 3, hiddenSize: 7, classCount: 4,
                                        weightScale: 0.5, reg: 0.05, seed: 730)
        for (name, p) in net.parameters where name.hasPrefix("b") {
            net.parameters[name] = R.gaussian(p.shape, seed: 731 + UInt64(p.count)).scaled(0.1)
        }
        let x = R.gaussian([3, 2, 6, 6], seed: 735)
        let labels = [1, 3, 0]
        let (_, gradients) = try attempt { try net.loss(x, labels: labels) }
        for name in net.parameters.keys.sorted() {
            let p = net.parameters[name]!
            var probe = net
            let numerical = try GradientCheck.numericalGradient(of: { m in
                probe.parameters[name] = Tensor(reshaping: m, shape: p.shape)
                return try probe.loss(x, labels: labels).loss
            }, at: Matrix(reshaping: p, rows: 1, cols: p.count), step: 1e-6)
            guard let analytic = gradients[name], analytic.shape == p.shape else {
                fail("ThreeLayerConvNet", "no gradient of \(name) with its shape \(p.shapeDescription)")
                continue
            }
            let error = R.relativeError(analytic, Tensor(reshaping: numerical, shape: p.shape))
            if !(error < 1e-6) {
                fail("ThreeLayerConvNet", "d\(name) relative error \(format(error)) (must be < 1e-6) against the numerical gradient",
                     hint: name.hasPrefix("W") ? "did you add 2 * reg * \(name) to its gradient?"
                                               : "biases are not regularized; check the order of the backward calls")
            }
        }
    }

    func test_ThreeLayerConvNet_overfitsFiftyImages() throws {
        // 50 images with random labels: only memorising them gives 100% training accuracy.
        var net = try ThreeLayerConvNet(inputShape: [3, 12, 12], filterCount: 8, filterSize: 3, hiddenSize: 50, classCount: 10,
                                        weightScale: 5e-2, seed: 740)
        let x = R.gaussian([50, 3, 12, 12], seed: 741)
        var rng = SeededGenerator(seed: 742)
        let labels = (0 ..< 50).map { _ in rng.integer(below: 10) }
        _ = try attempt { try net.loss(x, labels: labels) }
        // Adam written here (learning rate 1e-2), so that only the net is graded, not chapter 4's rules.
        var moments: [String: (m: [Double], v: [Double])] = [:]
        var (accuracy, steps) = (0.0, 0)
        while accuracy < 1 && steps < 100 {
            steps += 1
            let (_, gradients) = try net.loss(x, labels: labels)
            for (name, dw) in gradients {
                guard let w = net.parameters[name], w.shape == dw.shape else { continue }
                var (m, v) = moments[name] ?? ([Double](repeating: 0, count: w.count), [Double](repeating: 0, count: w.count))
                var values = w.storage
                let (g, correction1, correction2) = (dw.storage, 1 - pow(0.9, Double(steps)), 1 - pow(0.999, Double(steps)))
                for k in values.indices {
                    m[k] = 0.9 * m[k] + 0.1 * g[k]
                    v[k] = 0.999 * v[k] + 0.001 * g[k] * g[k]
                    values[k] -= 1e-2 * (m[k] / correction1) / ((v[k] / correction2).squareRoot() + 1e-8)
                }
                moments[name] = (m, v)
                net.parameters[name] = Tensor(shape: w.shape, values)
            }
            let scores = try net.scores(x)
            let predicted = (0 ..< 50).map { i in (0 ..< 10).max { scores[i, $0] < scores[i, $1] }! }
            accuracy = Double(zip(predicted, labels).filter { $0 == $1 }.count) / 50
        }
        expectClose(accuracy, 1, tolerance: 0, "ThreeLayerConvNet", "the training accuracy after \(steps) steps of Adam on 50 images",
                    hint: "a net that cannot memorise 50 images has a wrong gradient or a wrong forward pass; check scores(_:) too")
    }

    /// dout where x > 0, 0 elsewhere (0 at x = 0 exactly): ReLU's backward pass.
    private func masked(_ dout: Tensor, by x: Tensor) -> Tensor {
        Tensor(shape: dout.shape, zip(dout.storage, x.storage).map { $1 > 0 ? $0 : 0 })
    }

    /// Fails unless a gradient has the expected shape and lies within 1e-10 of it (rounding only).
    private func expectGradient(_ actual: Tensor?, _ expected: Tensor, _ exercise: String, _ name: String, hint: String? = nil,
                                file: StaticString = #filePath, line: UInt = #line) {
        guard let actual else {
            fail(exercise, "\(name) is nil, expected a tensor of shape \(expected.shapeDescription)", hint: hint, file: file, line: line)
            return
        }
        expectTensor(actual, expected, tolerance: 1e-10, exercise, name, hint: hint, file: file, line: line)
    }
}

private extension Tensor {
    func scaled(_ factor: Double) -> Tensor { Tensor(shape: shape, storage.map { $0 * factor }) }
}
