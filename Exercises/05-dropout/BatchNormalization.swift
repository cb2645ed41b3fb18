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
    // View x as an (N, D) Matrix and gamma, beta and the running averages as (1, D) rows
    // (Matrix(reshaping:rows:cols:)); Matrix broadcasts a (1, D) row over the N rows.
    // .train: mean = x.mean(axis: 0); centred = x - mean; variance = mean of centred² down the rows.
    //         Then update state.runningMean and state.runningVariance with state.momentum.
    // .test:  use the running mean and variance instead, and leave the state alone.
    // inverseStd = 1 / sqrt(variance + state.epsilon); x̂ = centred * inverseStd; out = gamma * x̂ + beta.
    // Cache centred, x̂, inverseStd (shape (D,)), gamma and the mode.
    throw NotImplemented()
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
    // Walk the graph backwards, one node at a time, with (1, D) rows for the per-feature values:
    //   out = gamma·x̂ + beta   → dbeta = Σ dout, dgamma = Σ dout·x̂, dx̂ = dout·gamma
    //   x̂ = centred·inverseStd → dInverseStd = Σ dx̂·centred, dCentered = dx̂·inverseStd (first share)
    //   inverseStd = 1/s        → ds = −dInverseStd / s²     (s = sqrt(var + eps), so 1/s² = inverseStd²)
    //   s = sqrt(var + eps)     → dvar = ds / (2 s)
    //   var = mean of centred²  → dCentered += 2 · centred · dvar / N (second share: centred fans out)
    //   centred = x − mean      → dx = dCentered, and dmean = −Σ dCentered
    //   mean = Σ x / N          → dx += dmean / N
    // Σ is a sum down the batch (axis 0). Return dgamma and dbeta in gamma's shape.
    throw NotImplemented()
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
    // dbeta and dgamma as in batchNormBackward. Then, with sums down the batch (axis 0):
    //   dx = gamma · inverseStd / N · (N · dout − Σ dout − x̂ · Σ (dout · x̂))
    // one line of Matrix arithmetic, no intermediate graph nodes.
    throw NotImplemented()
}
