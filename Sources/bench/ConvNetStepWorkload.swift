import Foundation
import LinearAlgebra
import ConvolutionLayers

extension Workload {
    /// One training step of the three-layer convnet the chapter 6 program trains: a batch of 50 images
    /// (3, 32, 32); conv 32 filters 7 x 7 (stride 1, padding 3) – ReLU – 2 x 2 max pool (pooled before the
    /// ReLU, as the reference sandwich does: they commute) – affine 8,192 x
    /// 100 – ReLU – affine 100 x 10 – softmax loss with λ Σ W²; backward without the input's gradient;
    /// Adam on the six parameters. The layers are the given fast ones (at stride 1 with AVX-512 the
    /// direct convolution, else per-image im2col into reused buffers; pooling by reshape); ReLU, affine,
    /// softmax, the L2 term and Adam as the reference solutions write them: the ReLU's backward pass,
    /// the regularization gradient and Adam each in one pass over their entries, on the threads, with
    /// no temporaries (the chapter 6 program's step, so that this row times what a student's reference
    /// run does).
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
            // Pooled first, then the ReLU on a quarter of the entries, as the reference sandwich does
            // (they commute: the same numbers).
            let (pooled, poolCache) = try! maxPoolForwardFast(a1)
            let flatPooled = Matrix(reshaping: pooled, rows: n, cols: f * 16 * 16)
            let flat = flatPooled.maximum(0)
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
            loss = loss / Double(n) + reg * ["W1", "W2", "W3"].map { p[$0]!.sumOfSquares(axis: 1).sum() }.reduce(0, +)
            // Backward, without dx of the images.
            var gradients: [String: Matrix] = [:]
            gradients["W3"] = matmul(hiddenOut, dscores, transposeA: true)
            gradients["b3"] = dscores.sum(axis: 0)
            let dhidden = gate(matmul(dscores, p["W3"]!, transposeB: true), by: hiddenOut)
            gradients["W2"] = matmul(flat, dhidden, transposeA: true)
            gradients["b2"] = dhidden.sum(axis: 0)
            let dflat = gate(matmul(dhidden, p["W2"]!, transposeB: true), by: flatPooled)
            let da1 = try! maxPoolBackwardFast(Tensor(reshaping: dflat, shape: pooled.shape), cache: poolCache)
            let (dw1, db1) = try! convParameterGradientsFast(da1, cache: convCache)
            gradients["W1"] = Matrix(reshaping: dw1, rows: f, cols: 3 * k * k)
            gradients["b1"] = Matrix(reshaping: db1, rows: 1, cols: f)
            for name in ["W1", "W2", "W3"] { addMultiple(2 * reg, of: p[name]!, to: &gradients[name]!) }
            // Adam, t incremented first, bias-corrected.
            t += 1
            for name in p.keys.sorted() {
                adamStep(&p[name]!, gradient: gradients[name]!, m: &m[name]!, v: &v[name]!, t: t, learningRate: lr)
            }
            return loss
        }
    }
}

/// g where x > 0, else 0 (a ReLU's backward pass), in one pass on the threads.
private func gate(_ g: Matrix, by x: Matrix) -> Matrix {
    var out = g
    x.withUnsafeBufferPointer { xs in
        out.withUnsafeMutableBufferPointer { os in
            guard let input = xs.baseAddress, let output = os.baseAddress else { return }
            Parallelism.forEachChunk(of: xs.count) { chunk in
                for i in chunk { output[i] = input[i] > 0 ? output[i] : 0 }
            }
        }
    }
    return out
}

/// g += scale · w, in place, on the threads.
private func addMultiple(_ scale: Double, of w: Matrix, to g: inout Matrix) {
    w.withUnsafeBufferPointer { ws in
        g.withUnsafeMutableBufferPointer { gs in
            guard let weights = ws.baseAddress, let gradient = gs.baseAddress else { return }
            Parallelism.forEachChunk(of: ws.count) { chunk in
                for i in chunk { gradient[i] += scale * weights[i] }
            }
        }
    }
}

/// One Adam step (β1 0.9, β2 0.999, ε 1e-8) on every entry, in place, in one pass on the threads.
private func adamStep(_ p: inout Matrix, gradient g: Matrix, m: inout Matrix, v: inout Matrix, t: Int, learningRate: Double) {
    let stepSize = learningRate / (1 - pow(0.9, Double(t))), rootScale = 1 / (1 - pow(0.999, Double(t))).squareRoot()
    g.withUnsafeBufferPointer { gs in
        p.withUnsafeMutableBufferPointer { ps in
            m.withUnsafeMutableBufferPointer { ms in
                v.withUnsafeMutableBufferPointer { vs in
                    guard let g = gs.baseAddress, let x = ps.baseAddress, let m = ms.baseAddress, let v = vs.baseAddress else { return }
                    Parallelism.forEachChunk(of: gs.count) { chunk in
                        for i in chunk {
                            let mi = 0.9 * m[i] + 0.1 * g[i], vi = 0.999 * v[i] + 0.001 * (g[i] * g[i])
                            m[i] = mi
                            v[i] = vi
                            x[i] -= stepSize * mi / (vi.squareRoot() * rootScale + 1e-8)
                        }
                    }
                }
            }
        }
    }
}
