import LinearAlgebra
import GradientCheck

// Chapter 2: the lecture's "very bad idea", random search over the weights.
//
// Draw many random weight matrices, keep the one with the lowest loss. It needs no gradient, and it is
// a baseline every trained classifier must beat by far: on CIFAR-10 the lecture reports about 15.5%
// test accuracy after 1,000 tries (chance is 10%), where SGD on the same loss reaches about 39%.
// Source: the lecture "Loss functions and optimization" (optimization, strategy #1: random search).

/// Random search over W: draws `tries` weight matrices with independent entries scale * N(0, 1), all
/// from one generator seeded with `seed`, and keeps the one with the lowest loss.
///
/// On a tie the earlier try is kept. The tries are drawn in order from the same stream, so more tries
/// with the same seed never give a higher best loss.
///
/// - Parameters:
///   - features: D, the number of rows of W.
///   - classes: C, the number of columns of W.
///   - tries: the number of random matrices to evaluate, at least 1 (the lecture uses 1,000).
///   - scale: the standard deviation of each entry (the lecture uses 0.0001), > 0.
///   - seed: fixes every draw.
///   - loss: the loss of a candidate W, shape (D, C), e.g. the SVM loss on the training set.
///   - progress: called after each try with (tries done, lowest loss so far), for a progress line.
/// - Returns: the best W, shape (D, C), and its loss.
/// - Throws: ``LinearClassifierError/invalidSetting(name:value:requirement:)`` for a bad shape, tries or
///   scale; anything `loss` throws.
public func randomWeightSearch(features: Int, classes: Int, tries: Int = 1_000, scale: Double = 0.0001,
                               seed: UInt64, loss: (Matrix) throws -> Double,
                               progress: (_ done: Int, _ bestLoss: Double) -> Void = { _, _ in }) throws -> (weights: Matrix, loss: Double) {
    try checkRandomSearchSettings(features: features, classes: classes, tries: tries, scale: scale)
    var rng = SeededGenerator(seed: seed)
    var best = (weights: Matrix.zeros(features, classes), loss: Double.infinity)
    for done in 1 ... tries {
        let candidate = Matrix.gaussian(features, classes, standardDeviation: scale, using: &rng)
        let value = try loss(candidate)
        if value < best.loss || done == 1 { best = (candidate, value) }
        progress(done, best.loss)
    }
    return best
}
