// TEMPORARY: stand-ins for chapter 4's Workbook API (Exercises/04-neural-networks, Engineer A), with the
// signatures agreed in ch4-split.md, so that this program builds and runs before A's code is merged.
// The lead deletes this file on merge; the program then uses A's code and nothing else from here.
import Foundation
import LinearAlgebra
import Training

public struct TwoLayerNet: TrainableModel {
    public var parameters: [String: Tensor]
    public var reg: Double

    public init(inputSize: Int, hiddenSize: Int, classCount: Int, weightScale: Double = 1e-4, reg: Double = 0, seed: UInt64 = 0) throws {
        var rng = SeededGenerator(seed: seed)
        parameters = ["W1": Tensor.gaussian([inputSize, hiddenSize], standardDeviation: weightScale, using: &rng),
                      "b1": Tensor(shape: [hiddenSize]),
                      "W2": Tensor.gaussian([hiddenSize, classCount], standardDeviation: weightScale, using: &rng),
                      "b2": Tensor(shape: [classCount])]
        self.reg = reg
    }

    private func forward(_ x: Tensor) -> (x: Matrix, hidden: Matrix, scores: Matrix) {
        let w1 = parameters["W1"]!, w2 = parameters["W2"]!
        let (d, h, c) = (w1.shape[0], w1.shape[1], w2.shape[1])
        let xm = Matrix(reshaping: x, rows: x.shape[0], cols: x.count / max(x.shape[0], 1))
        let hidden = (matmul(xm, Matrix(reshaping: w1, rows: d, cols: h)) + Matrix(reshaping: parameters["b1"]!, rows: 1, cols: h)).maximum(0)
        let scores = matmul(hidden, Matrix(reshaping: w2, rows: h, cols: c)) + Matrix(reshaping: parameters["b2"]!, rows: 1, cols: c)
        return (xm, hidden, scores)
    }

    public func scores(_ x: Tensor) throws -> Tensor {
        let s = forward(x).scores
        return Tensor(reshaping: s, shape: [s.rows, s.cols])
    }

    public mutating func loss(_ x: Tensor, labels: [Int]) throws -> (loss: Double, gradients: [String: Tensor]) {
        let (xm, hidden, scores) = forward(x)
        let w1 = parameters["W1"]!, w2 = parameters["W2"]!
        let (n, d, h, c) = (xm.rows, w1.shape[0], w1.shape[1], w2.shape[1])
        let e = LinearAlgebra.exp(scores - scores.max(axis: 1))
        var p = e / e.sum(axis: 1)
        var loss = 0.0
        for i in 0 ..< n {
            loss -= Foundation.log(p[i, labels[i]])
            p[i, labels[i]] -= 1
        }
        p /= Double(n)
        let w1m = Matrix(reshaping: w1, rows: d, cols: h), w2m = Matrix(reshaping: w2, rows: h, cols: c)
        loss = loss / Double(n) + reg * ((w1m * w1m).sum() + (w2m * w2m).sum())
        let dW2 = matmul(hidden, p, transposeA: true) + 2 * reg * w2m
        var dHidden = matmul(p, w2m, transposeB: true)
        hidden.withUnsafeBufferPointer { hv in
            dHidden.withUnsafeMutableBufferPointer { dv in for i in 0 ..< dv.count where hv[i] <= 0 { dv[i] = 0 } }
        }
        let dW1 = matmul(xm, dHidden, transposeA: true) + 2 * reg * w1m
        return (loss, ["W1": Tensor(reshaping: dW1, shape: [d, h]), "b1": Tensor(reshaping: dHidden.sum(axis: 0), shape: [h]),
                       "W2": Tensor(reshaping: dW2, shape: [h, c]), "b2": Tensor(reshaping: p.sum(axis: 0), shape: [c])])
    }
}

/// Applies `body(i, w, dw)` to every entry.
private func eachEntry(_ w: inout Tensor, _ dw: Tensor, _ body: (Int, inout Double, Double) -> Void) {
    dw.withUnsafeBufferPointer { g in
        w.withUnsafeMutableBufferPointer { v in for i in 0 ..< v.count { body(i, &v[i], g[i]) } }
    }
}

public struct SGD: UpdateRule {
    public init() {}
    public mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws {
        eachEntry(&w, dw) { _, w, g in w -= learningRate * g }
    }
}

public struct SGDMomentum: UpdateRule {
    public var momentum: Double
    public var velocity: [Double] = []
    public init(momentum: Double = 0.9) { self.momentum = momentum }
    public mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws {
        if velocity.isEmpty { velocity = [Double](repeating: 0, count: w.count) }
        let mu = momentum
        velocity.withUnsafeMutableBufferPointer { v in eachEntry(&w, dw) { i, w, g in v[i] = mu * v[i] - learningRate * g; w += v[i] } }
    }
}

public struct NesterovMomentum: UpdateRule {
    public var momentum: Double
    public var velocity: [Double] = []
    public init(momentum: Double = 0.9) { self.momentum = momentum }
    public mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws {
        if velocity.isEmpty { velocity = [Double](repeating: 0, count: w.count) }
        let mu = momentum
        velocity.withUnsafeMutableBufferPointer { v in
            eachEntry(&w, dw) { i, w, g in
                let previous = v[i]
                v[i] = mu * v[i] - learningRate * g
                w += -mu * previous + (1 + mu) * v[i]
            }
        }
    }
}

public struct AdaGrad: UpdateRule {
    public var epsilon: Double
    public var cache: [Double] = []
    public init(epsilon: Double = 1e-8) { self.epsilon = epsilon }
    public mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws {
        if cache.isEmpty { cache = [Double](repeating: 0, count: w.count) }
        let eps = epsilon
        cache.withUnsafeMutableBufferPointer { c in eachEntry(&w, dw) { i, w, g in c[i] += g * g; w -= learningRate * g / (c[i].squareRoot() + eps) } }
    }
}

public struct RMSProp: UpdateRule {
    public var decayRate: Double, epsilon: Double
    public var cache: [Double] = []
    public init(decayRate: Double = 0.99, epsilon: Double = 1e-8) { (self.decayRate, self.epsilon) = (decayRate, epsilon) }
    public mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws {
        if cache.isEmpty { cache = [Double](repeating: 0, count: w.count) }
        let (rho, eps) = (decayRate, epsilon)
        cache.withUnsafeMutableBufferPointer { c in
            eachEntry(&w, dw) { i, w, g in c[i] = rho * c[i] + (1 - rho) * g * g; w -= learningRate * g / (c[i].squareRoot() + eps) }
        }
    }
}

public struct Adam: UpdateRule {
    public var beta1: Double, beta2: Double, epsilon: Double
    public var m: [Double] = [], v: [Double] = [], t = 0
    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) { (self.beta1, self.beta2, self.epsilon) = (beta1, beta2, epsilon) }
    public mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws {
        if m.isEmpty { m = [Double](repeating: 0, count: w.count); v = m }
        t += 1
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        let c1 = 1 - Foundation.pow(b1, Double(t)), c2 = 1 - Foundation.pow(b2, Double(t))
        m.withUnsafeMutableBufferPointer { m in
            v.withUnsafeMutableBufferPointer { v in
                eachEntry(&w, dw) { i, w, g in
                    m[i] = b1 * m[i] + (1 - b1) * g
                    v[i] = b2 * v[i] + (1 - b2) * g * g
                    w -= learningRate * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
                }
            }
        }
    }
}

public struct StepDecay: LearningRateSchedule {
    public let initial: Double, factor: Double, every: Int
    public init(initial: Double, factor: Double, every: Int) { (self.initial, self.factor, self.every) = (initial, factor, every) }
    public func learningRate(epoch: Int) -> Double { initial * Foundation.pow(factor, Double(epoch / every)) }
}

public struct ExponentialDecay: LearningRateSchedule {
    public let initial: Double, k: Double
    public init(initial: Double, k: Double) { (self.initial, self.k) = (initial, k) }
    public func learningRate(epoch: Int) -> Double { initial * Foundation.exp(-k * Double(epoch)) }
}

public struct InverseTimeDecay: LearningRateSchedule {
    public let initial: Double, k: Double
    public init(initial: Double, k: Double) { (self.initial, self.k) = (initial, k) }
    public func learningRate(epoch: Int) -> Double { initial / (1 + k * Double(epoch)) }
}

public enum WeightInitialization {
    case smallRandom(scale: Double = 0.01), xavier, he

    public func weights(fanIn: Int, fanOut: Int, using generator: inout SeededGenerator) -> Tensor {
        let deviation: Double
        switch self {
        case let .smallRandom(scale): deviation = scale
        case .xavier: deviation = 1 / Double(fanIn).squareRoot()
        case .he: deviation = 1 / (Double(fanIn) / 2).squareRoot()
        }
        return Tensor.gaussian([fanIn, fanOut], standardDeviation: deviation, using: &generator)
    }
}

public struct ReLUCache { let x: Tensor }
public struct TanhCache { let out: Tensor }

public func reluForward(_ x: Tensor) -> (out: Tensor, cache: ReLUCache) {
    (Tensor(shape: x.shape, x.storage.map { max(0, $0) }), ReLUCache(x: x))
}

public func reluBackward(_ dout: Tensor, cache: ReLUCache) -> Tensor {
    Tensor(shape: dout.shape, zip(dout.storage, cache.x.storage).map { $1 > 0 ? $0 : 0 })
}

public func tanhForward(_ x: Tensor) -> (out: Tensor, cache: TanhCache) {
    let out = Tensor(shape: x.shape, x.storage.map { Foundation.tanh($0) })
    return (out, TanhCache(out: out))
}

public func tanhBackward(_ dout: Tensor, cache: TanhCache) -> Tensor {
    Tensor(shape: dout.shape, zip(dout.storage, cache.out.storage).map { $0 * (1 - $1 * $1) })
}
