import Foundation
import LinearAlgebra
import GradientCheck
import Training

// Chapter 4: the six update rules, each a value type whose stored properties are one parameter's state.
//
// The `Solver` gives every parameter ("W1", "b1", …) its own copy of the rule, so a velocity or a
// running average belongs to one parameter. A rule's state starts empty (nil) and is sized, as zeros
// of the parameter's shape, on its first step; the state is public so that a test (or you) can set it.
// In the formulas below x is the parameter, dx its gradient and lr the learning rate.
// Sources: the lecture "Training Neural Networks II" (optimization: SGD, momentum, Nesterov, AdaGrad,
// RMSProp, Adam); Sutskever et al. 2013 (momentum, Nesterov), Duchi et al. 2011 (AdaGrad), Tieleman &
// Hinton 2012 (RMSProp, lecture 6.5), Kingma & Ba 2015 (Adam).

/// Vanilla stochastic gradient descent: x ← x − lr · dx. It has no state.
public struct SGD: UpdateRule, Sendable {
    /// A rule without settings or state.
    public init() {}

    /// One step: x ← x − lr · dx.
    /// - Throws: ``NeuralNetworkError/shapeMismatch(operation:expected:actual:)`` when `dw` is not the shape of `w`.
    public mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws {
        try checkSameShape(w, dw, "SGD.update", ("w", "dw"))
        w = Tensor(w.flatMatrix - learningRate * dw.flatMatrix, shape: w.shape)
    }
}

/// SGD with momentum: v ← μ v − lr · dx, then x ← x + v.
///
/// The velocity v is a running sum of past gradients, decayed by μ each step (the lecture's "friction").
public struct SGDMomentum: UpdateRule, Sendable {
    /// μ, in [0, 1): how much of the velocity survives a step.
    public var momentum: Double
    /// v, the parameter's shape; nil before the first step (then zeros).
    public var velocity: Tensor?

    /// - Parameter momentum: μ, 0.9 by default (the lecture's 0.9 or 0.99).
    public init(momentum: Double = 0.9) {
        self.momentum = momentum
    }

    /// One step: v ← μ v − lr · dx; x ← x + v.
    /// - Throws: ``NeuralNetworkError/shapeMismatch(operation:expected:actual:)`` when `dw` is not the
    ///   shape of `w`, or the velocity is not.
    public mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws {
        try checkSameShape(w, dw, "SGDMomentum.update", ("w", "dw"))
        let v = velocity ?? Tensor(shape: w.shape)
        try checkSameShape(w, v, "SGDMomentum.update", ("w", "velocity"))
        let newVelocity = momentum * v.flatMatrix - learningRate * dw.flatMatrix
        velocity = Tensor(newVelocity, shape: w.shape)
        w = Tensor(w.flatMatrix + newVelocity, shape: w.shape)
    }
}

/// Nesterov momentum, in the lecture's rewritten form, whose variable is x_ahead = x + μ v (the point
/// where the gradient is evaluated), so that the update needs only the gradient at the current parameter:
/// v_prev ← v; v ← μ v − lr · dx; x ← x − μ v_prev + (1 + μ) v.
public struct NesterovMomentum: UpdateRule, Sendable {
    /// μ, in [0, 1).
    public var momentum: Double
    /// v, the parameter's shape; nil before the first step (then zeros).
    public var velocity: Tensor?

    /// - Parameter momentum: μ, 0.9 by default.
    public init(momentum: Double = 0.9) {
        self.momentum = momentum
    }

    /// One step: v_prev ← v; v ← μ v − lr · dx; x ← x − μ v_prev + (1 + μ) v.
    /// - Throws: ``NeuralNetworkError/shapeMismatch(operation:expected:actual:)`` when `dw` is not the
    ///   shape of `w`, or the velocity is not.
    public mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws {
        try checkSameShape(w, dw, "NesterovMomentum.update", ("w", "dw"))
        let v = velocity ?? Tensor(shape: w.shape)
        try checkSameShape(w, v, "NesterovMomentum.update", ("w", "velocity"))
        let previous = v.flatMatrix
        let newVelocity = momentum * previous - learningRate * dw.flatMatrix
        velocity = Tensor(newVelocity, shape: w.shape)
        w = Tensor(w.flatMatrix - momentum * previous + (1 + momentum) * newVelocity, shape: w.shape)
    }
}

/// AdaGrad: a per-entry learning rate that shrinks with the sum of that entry's squared gradients:
/// cache ← cache + dx²; x ← x − lr · dx / (√cache + ε).
public struct AdaGrad: UpdateRule, Sendable {
    /// ε, which keeps the division finite where the cache is 0.
    public var epsilon: Double
    /// The running sum of squared gradients, the parameter's shape; nil before the first step (then zeros).
    public var squaredGradients: Tensor?

    /// - Parameter epsilon: ε, 1e-8 by default.
    public init(epsilon: Double = 1e-8) {
        self.epsilon = epsilon
    }

    /// One step: cache ← cache + dx²; x ← x − lr · dx / (√cache + ε).
    /// - Throws: ``NeuralNetworkError/shapeMismatch(operation:expected:actual:)`` when `dw` is not the
    ///   shape of `w`, or the cache is not.
    public mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws {
        try checkSameShape(w, dw, "AdaGrad.update", ("w", "dw"))
        let cache = squaredGradients ?? Tensor(shape: w.shape)
        try checkSameShape(w, cache, "AdaGrad.update", ("w", "squaredGradients"))
        let g = dw.flatMatrix
        let newCache = cache.flatMatrix + g.squared
        squaredGradients = Tensor(newCache, shape: w.shape)
        w = Tensor(w.flatMatrix - learningRate * g / (newCache.squareRoot + epsilon), shape: w.shape)
    }
}

/// RMSProp: AdaGrad with a leaky (exponentially decaying) average of squared gradients:
/// cache ← ρ cache + (1 − ρ) dx²; x ← x − lr · dx / (√cache + ε).
public struct RMSProp: UpdateRule, Sendable {
    /// ρ, the decay rate of the average, in [0, 1).
    public var decayRate: Double
    /// ε, which keeps the division finite.
    public var epsilon: Double
    /// The running average of squared gradients, the parameter's shape; nil before the first step (then zeros).
    public var squaredGradients: Tensor?

    /// - Parameters:
    ///   - decayRate: ρ, 0.99 by default.
    ///   - epsilon: ε, 1e-8 by default.
    public init(decayRate: Double = 0.99, epsilon: Double = 1e-8) {
        self.decayRate = decayRate
        self.epsilon = epsilon
    }

    /// One step: cache ← ρ cache + (1 − ρ) dx²; x ← x − lr · dx / (√cache + ε).
    /// - Throws: ``NeuralNetworkError/shapeMismatch(operation:expected:actual:)`` when `dw` is not the
    ///   shape of `w`, or the cache is not.
    public mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws {
        try checkSameShape(w, dw, "RMSProp.update", ("w", "dw"))
        let cache = squaredGradients ?? Tensor(shape: w.shape)
        try checkSameShape(w, cache, "RMSProp.update", ("w", "squaredGradients"))
        let g = dw.flatMatrix
        let newCache = decayRate * cache.flatMatrix + (1 - decayRate) * g.squared
        squaredGradients = Tensor(newCache, shape: w.shape)
        w = Tensor(w.flatMatrix - learningRate * g / (newCache.squareRoot + epsilon), shape: w.shape)
    }
}

/// Adam: momentum on the gradient (first moment m) and RMSProp's scaling (second moment v), both
/// corrected for their start at zero:
/// t ← t + 1; m ← β1 m + (1 − β1) dx; v ← β2 v + (1 − β2) dx²;
/// m̂ = m / (1 − β1^t); v̂ = v / (1 − β2^t); x ← x − lr · m̂ / (√v̂ + ε).
///
/// t counts the steps taken, and is incremented before it is used: the first step has t = 1, where the
/// bias correction divides m by 1 − β1, not by 0.
/// - Source: Kingma & Ba 2015, "Adam: a method for stochastic optimization", Algorithm 1.
public struct Adam: UpdateRule, Sendable {
    /// β1, the decay rate of the first moment.
    public var beta1: Double
    /// β2, the decay rate of the second moment.
    public var beta2: Double
    /// ε, which keeps the division finite.
    public var epsilon: Double
    /// m, the first moment (a running average of gradients); nil before the first step (then zeros).
    public var m: Tensor?
    /// v, the second moment (a running average of squared gradients); nil before the first step (then zeros).
    public var v: Tensor?
    /// t, the number of steps taken so far (0 before the first step).
    public var t: Int = 0

    /// - Parameters:
    ///   - beta1: β1, 0.9 by default.
    ///   - beta2: β2, 0.999 by default.
    ///   - epsilon: ε, 1e-8 by default.
    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// One step, with t incremented first: t ← t + 1; m ← β1 m + (1 − β1) dx; v ← β2 v + (1 − β2) dx²;
    /// x ← x − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε).
    /// - Throws: ``NeuralNetworkError/shapeMismatch(operation:expected:actual:)`` when `dw` is not the
    ///   shape of `w`, or a moment is not.
    public mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws {
        try checkSameShape(w, dw, "Adam.update", ("w", "dw"))
        var (first, second) = (m ?? Tensor(shape: w.shape), v ?? Tensor(shape: w.shape))
        try checkSameShape(w, first, "Adam.update", ("w", "m"))
        try checkSameShape(w, second, "Adam.update", ("w", "v"))
        t += 1
        // One pass over the entries, updating m, v and w where they are: the matrix form (m = β1 m +
        // (1 − β1) dx, …) is the same arithmetic but writes about six temporaries of w's size per step,
        // and for a convnet's 800,000 weights that was a seventh of the training time.
        (m, v) = (nil, nil)                 // so that m and v are not shared, and are updated without a copy
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        // lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε) with the constants taken out of the loop: one
        // square root and one division per entry instead of a square root and three divisions.
        let stepSize = learningRate / (1 - Foundation.pow(beta1, Double(t)))
        let rootScale = 1 / (1 - Foundation.pow(beta2, Double(t))).squareRoot()
        let count = w.count
        dw.withUnsafeBufferPointer { g in
            w.withUnsafeMutableBufferPointer { x in
                first.withUnsafeMutableBufferPointer { ms in
                    second.withUnsafeMutableBufferPointer { vs in
                        // Plain pointers, so that the loop is vectorised (through the buffers passed
                        // inout, every store would reload their addresses).
                        guard let g = g.baseAddress, let x = x.baseAddress, let ms = ms.baseAddress, let vs = vs.baseAddress else { return }
                        Parallelism.forEachChunk(of: count) { chunk in
                            for i in chunk {
                                let mi = b1 * ms[i] + (1 - b1) * g[i]
                                let vi = b2 * vs[i] + (1 - b2) * (g[i] * g[i])
                                ms[i] = mi
                                vs[i] = vi
                                x[i] -= stepSize * mi / (vi.squareRoot() * rootScale + eps)
                            }
                        }
                    }
                }
            }
        }
        (m, v) = (first, second)
    }
}
