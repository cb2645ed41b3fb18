import Foundation
import LinearAlgebra

/// The benchmarked workloads, written with `LinearAlgebra` operations the way the reference solutions
/// write them; `numpy_bench.py` has the same shapes and the same math, line for line.
struct Workload {
    /// What the table calls it, e.g. `GEMM n=512`.
    let name: String
    /// The arguments that select the same workload in `numpy_bench.py` and `torch_bench.py`.
    let numpyArguments: [String]
    /// Floating-point operations per run, when the count is meaningful (GEMM: 2 n^3).
    let flops: Double?
    /// Whether `torch_bench.py` also times this workload in fp32, as a reference beside its fp64 column
    /// (the `numpyArguments` select the same workload there).
    var torchFloat32 = false
    /// Builds the data (seeded) and returns one run, which returns a number derived from its result.
    let prepare: () -> () -> Double

    /// The families `--only` selects. `knnfull` takes about half a minute a run and is left out
    /// unless asked for.
    enum Family: String, CaseIterable {
        case gemm, knn, softmax, twolayer, conv, knnfull, solverepoch, convnetstep

        static let byDefault: [Family] = [.gemm, .knn, .softmax, .twolayer, .conv, .solverepoch, .convnetstep]
    }

    /// C = A B with A and B (n, n) standard normal: 2 n^3 flops.
    static func gemm(_ n: Int) -> Workload {
        Workload(name: "GEMM n=\(n)", numpyArguments: ["gemm", "--size", "\(n)"], flops: 2 * pow(Double(n), 3)) {
            var rng = SeededGenerator(seed: 1)
            let a = Matrix.gaussian(n, n, using: &rng)
            let b = Matrix.gaussian(n, n, using: &rng)
            return { matmul(a, b)[0, 0] }
        }
    }

    /// No-loop L2 distances from 500 test to 5,000 training images of 3,072 pixels in [0, 255):
    /// ||a||^2 + ||b||^2 - 2 a·b, clamped at 0, square root, updating the product in place as the
    /// reference solution does.
    static let knn = Workload(name: "kNN distances 500x5000x3072", numpyArguments: ["knn"], flops: nil) {
        var rng = SeededGenerator(seed: 2)
        let test = Matrix.uniform(500, 3072, low: 0, high: 255, using: &rng)
        let train = Matrix.uniform(5000, 3072, low: 0, high: 255, using: &rng)
        return {
            let testNorms = test.sumOfSquares(axis: 1)                   // (500, 1)
            let trainNorms = train.sumOfSquares(axis: 1).transposed      // (1, 5000)
            var squared = matmul(test, train, transposeB: true)          // (500, 5000)
            squared *= -2
            squared += testNorms
            squared += trainNorms
            return squared.maximum(0).squareRoot[0, 0]
        }
    }

    /// The full CIFAR-10 kNN distances, 10,000 test against 50,000 training images, a block of
    /// 1,000 test images at a time (so that only a (1,000, 50,000) distance matrix is held at once);
    /// the training norms are computed once.
    static let knnFull = Workload(name: "kNN distances 10000x50000x3072, blocks of 1000", numpyArguments: ["knnfull"], flops: nil) {
        var rng = SeededGenerator(seed: 5)
        let test = Matrix.uniform(10_000, 3072, low: 0, high: 255, using: &rng)
        let train = Matrix.uniform(50_000, 3072, low: 0, high: 255, using: &rng)
        return {
            let trainNorms = train.sumOfSquares(axis: 1).transposed      // (1, 50000)
            var checksum = 0.0
            for start in stride(from: 0, to: test.rows, by: 1_000) {
                let block = test.rows(start ..< start + 1_000)
                let testNorms = block.sumOfSquares(axis: 1)              // (1000, 1)
                var squared = matmul(block, train, transposeB: true)     // (1000, 50000)
                squared *= -2
                squared += testNorms
                squared += trainNorms
                checksum += squared.maximum(0).squareRoot[0, 0]
            }
            return checksum
        }
    }

    /// Vectorised softmax loss and gradient on the CIFAR-10 training split with the bias column:
    /// X (49,000, 3,073), W (3,073, 10).
    static let softmax = Workload(name: "softmax loss+grad 49000x3073x10", numpyArguments: ["softmax"], flops: nil) {
        let (n, d, c, reg) = (49_000, 3_073, 10, 5e-6)
        var rng = SeededGenerator(seed: 3)
        let x = Matrix.uniform(n, d, low: -1, high: 1, using: &rng)
        let w = Matrix.gaussian(d, c, standardDeviation: 1e-4, using: &rng)
        let y = rng.indices(n, below: c)
        return {
            let scores = matmul(x, w)                                     // (N, C)
            let shifted = scores - scores.max(axis: 1)
            let e = exp(shifted)
            var probs = e / e.sum(axis: 1)
            var loss = 0.0
            for i in 0 ..< n { loss -= log(probs[i, y[i]]) }
            loss = loss / Double(n) + reg * (w * w).sum()
            for i in 0 ..< n { probs[i, y[i]] -= 1 }                      // probs becomes dscores
            probs /= Double(n)
            let dW = matmul(x, probs, transposeA: true) + 2 * reg * w     // (D, C)
            return loss + dW[0, 0]
        }
    }

    /// The two-layer net, affine - ReLU - affine - softmax, forward and backward on a batch:
    /// N 200, D 3,072, H 100, C 10.
    static let twoLayer = Workload(name: "two-layer net 200x3072x100x10", numpyArguments: ["twolayer"], flops: nil) {
        let (n, d, h, c, reg) = (200, 3_072, 100, 10, 0.05)
        var rng = SeededGenerator(seed: 4)
        let x = Matrix.gaussian(n, d, using: &rng)
        let y = rng.indices(n, below: c)
        let w1 = Matrix.gaussian(d, h, standardDeviation: 1e-4, using: &rng), b1 = Matrix.zeros(1, h)
        let w2 = Matrix.gaussian(h, c, standardDeviation: 1e-4, using: &rng), b2 = Matrix.zeros(1, c)
        return {
            let hidden = (matmul(x, w1) + b1).maximum(0)                  // (N, H)
            let scores = matmul(hidden, w2) + b2                          // (N, C)
            let shifted = scores - scores.max(axis: 1)
            let e = exp(shifted)
            var probs = e / e.sum(axis: 1)
            var loss = 0.0
            for i in 0 ..< n { loss -= log(probs[i, y[i]]) }
            loss = loss / Double(n) + reg * ((w1 * w1).sum() + (w2 * w2).sum())
            for i in 0 ..< n { probs[i, y[i]] -= 1 }                      // probs becomes dscores
            probs /= Double(n)
            let dW2 = matmul(hidden, probs, transposeA: true) + 2 * reg * w2
            let db2 = probs.sum(axis: 0)
            let dHidden = matmul(probs, w2, transposeB: true) * hidden.map { $0 > 0 ? 1 : 0 }
            let dW1 = matmul(x, dHidden, transposeA: true) + 2 * reg * w1
            let db1 = dHidden.sum(axis: 0)
            return loss + dW1[0, 0] + db1[0, 0] + dW2[0, 0] + db2[0, 0]
        }
    }

    /// A convolutional layer by im2col, forward and backward: 50 images (3, 32, 32), 32 filters of
    /// 3 x 7 x 7, stride 1, padding 3 (the course's three-layer convnet's first layer), so the output
    /// is (50, 32, 32, 32). Forward: im2col, one product, the bias, and the output put back into
    /// (N, F, H', W') order. Backward from an upstream gradient of that shape: db, dW and dx (the
    /// product with the filters, then col2im).
    static let convolution = Workload(name: "conv 50x3x32x32, 32 7x7 filters, fwd+bwd", numpyArguments: ["conv"], flops: nil) {
        let (n, c, size, f, k) = (50, 3, 32, 32, 7)
        let geometry = try! ConvolutionGeometry(channels: c, height: size, width: size, filterHeight: k, filterWidth: k,
                                                stride: 1, padding: 3)
        var rng = SeededGenerator(seed: 6)
        let x = Tensor.gaussian([n, c, size, size], using: &rng)
        let w = Tensor.gaussian([f, c, k, k], standardDeviation: 1e-2, using: &rng)
        let b = Matrix.gaussian(1, f, using: &rng)
        let dout = Tensor.gaussian([n, f, size, size], using: &rng)
        return {
            // Forward.
            let columns = im2col(x, geometry)                                          // (N·H'·W', C·7·7)
            let filters = Matrix(reshaping: w, rows: f, cols: geometry.windowSize)     // (F, C·7·7)
            let outRows = matmul(columns, filters, transposeB: true) + b                // (N·H'·W', F)
            let out = Tensor(reshaping: outRows, shape: [n, size, size, f]).permuted([0, 3, 1, 2])
            // Backward.
            let doutRows = Matrix(reshaping: dout.permuted([0, 2, 3, 1]), rows: outRows.rows, cols: f)
            let db = doutRows.sum(axis: 0)                                              // (1, F)
            let dw = matmul(doutRows, columns, transposeA: true)                        // (F, C·7·7)
            let dx = col2im(matmul(doutRows, filters), batchSize: n, geometry)          // (N, C, H, W)
            return out[0, 0, 0, 0] + db[0, 0] + dw[0, 0] + dx[0, 0, 0, 0]
        }
    }
}
