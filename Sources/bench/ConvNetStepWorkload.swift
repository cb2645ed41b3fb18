import Foundation
import LinearAlgebra
import ConvolutionLayers

extension Workload {
    /// One training step of the three-layer convnet the chapter 6 program trains: a batch of 50 images
    /// (3, 32, 32); conv 32 filters 7 x 7 (stride 1, padding 3) – ReLU – 2 x 2 max pool – affine 8,192 x
    /// 100 – ReLU – affine 100 x 10 – softmax loss with λ Σ W²; backward without the input's gradient;
    /// Adam on the six parameters. The layers are the given fast ones (per image im2col into reused
    /// buffers, pooling by reshape); ReLU, affine and softmax as the reference solutions write them.
    /// `numpy_bench.py convnetstep` is the same step in NumPy (strided-slice im2col, the fastest way there).
    static let convNetStep = Workload(name: "convnet step 50x3x32x32, 32 7x7, 100 hidden, Adam", numpyArguments: ["convnetstep"],
                                      flops: nil, torchFloat32: true) {
        let (n, f, k, hidden, classes, reg, lr) = (50, 32, 7, 100, 10, 1e-3, 1e-3)
        var rng = SeededGenerator(seed: 7)
        let x = Tensor.gaussian([n, 3, 32, 32], using: &rng)
        let labels = (0 ..< n).map { _ in rng.integer(below: classes) }
        let initial: [String: Matrix] = [
            "W1": Matrix.gaussian(f, 3 * k * k, using: &rng) * 1e-3, "b1": Matrix.zeros(1, f),
            "W2": Matrix.gaussian(f * 16 * 16, hidden, using: &rng) * 1e-3, "b2": Matrix.zeros(1, hidden),
            "W3": Matrix.gaussian(hidden, classes, using: &rng) * 1e-3, "b3": Matrix.zeros(1, classes),
        ]
        var p = initial
        var m = initial.mapValues { Matrix.zeros($0.rows, $0.cols) }, v = m
        var t = 0
        return {
            // Forward.
            let w1 = Tensor(reshaping: p["W1"]!, shape: [f, 3, k, k]), b1 = Tensor(reshaping: p["b1"]!, shape: [f])
            let (a1, convCache) = try! convForwardFast(x, w1, b1, stride: 1, padding: 3)
            let r1 = Tensor(reshaping: Matrix(reshaping: a1, rows: 1, cols: a1.count).maximum(0), shape: a1.shape)
            let (pooled, poolCache) = try! maxPoolForwardFast(r1)
            let flat = Matrix(reshaping: pooled, rows: n, cols: f * 16 * 16)
            let hiddenOut = (matmul(flat, p["W2"]!) + p["b2"]!).maximum(0)
            let scores = matmul(hiddenOut, p["W3"]!) + p["b3"]!
            let shifted = scores - scores.max(axis: 1)
            let exps = exp(shifted)
            let probs = exps / exps.sum(axis: 1)
            var loss = 0.0
            var dscores = probs
            for i in 0 ..< n {
                loss -= log(probs[i, labels[i]])
                dscores[i, labels[i]] -= 1
            }
            dscores /= Double(n)
            loss = loss / Double(n) + reg * ["W1", "W2", "W3"].map { p[$0]!.squared.sum() }.reduce(0, +)
            // Backward, without dx of the images.
            var gradients: [String: Matrix] = [:]
            gradients["W3"] = matmul(hiddenOut, dscores, transposeA: true) + 2 * reg * p["W3"]!
            gradients["b3"] = dscores.sum(axis: 0)
            let dhidden = matmul(dscores, p["W3"]!, transposeB: true) * hiddenOut.map { $0 > 0 ? 1 : 0 }
            gradients["W2"] = matmul(flat, dhidden, transposeA: true) + 2 * reg * p["W2"]!
            gradients["b2"] = dhidden.sum(axis: 0)
            let dflat = matmul(dhidden, p["W2"]!, transposeB: true)
            let dr1 = try! maxPoolBackwardFast(Tensor(reshaping: dflat, shape: pooled.shape), cache: poolCache)
            let da1 = Matrix(reshaping: dr1, rows: 1, cols: dr1.count) * Matrix(reshaping: a1, rows: 1, cols: a1.count).map { $0 > 0 ? 1 : 0 }
            let (dw1, db1) = try! convParameterGradientsFast(Tensor(reshaping: da1, shape: a1.shape), cache: convCache)
            gradients["W1"] = Matrix(reshaping: dw1, rows: f, cols: 3 * k * k) + 2 * reg * p["W1"]!
            gradients["b1"] = Matrix(reshaping: db1, rows: 1, cols: f)
            // Adam, t incremented first, bias-corrected.
            t += 1
            for name in p.keys.sorted() {
                let g = gradients[name]!
                m[name] = 0.9 * m[name]! + 0.1 * g
                v[name] = 0.999 * v[name]! + 0.001 * g.squared
                let mHat = m[name]! / (1 - pow(0.9, Double(t))), vHat = v[name]! / (1 - pow(0.999, Double(t)))
                p[name] = p[name]! - lr * mHat / (vHat.squareRoot + 1e-8)
            }
            return loss
        }
    }
}
