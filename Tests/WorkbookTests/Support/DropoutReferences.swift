import Foundation
import LinearAlgebra
import Workbook

// Chapter 5's references: batch normalization by its definition, feature by feature (no matrix tricks),
// so that the backward passes are graded on a cache and a numerical gradient that do not come from the
// student's forward pass; and views between Tensor and Matrix for the checks.

enum DropoutReference {
    /// Train-mode batch normalization of x (N, D) by Ioffe & Szegedy's Algorithm 1 (biased variance).
    static func batchNorm(_ x: Matrix, gamma: [Double], beta: [Double], epsilon: Double)
        -> (out: Matrix, centered: Matrix, normalized: Matrix, inverseStd: [Double], mean: [Double], variance: [Double]) {
        let (n, d) = (x.rows, x.cols)
        var out = Matrix.zeros(n, d), centered = Matrix.zeros(n, d), normalized = Matrix.zeros(n, d)
        var inverseStd = [Double](repeating: 0, count: d), means = inverseStd, variances = inverseStd
        for j in 0 ..< d {
            var mean = 0.0
            for i in 0 ..< n { mean += x[i, j] }
            mean /= Double(n)
            var variance = 0.0
            for i in 0 ..< n { variance += (x[i, j] - mean) * (x[i, j] - mean) }
            variance /= Double(n)
            let s = 1 / (variance + epsilon).squareRoot()
            for i in 0 ..< n {
                centered[i, j] = x[i, j] - mean
                normalized[i, j] = centered[i, j] * s
                out[i, j] = gamma[j] * normalized[i, j] + beta[j]
            }
            (inverseStd[j], means[j], variances[j]) = (s, mean, variance)
        }
        return (out, centered, normalized, inverseStd, means, variances)
    }

    /// A train-mode cache built from the reference, as `batchNormForward` would fill it.
    static func cache(_ x: Matrix, gamma: [Double], epsilon: Double) -> BatchNormCache {
        let r = batchNorm(x, gamma: gamma, beta: [Double](repeating: 0, count: x.cols), epsilon: epsilon)
        return BatchNormCache(centered: tensor(r.centered), normalized: tensor(r.normalized),
                              inverseStandardDeviation: Tensor(shape: [x.cols], r.inverseStd),
                              gamma: Tensor(shape: [x.cols], gamma), mode: .train)
    }

    /// Each column's mean and (biased) standard deviation.
    static func columnStatistics(_ m: Matrix) -> (mean: [Double], std: [Double]) {
        let mean = m.mean(axis: 0)
        let variance = (m - mean).squared.mean(axis: 0)
        return (mean.storage, variance.storage.map { $0.squareRoot() })
    }

    /// Rows whose columns have the given means and standard deviations (Gaussian, seeded).
    static func features(_ n: Int, means: [Double], stds: [Double], seed: UInt64) -> Matrix {
        var rng = SeededGenerator(seed: seed)
        return Matrix.gaussian(n, means.count, using: &rng) * Matrix(row: stds) + Matrix(row: means)
    }

    /// Entries whose magnitudes lie in [0.5, 1.5) with random signs: a gradient with no near-zero
    /// entries, so relative errors stay meaningful entry by entry.
    static func upstream(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
        var rng = SeededGenerator(seed: seed)
        return Matrix(rows: rows, cols: cols, (0 ..< rows * cols).map { _ in
            (rng.uniform() < 0.5 ? -1 : 1) * rng.uniform(0.5, 1.5)
        })
    }

    /// A tensor of shape (rows, cols) with the matrix's entries.
    static func tensor(_ m: Matrix) -> Tensor { Tensor(reshaping: m, shape: [m.rows, m.cols]) }

    /// A tensor's entries as a matrix: (N, rest) for rank 2 and more, a (1, count) row for rank 0 or 1.
    static func matrix(_ t: Tensor) -> Matrix {
        t.rank >= 2 ? Matrix(reshaping: t, rows: t.shape[0], cols: t.count / max(t.shape[0], 1))
                    : Matrix(reshaping: t, rows: 1, cols: t.count)
    }
}
