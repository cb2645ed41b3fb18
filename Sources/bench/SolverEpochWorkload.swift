import Foundation
import LinearAlgebra
import Training

extension Workload {
    /// One `Solver` epoch of the two-layer net on a CIFAR-10-sized training set: 49,000 × 3,072 standard
    /// normal images, hidden size 100, batches of 200 (245 steps of forward, backward and an SGD-momentum
    /// update of W1, b1, W2, b2), then the accuracies on a 1,000-image training sample and 1,000
    /// validation images. The net is written here with the math of `twoLayer`, as a `TrainableModel`
    /// (the Workbook's `TwoLayerNet` is an exercise); `numpy_bench.py solverepoch` runs the same loop.
    static let solverEpoch = Workload(name: "Solver epoch, two-layer net 49000x3072, H 100, batch 200", numpyArguments: ["solverepoch"],
                                      flops: nil) {
        let (n, d, h, c) = (49_000, 3_072, 100, 10)
        var rng = SeededGenerator(seed: 7)
        let x = Tensor.gaussian([n, d], using: &rng)
        let y = rng.indices(n, below: c)
        let xVal = Tensor.gaussian([1_000, d], using: &rng)
        let yVal = rng.indices(1_000, below: c)
        let net = BenchTwoLayerNet(d: d, h: h, c: c, reg: 0.05, using: &rng)
        return {
            var solver = try! Solver(model: net, training: (x, y), validation: (xVal, yVal), updateRule: BenchMomentum(),
                                     schedule: BenchConstantRate(), epochs: 1, batchSize: 200, seed: 8)
            try! solver.train()
            return solver.lossHistory.last! + solver.bestValidationAccuracy
        }
    }
}

/// affine - ReLU - affine - softmax, with L2 regularization reg Σ W².
struct BenchTwoLayerNet: TrainableModel {
    var parameters: [String: Tensor]
    let reg: Double

    init(d: Int, h: Int, c: Int, reg: Double, using rng: inout SeededGenerator) {
        parameters = ["W1": Tensor.gaussian([d, h], standardDeviation: 1e-2, using: &rng), "b1": Tensor(shape: [1, h]),
                      "W2": Tensor.gaussian([h, c], standardDeviation: 1e-2, using: &rng), "b2": Tensor(shape: [1, c])]
        self.reg = reg
    }

    private func matrix(_ name: String) -> Matrix {
        let t = parameters[name]!
        return Matrix(reshaping: t, rows: t.shape[0], cols: t.shape[1])
    }

    private func forward(_ x: Matrix) -> (hidden: Matrix, scores: Matrix) {
        let hidden = (matmul(x, matrix("W1")) + matrix("b1")).maximum(0)          // (N, H)
        return (hidden, matmul(hidden, matrix("W2")) + matrix("b2"))              // (N, C)
    }

    func scores(_ x: Tensor) throws -> Tensor {
        let s = forward(Matrix(reshaping: x, rows: x.shape[0], cols: x.shape[1])).scores
        return Tensor(reshaping: s, shape: [s.rows, s.cols])
    }

    mutating func loss(_ x: Tensor, labels y: [Int]) throws -> (loss: Double, gradients: [String: Tensor]) {
        let n = x.shape[0]
        let xm = Matrix(reshaping: x, rows: n, cols: x.shape[1])
        let (w1, w2) = (matrix("W1"), matrix("W2"))
        let (hidden, scores) = forward(xm)
        let e = exp(scores - scores.max(axis: 1))
        var probs = e / e.sum(axis: 1)
        var loss = 0.0
        for i in 0 ..< n { loss -= Foundation.log(probs[i, y[i]]) }
        loss = loss / Double(n) + reg * ((w1 * w1).sum() + (w2 * w2).sum())
        for i in 0 ..< n { probs[i, y[i]] -= 1 }                                  // probs becomes dscores
        probs /= Double(n)
        let dW2 = matmul(hidden, probs, transposeA: true) + 2 * reg * w2
        let dHidden = matmul(probs, w2, transposeB: true) * hidden.map { $0 > 0 ? 1 : 0 }
        let dW1 = matmul(xm, dHidden, transposeA: true) + 2 * reg * w1
        func t(_ m: Matrix) -> Tensor { Tensor(reshaping: m, shape: [m.rows, m.cols]) }
        return (loss, ["W1": t(dW1), "b1": t(dHidden.sum(axis: 0)), "W2": t(dW2), "b2": t(probs.sum(axis: 0))])
    }
}

/// SGD with momentum 0.9: v = 0.9 v - lr dw; w += v.
struct BenchMomentum: UpdateRule {
    var velocity: [Double] = []
    mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws {
        if velocity.isEmpty { velocity = [Double](repeating: 0, count: w.count) }
        velocity.withUnsafeMutableBufferPointer { v in
            dw.withUnsafeBufferPointer { g in
                w.withUnsafeMutableBufferPointer { p in
                    for i in 0 ..< p.count {
                        v[i] = 0.9 * v[i] - learningRate * g[i]
                        p[i] += v[i]
                    }
                }
            }
        }
    }
}

struct BenchConstantRate: LearningRateSchedule {
    func learningRate(epoch: Int) -> Double { 1e-3 }
}
