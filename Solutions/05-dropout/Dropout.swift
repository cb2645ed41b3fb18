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
    guard mode == .train else { return (x, DropoutCache(mask: nil)) }
    let uniforms = Tensor.uniform(x.shape, using: &generator)
    let scale = 1 / p
    let mask = Matrix(reshaping: uniforms, rows: 1, cols: x.count).map { $0 < p ? scale : 0 }
    let out = Matrix(reshaping: x, rows: 1, cols: x.count) * mask
    return (Tensor(reshaping: out, shape: x.shape), DropoutCache(mask: Tensor(reshaping: mask, shape: x.shape)))
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
    guard let mask = cache.mask else { return dout }
    try checkUpstreamShape(dout, mask.shape, "dropoutBackward")
    let dx = Matrix(reshaping: dout, rows: 1, cols: dout.count) * Matrix(reshaping: mask, rows: 1, cols: mask.count)
    return Tensor(reshaping: dx, shape: dout.shape)
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
    let flat = Matrix(reshaping: x, rows: 1, cols: x.count)
    guard mode == .train else { return Tensor(reshaping: flat * p, shape: x.shape) }
    let uniforms = Tensor.uniform(x.shape, using: &generator)
    let keep = Matrix(reshaping: uniforms, rows: 1, cols: x.count).map { $0 < p ? 1 : 0 }
    return Tensor(reshaping: flat * keep, shape: x.shape)
}
