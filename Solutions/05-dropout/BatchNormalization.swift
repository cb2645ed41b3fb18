import Foundation
import LinearAlgebra
import GradientCheck

// Chapter 5: batch normalization (Ioffe & Szegedy 2015), which the course teaches next to dropout and
// which deeper nets need to train at all.
//
// In training, each feature (column) of a minibatch is normalized by the batch's own mean and
// variance, then scaled and shifted by learnable gamma and beta:
//     x̂ = (x − mean) / sqrt(var + eps),    out = gamma · x̂ + beta.
// The batch statistics also feed running averages (``BatchNormState``), which replace them at test
// time, when a batch may be one image. The layer's backward pass goes through the batch statistics
// too: every example's gradient depends on every other example of its batch. It is written twice, once
// node by node through the computational graph of the forward pass (chapter 3's method), once as the
// single expression that the graph simplifies to.
// Source: Ioffe & Szegedy 2015, "Batch Normalization: Accelerating Deep Network Training by Reducing
// Internal Covariate Shift", Algorithm 1 (forward), section 3 (backward), 3.1 (inference).

/// Forward pass of batch normalization over the features of an (N, D) batch.
///
/// `.train`: with each feature's batch mean and (biased, divide-by-N) variance,
/// x̂ = (x − mean) / sqrt(var + eps) and out = gamma · x̂ + beta; then the running averages move
/// towards the batch's statistics: running = momentum · running + (1 − momentum) · batch value.
/// `.test`: the same with the running mean and variance in place of the batch's, and the state unchanged.
///
/// - Parameters:
///   - x: inputs, shape (N, D); in train mode N >= 2.
///   - gamma: the learnable scale, D entries (shape (D,) or (1, D)); 1 gives the plain normalization.
///   - beta: the learnable shift, D entries (shape of gamma); 0 gives the plain normalization.
///   - mode: `.train` (batch statistics, averages updated) or `.test` (running averages).
///   - state: the running averages, with `momentum` and `epsilon`; updated in train mode.
/// - Returns: `out`, shape (N, D), and the cache the backward passes need (in test mode a cache that
///   they refuse).
/// - Throws: ``DropoutError/featureMismatch(operation:expected:actual:)`` when x is not (N, D) or gamma,
///   beta or the state do not have D entries; ``DropoutError/batchTooSmall(operation:batchSize:)`` for a
///   train-mode batch of fewer than two examples (the variance of one example is 0, and dividing by
///   sqrt(eps) alone would hide that); the state is then unchanged.
/// - Source: Ioffe & Szegedy 2015, Algorithm 1 and section 3.1.
public func batchNormForward(_ x: Tensor, gamma: Tensor, beta: Tensor, mode: LayerMode,
                             state: inout BatchNormState) throws -> (out: Tensor, cache: BatchNormCache) {
    try checkBatchNormInputs(x, gamma: gamma, beta: beta, mode: mode, state: state, "batchNormForward")
    let (n, d) = (x.shape[0], x.shape[1])
    let input = Matrix(reshaping: x, rows: n, cols: d)
    let g = Matrix(reshaping: gamma, rows: 1, cols: d)
    let b = Matrix(reshaping: beta, rows: 1, cols: d)
    let runningMean = Matrix(reshaping: state.runningMean, rows: 1, cols: d)
    let runningVariance = Matrix(reshaping: state.runningVariance, rows: 1, cols: d)

    let mean: Matrix, variance: Matrix, centered: Matrix
    switch mode {
    case .train:
        mean = input.mean(axis: 0)                                        // (1, D)
        centered = input - mean                                           // (N, D)
        variance = centered.squared.mean(axis: 0)                         // (1, D)
        let m = state.momentum
        state.runningMean = Tensor(reshaping: m * runningMean + (1 - m) * mean, shape: [d])
        state.runningVariance = Tensor(reshaping: m * runningVariance + (1 - m) * variance, shape: [d])
    case .test:
        (mean, variance) = (runningMean, runningVariance)
        centered = input - mean
    }
    let inverseStd = 1 / (variance + state.epsilon).squareRoot            // (1, D)
    let normalized = centered * inverseStd                                // (N, D)
    let out = normalized * g + b                                          // (N, D)
    let cache = BatchNormCache(centered: Tensor(reshaping: centered, shape: [n, d]),
                               normalized: Tensor(reshaping: normalized, shape: [n, d]),
                               inverseStandardDeviation: Tensor(reshaping: inverseStd, shape: [d]),
                               gamma: gamma, mode: mode)
    return (Tensor(reshaping: out, shape: [n, d]), cache)
}

/// Backward pass of batch normalization, node by node through the forward pass's computational graph:
/// mean → centred → squared → variance → sqrt(var + eps) → its reciprocal → x̂ → gamma · x̂ → + beta,
/// each node's local gradient times the upstream one, summed where a value fans out (x feeds both the
/// mean and the centring; the centred values feed both the variance and x̂).
///
/// - Parameters:
///   - dout: dL/d(out), shape (N, D).
///   - cache: from a train-mode ``batchNormForward(_:gamma:beta:mode:state:)``.
/// - Returns: dx (N, D), and dgamma and dbeta of gamma's shape.
/// - Throws: ``DropoutError/shapeMismatch(operation:expected:actual:)`` when dout is not (N, D);
///   ``DropoutError/backwardAfterTestMode(operation:)`` for a test-mode cache.
/// - Source: Ioffe & Szegedy 2015, section 3 (the chain rule through the batch statistics); the
///   lecture "Backpropagation" (staged computation).
public func batchNormBackward(_ dout: Tensor, cache: BatchNormCache) throws -> (dx: Tensor, dgamma: Tensor, dbeta: Tensor) {
    try checkBatchNormBackward(dout, cache, "batchNormBackward")
    let (n, d) = (dout.shape[0], dout.shape[1])
    let upstream = Matrix(reshaping: dout, rows: n, cols: d)
    let centered = Matrix(reshaping: cache.centered, rows: n, cols: d)
    let normalized = Matrix(reshaping: cache.normalized, rows: n, cols: d)
    let inverseStd = Matrix(reshaping: cache.inverseStandardDeviation, rows: 1, cols: d)
    let gamma = Matrix(reshaping: cache.gamma, rows: 1, cols: d)

    // out = gamma · x̂ + beta: the add routes dout to beta (summed over the batch) and to gamma · x̂.
    let dbeta = upstream.sum(axis: 0)                                      // (1, D)
    let dgamma = (upstream * normalized).sum(axis: 0)                      // (1, D)
    let dNormalized = upstream * gamma                                     // (N, D)
    // x̂ = centred · inverseStd: the product sends each factor the other one.
    let dInverseStd = (dNormalized * centered).sum(axis: 0)               // (1, D)
    var dCentered = dNormalized * inverseStd                               // (N, D), first share
    // inverseStd = 1 / s with s = sqrt(var + eps): d(1/s)/ds = −1/s², and ds/dvar = 1 / (2 s).
    let dStd = -1 * dInverseStd * inverseStd.squared                       // (1, D)
    let dVariance = 0.5 * inverseStd * dStd                                // (1, D)
    // var = mean of centred²: each square gets dvar / N, and d(c²)/dc = 2c.
    dCentered += 2 / Double(n) * centered * dVariance                      // second share
    // centred = x − mean: x gets dCentered; the mean gets −Σ dCentered, and spreads it as 1/N to each x.
    let dMean = -1 * dCentered.sum(axis: 0)                                // (1, D)
    let dx = dCentered + dMean / Double(n)                                 // (N, D)
    return (Tensor(reshaping: dx, shape: [n, d]), Tensor(reshaping: dgamma, shape: cache.gamma.shape),
            Tensor(reshaping: dbeta, shape: cache.gamma.shape))
}

/// Backward pass of batch normalization as one expression: the graph of ``batchNormBackward(_:cache:)``
/// simplified on paper to
///     dx = (gamma / (N · sqrt(var + eps))) · (N · dout − Σ dout − x̂ · Σ (dout · x̂)),
/// sums over the batch, one per feature; dgamma = Σ dout · x̂ and dbeta = Σ dout as before.
///
/// - Parameters:
///   - dout: dL/d(out), shape (N, D).
///   - cache: from a train-mode ``batchNormForward(_:gamma:beta:mode:state:)``.
/// - Returns: dx (N, D), and dgamma and dbeta of gamma's shape; equal to ``batchNormBackward(_:cache:)``'s
///   up to rounding.
/// - Throws: what ``batchNormBackward(_:cache:)`` throws.
/// - Source: Ioffe & Szegedy 2015, section 3, with the sums over the batch collected.
public func batchNormBackwardSimplified(_ dout: Tensor, cache: BatchNormCache) throws -> (dx: Tensor, dgamma: Tensor, dbeta: Tensor) {
    try checkBatchNormBackward(dout, cache, "batchNormBackwardSimplified")
    let (n, d) = (dout.shape[0], dout.shape[1])
    let upstream = Matrix(reshaping: dout, rows: n, cols: d)
    let normalized = Matrix(reshaping: cache.normalized, rows: n, cols: d)
    let inverseStd = Matrix(reshaping: cache.inverseStandardDeviation, rows: 1, cols: d)
    let gamma = Matrix(reshaping: cache.gamma, rows: 1, cols: d)

    let dbeta = upstream.sum(axis: 0)                                      // (1, D)
    let dgamma = (upstream * normalized).sum(axis: 0)                      // (1, D)
    let dx = (gamma * inverseStd / Double(n)) * (Double(n) * upstream - dbeta - normalized * dgamma)
    return (Tensor(reshaping: dx, shape: [n, d]), Tensor(reshaping: dgamma, shape: cache.gamma.shape),
            Tensor(reshaping: dbeta, shape: cache.gamma.shape))
}
