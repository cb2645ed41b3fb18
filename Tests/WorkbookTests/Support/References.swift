import Foundation
import LinearAlgebra
import Workbook

// Plain, obviously correct reference computations the graded tests compare against. They are written
// independently of the exercises (no matrix tricks), so each exercise is graded on its own.

enum Reference {
    /// Distances between every row of `a` and every row of `b`, by the definition.
    static func distances(_ a: Matrix, _ b: Matrix, l1: Bool = false) -> Matrix {
        var d = Matrix.zeros(a.rows, b.rows)
        for i in 0 ..< a.rows {
            for j in 0 ..< b.rows {
                var total = 0.0
                for p in 0 ..< a.cols {
                    let difference = a[i, p] - b[j, p]
                    total += l1 ? abs(difference) : difference * difference
                }
                d[i, j] = l1 ? total : total.squareRoot()
            }
        }
        return d
    }

    /// kNN vote: neighbours ordered by (distance, index); most votes wins, ties go to the smaller label.
    static func vote(_ distances: Matrix, labels: [Int], k: Int) -> [Int] {
        (0 ..< distances.rows).map { i in
            let order = (0 ..< distances.cols).sorted { (distances[i, $0], $0) < (distances[i, $1], $1) }
            var counts: [Int: Int] = [:]
            for j in order.prefix(k) { counts[labels[j], default: 0] += 1 }
            let best = counts.values.max()!
            return counts.filter { $0.value == best }.keys.min()!
        }
    }

    /// Seeded random data: `n` images of `d` features in [0, scale) and labels in 0 ..< classes.
    static func data(_ n: Int, _ d: Int, classes: Int, scale: Double = 1, seed: UInt64) -> (x: Matrix, y: [Int]) {
        var rng = SeededGenerator(seed: seed)
        let x = Matrix.uniform(n, d, low: 0, high: scale, using: &rng)
        return (x, (0 ..< n).map { _ in rng.integer(below: classes) })
    }

    // MARK: Chapter 2

    /// A regularization penalty and its gradient, entry by entry from the definitions, sign(0) = 0.
    static func penalty(_ w: Matrix, strength: Double, _ kind: Regularization) -> (value: Double, gradient: Matrix) {
        var value = 0.0
        var gradient = Matrix.zeros(w.rows, w.cols)
        for i in 0 ..< w.count {
            let entry = w[flat: i]
            let sign: Double = entry > 0 ? 1 : (entry < 0 ? -1 : 0)
            switch kind {
            case .l2:
                value += entry * entry
                gradient[flat: i] = 2 * entry
            case .l1:
                value += abs(entry)
                gradient[flat: i] = sign
            case let .elasticNet(beta):
                value += beta * entry * entry + abs(entry)
                gradient[flat: i] = 2 * beta * entry + sign
            }
        }
        return (strength * value, strength * gradient)
    }

    /// The scores x W of image i, by the definition.
    static func scores(_ w: Matrix, _ x: Matrix, image i: Int) -> [Double] {
        (0 ..< w.cols).map { j in (0 ..< x.cols).reduce(0.0) { $0 + x[i, $1] * w[$1, j] } }
    }

    /// The multiclass SVM loss (margin 1, mean over the batch, plus the penalty) and its gradient, by the definition.
    static func svmLoss(_ w: Matrix, _ x: Matrix, _ y: [Int], reg: Double, _ kind: Regularization) -> (loss: Double, dW: Matrix) {
        hingeLoss(w, x, y, reg: reg, kind, countingZeroMargins: false)
    }

    /// ``svmLoss(_:_:_:reg:_:)``, or with `countingZeroMargins` the usual mistake instead (a margin of
    /// exactly 0 counted as active), for hints.
    static func hingeLoss(_ w: Matrix, _ x: Matrix, _ y: [Int], reg: Double, _ kind: Regularization,
                          countingZeroMargins: Bool) -> (loss: Double, dW: Matrix) {
        // d loss / d scores for every image, then dW = sum over images of x_i^T (d scores_i), divided by N.
        var dScores = Matrix.zeros(x.rows, w.cols)
        var total = 0.0
        for i in 0 ..< x.rows {
            let s = scores(w, x, image: i)
            for j in 0 ..< w.cols where j != y[i] && (s[j] - s[y[i]] + 1 > 0 || (countingZeroMargins && s[j] - s[y[i]] + 1 == 0)) {
                total += s[j] - s[y[i]] + 1
                dScores[i, j] += 1
                dScores[i, y[i]] -= 1
            }
        }
        return combine(total, dScores, w, x, reg: reg, kind)
    }

    /// The softmax cross-entropy loss (natural log, mean over the batch, plus the penalty) and its gradient,
    /// by the definition, each row's scores shifted by their maximum.
    static func softmaxLoss(_ w: Matrix, _ x: Matrix, _ y: [Int], reg: Double, _ kind: Regularization) -> (loss: Double, dW: Matrix) {
        var dScores = Matrix.zeros(x.rows, w.cols)
        var total = 0.0
        for i in 0 ..< x.rows {
            let s = scores(w, x, image: i)
            let top = s.max()!
            let normaliser = s.reduce(0.0) { $0 + exp($1 - top) }
            total += log(normaliser) + top - s[y[i]]
            for j in 0 ..< w.cols {
                dScores[i, j] = exp(s[j] - top) / normaliser - (j == y[i] ? 1 : 0)
            }
        }
        return combine(total, dScores, w, x, reg: reg, kind)
    }

    /// The parts of a loss's dW, by the definitions: the data gradient (the mean over the batch), its share
    /// that reaches the true-class scores (x_i^T times d loss_i / d s_{y_i}, averaged), the one-hot term
    /// x^T onehot(y) / N, and the penalty's gradient. The graded tests compare a wrong dW with the usual
    /// wrong combinations of these parts to say which mistake it is.
    static func gradientParts(_ w: Matrix, _ x: Matrix, _ y: [Int], reg: Double, _ kind: Regularization,
                              hinge: Bool) -> (data: Matrix, trueClass: Matrix, oneHot: Matrix, penalty: Matrix) {
        let data = hinge ? svmLoss(w, x, y, reg: 0, kind).dW : softmaxLoss(w, x, y, reg: 0, kind).dW
        var trueClass = Matrix.zeros(w.rows, w.cols)
        var oneHot = Matrix.zeros(w.rows, w.cols)
        let n = Double(x.rows)
        for i in 0 ..< x.rows {
            let s = scores(w, x, image: i)
            let dTrue: Double
            if hinge {
                dTrue = -Double(s.indices.filter { $0 != y[i] && s[$0] - s[y[i]] + 1 > 0 }.count)
            } else {
                let top = s.max()!
                let normaliser = s.reduce(0.0) { $0 + exp($1 - top) }
                dTrue = exp(s[y[i]] - top) / normaliser - 1
            }
            for p in 0 ..< w.rows {
                trueClass[p, y[i]] += x[i, p] * dTrue / n
                oneHot[p, y[i]] += x[i, p] / n
            }
        }
        return (data, trueClass, oneHot, penalty(w, strength: reg, kind).gradient)
    }

    /// Mean data loss plus penalty, and dW = x^T dScores / N plus the penalty's gradient, by loops.
    private static func combine(_ total: Double, _ dScores: Matrix, _ w: Matrix, _ x: Matrix,
                                reg: Double, _ kind: Regularization) -> (loss: Double, dW: Matrix) {
        let n = Double(x.rows)
        let (value, gradient) = penalty(w, strength: reg, kind)
        var dW = gradient
        for p in 0 ..< w.rows {
            for j in 0 ..< w.cols {
                dW[p, j] += (0 ..< x.rows).reduce(0.0) { $0 + x[$1, p] * dScores[$1, j] } / n
            }
        }
        return (total / n + value, dW)
    }

    /// `n` images in `classes` well-separated Gaussian clusters of `d` features plus a bias column of ones
    /// (shape (n, d + 1)), with their labels: a problem any linear classifier can learn.
    static func clusters(_ n: Int, _ d: Int, classes: Int, seed: UInt64) -> (x: Matrix, y: [Int]) {
        var rng = SeededGenerator(seed: seed)
        let centres = Matrix.gaussian(classes, d, standardDeviation: 3, using: &rng)
        let y = (0 ..< n).map { _ in rng.integer(below: classes) }
        let noise = Matrix.gaussian(n, d, standardDeviation: 0.5, using: &rng)
        let features = centres.rows(at: y) + noise
        var x = Matrix.ones(n, d + 1)
        for i in 0 ..< n {
            for p in 0 ..< d { x[i, p] = features[i, p] }
        }
        return (x, y)
    }
}
