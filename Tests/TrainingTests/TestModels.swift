import Foundation
import LinearAlgebra
import Training

// Small models, rules and schedules of the tests' own, conforming to the protocols (the Workbook's are
// the student's exercises, so the given code is tested without them).

/// Softmax regression: scores = x W + b, the mean cross-entropy loss, no regularization.
struct SoftmaxRegression: TrainableModel {
    var parameters: [String: Tensor]

    init(features: Int, classes: Int) {
        parameters = ["W": Tensor(shape: [features, classes]), "b": Tensor(shape: [1, classes])]
    }

    func scores(_ x: Tensor) throws -> Tensor {
        let (w, b) = (parameters["W"]!, parameters["b"]!)
        let n = x.shape[0], d = w.shape[0], c = w.shape[1]
        let s = matmul(Matrix(reshaping: x, rows: n, cols: d), Matrix(reshaping: w, rows: d, cols: c)) + Matrix(reshaping: b, rows: 1, cols: c)
        return Tensor(reshaping: s, shape: [n, c])
    }

    mutating func loss(_ x: Tensor, labels: [Int]) throws -> (loss: Double, gradients: [String: Tensor]) {
        let n = x.shape[0], d = parameters["W"]!.shape[0], c = parameters["W"]!.shape[1]
        let s = Matrix(reshaping: try scores(x), rows: n, cols: c)
        let e = LinearAlgebra.exp(s - s.max(axis: 1))
        var p = e / e.sum(axis: 1)
        var loss = 0.0
        for i in 0 ..< n {
            loss -= log(p[i, labels[i]])
            p[i, labels[i]] -= 1
        }
        p /= Double(n)
        let dW = matmul(Matrix(reshaping: x, rows: n, cols: d), p, transposeA: true)
        return (loss / Double(n), ["W": Tensor(reshaping: dW, shape: [d, c]), "b": Tensor(reshaping: p.sum(axis: 0), shape: [1, c])])
    }
}

/// Plain SGD: w -= learningRate * dw.
struct PlainSGD: UpdateRule {
    mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws {
        let values = zip(w.storage, dw.storage).map { $0 - learningRate * $1 }
        w = Tensor(shape: w.shape, values)
    }
}

/// A fixed learning rate.
struct Constant: LearningRateSchedule {
    let rate: Double
    func learningRate(epoch: Int) -> Double { rate }
}

/// The learning rate 0.1 · (epoch + 1), to see which epoch's rate the Solver used.
struct EpochNumbered: LearningRateSchedule {
    func learningRate(epoch: Int) -> Double { 0.1 * Double(epoch + 1) }
}

/// A model that records what the Solver hands it. Its labels are the images' own indices, so the
/// labels of each batch say which images it held; its loss follows `losses` (then stays at the last).
struct RecordingModel: TrainableModel {
    var parameters: [String: Tensor] = ["p": Tensor(shape: [2], [1, 1]), "q": Tensor(shape: [3], [1, 1, 1])]
    var losses: [Double] = [1]
    var seen: [[Int]] = []
    var firstImageValues: [Double] = []
    var gradientNames: [String] = ["p", "q"]

    func scores(_ x: Tensor) throws -> Tensor { Tensor(shape: [x.shape[0], 2]) }

    mutating func loss(_ x: Tensor, labels: [Int]) throws -> (loss: Double, gradients: [String: Tensor]) {
        seen.append(labels)
        firstImageValues.append(x.storage[0])
        let loss = losses[min(seen.count - 1, losses.count - 1)]
        var gradients: [String: Tensor] = [:]
        for name in gradientNames { gradients[name] = Tensor(shape: parameters[name]?.shape ?? [1]) }
        return (loss, gradients)
    }
}

/// A rule whose state counts its own steps and writes the count into every entry of the parameter, and
/// records the learning rates it was given (in a shared log, to see every copy's calls).
struct CountingRule: UpdateRule {
    var steps = 0
    let log: RateLog

    mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws {
        steps += 1
        w = Tensor(shape: w.shape, repeating: Double(steps))
        log.rates.append(learningRate)
    }
}

final class RateLog { var rates: [Double] = [] }

/// A rule that moves every entry by a fixed fraction of itself: w += fraction · w.
struct RelativeStep: UpdateRule {
    let fraction: Double
    mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws {
        w = Tensor(shape: w.shape, w.storage.map { $0 * (1 + fraction) })
    }
}
