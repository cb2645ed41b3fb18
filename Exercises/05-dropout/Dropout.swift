import Foundation
import LinearAlgebra
import GradientCheck

// Chapter 5: dropout, the lecture's regularization by random removal (Srivastava et al. 2014).
//
// In training, every unit is kept with probability p (the keep probability) and set to 0 otherwise,
// afresh for every example and every forward pass. At test time no unit is dropped. The lecture gives
// two ways to make the test-time output equal the expected training output:
//   - its first ("vanilla") version drops at training time and scales by p at test time;
//   - inverted dropout scales the kept units by 1/p at training time, so that the test pass is the
//     identity and a trained net is used as it is. This is the one nets use.
// Source: the lecture "Neural Networks: Training" (regularization: dropout, inverted dropout).

/// Forward pass of inverted dropout.
///
/// In `.train` mode each entry of x is kept with probability p and divided by p, or set to 0:
/// out = x · mask with mask = (u < p) / p for one uniform draw u in [0, 1) per entry, drawn from
/// `generator` in row-major order. The expected output is then x itself, so in `.test` mode the
/// layer is the identity: out = x. With p = 1 nothing is dropped in either mode.
///
/// - Parameters:
///   - x: inputs of any shape, e.g. a hidden layer's activations (N, H).
///   - keepProbability: p, the probability of KEEPING a unit, in (0, 1] (the lecture's convention;
///     some libraries take the drop probability 1 − p instead).
///   - mode: `.train` draws a mask; `.test` leaves x as it is.
///   - generator: the source of the mask; the same seed gives the same mask. Only `.train` draws from it.
/// - Returns: `out`, the shape of x, and the cache ``dropoutBackward(_:cache:)`` needs (the mask).
/// - Throws: ``DropoutError/invalidKeepProbability(_:)`` when p is not in (0, 1].
/// - Source: the lecture "Neural Networks: Training" (inverted dropout); Srivastava et al. 2014.
public func dropoutForward(_ x: Tensor, keepProbability p: Double, mode: LayerMode,
                           using generator: inout SeededGenerator) throws -> (out: Tensor, cache: DropoutCache) {
    try checkKeepProbability(p)
    // In .test mode (inverted dropout) return x itself, with a cache holding no mask.
    // In .train mode draw one uniform number per entry, Tensor.uniform(x.shape, using: &generator), and make
    // the mask: 1/p where the draw is below p, 0 elsewhere. out = x * mask, entry by entry; cache the mask.
    // (Matrix(reshaping: t, rows: 1, cols: t.count) views a tensor as a row, for Matrix's `*` and `map`.)
    throw NotImplemented()
}

/// Backward pass of inverted dropout: dx = dout · mask, the forward pass's own mask (a kept unit
/// passes its gradient on, divided by p like its value; a dropped one passes 0). After a test-mode
/// pass, dx = dout.
///
/// - Parameters:
///   - dout: dL/d(out), the shape of the forward pass's x.
///   - cache: from ``dropoutForward(_:keepProbability:mode:using:)``.
/// - Returns: dx, the shape of dout.
/// - Throws: ``DropoutError/shapeMismatch(operation:expected:actual:)`` when dout does not have the
///   mask's shape.
/// - Source: the lecture "Backpropagation": a gate that multiplies by a constant multiplies its gradient by it.
public func dropoutBackward(_ dout: Tensor, cache: DropoutCache) throws -> Tensor {
    // After .test mode (no mask) the layer was the identity. Otherwise check dout's shape against the
    // mask's (checkUpstreamShape) and multiply dout by the forward pass's mask, entry by entry. Never draw
    // a new mask here: the gradient flows only through the units the forward pass kept.
    throw NotImplemented()
}

/// Forward pass of the lecture's first ("vanilla") dropout, for comparison: in `.train` mode each entry
/// of x is kept unchanged with probability p or set to 0 (out = x · (u < p), one uniform draw u per
/// entry from `generator`, row-major); in `.test` mode every entry is scaled by p (out = p · x), which
/// is the expected training output.
///
/// Inverted dropout (``dropoutForward(_:keepProbability:mode:using:)``) gives the same expected output
/// and leaves the test pass alone, which is why nets use it.
///
/// - Parameters:
///   - x: inputs of any shape.
///   - keepProbability: p in (0, 1], the probability of keeping a unit.
///   - mode: `.train` drops units; `.test` scales by p.
///   - generator: the source of the mask; only `.train` draws from it.
/// - Returns: out, the shape of x.
/// - Throws: ``DropoutError/invalidKeepProbability(_:)`` when p is not in (0, 1].
/// - Source: the lecture "Neural Networks: Training" (vanilla dropout, test time scaled by p).
public func vanillaDropoutForward(_ x: Tensor, keepProbability p: Double, mode: LayerMode,
                                  using generator: inout SeededGenerator) throws -> Tensor {
    try checkKeepProbability(p)
    // .test mode: every entry times p.
    // .train mode: one uniform draw per entry (Tensor.uniform), keep the entry where the draw is below p,
    // 0 elsewhere; no division by p.
    throw NotImplemented()
}
