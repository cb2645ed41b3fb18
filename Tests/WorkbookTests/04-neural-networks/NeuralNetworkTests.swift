import XCTest
import Foundation
import LinearAlgebra
import GradientCheck
@testable import Workbook

/// Chapter 4, neural networks: Exercises/04-neural-networks/Layers.swift, Activations.swift,
/// LossLayers.swift, UpdateRules.swift, LearningRateSchedules.swift, WeightInitialization.swift,
/// TwoLayerNet.swift and LBFGS.swift.
///
/// Every backward is checked against the numerical gradient of a reference forward written in this
/// folder (NeuralNetworkReferences.swift), so a wrong forward fails its own test and not the backward's.
/// `affineReLUForward` and `TwoLayerNet` call your layers: write `affineForward`, `reluForward` and
/// `softmaxLoss` (and their backwards) first.
final class NeuralNetworkTests: XCTestCase {
    typealias R = NetReference

    // MARK: Affine layer

    func test_affineForward_knownValues() throws {
        // Two inputs of shape (4, 5, 6), flattened to D = 120, and M = 3 outputs.
        let x = R.tensor([2, 4, 5, 6], -0.1, 0.5)
        let w = R.tensor([120, 3], -0.2, 0.3)
        let b = R.tensor([3], -0.3, 0.1)
        let (out, _) = try attempt { try affineForward(x, w, b) }
        expectTensor(out, matches: R.affine(x, w, b), tolerance: 1e-12, "affineForward", "out for x (2, 4, 5, 6)",
                     hint: "flatten each example to a row (x.batchMatrix is (N, D)), then x w + b with b added to every row")
        let (rowBias, _) = try attempt { try affineForward(x, w, b.reshaped([1, 3])) }
        expectTensor(rowBias, matches: R.affine(x, w, b), tolerance: 1e-12, "affineForward", "out with b of shape (1, 3)",
                     hint: "b may be (M,) or (1, M): b.flatMatrix reads both as a (1, M) row")
    }

    func test_affineBackward_gradientCheck() throws {
        let x = R.gaussian([10, 2, 3], seed: 40), w = R.gaussian([6, 5], seed: 41), b = R.gaussian([5], seed: 42)
        let dout = R.gaussian([10, 5], seed: 43)
        let cache = AffineCache(x: x, w: w, b: b)     // built here, so that the backward is graded on its own
        let (dx, dw, db) = try attempt { try affineBackward(dout, cache: cache) }
        expectGradient(dx, R.gradient(of: { R.affine($0, w, b) }, at: x, upstream: dout), below: 1e-8, "affineBackward",
                       "dx (shape (10, 2, 3))", hint: "dx = dout wᵀ, read back as the shape of x")
        expectGradient(dw, R.gradient(of: { R.affine(x, $0, b) }, at: w, upstream: dout), below: 1e-8, "affineBackward",
                       "dw", hint: "dw = xᵀ dout with x flattened to (N, D)")
        expectGradient(db, R.gradient(of: { R.affine(x, w, $0) }, at: b, upstream: dout), below: 1e-8, "affineBackward",
                       "db", hint: "db is dout summed over the batch (axis 0), with the shape of b")
        // The same cache twice gives the same answer (a backward must not change its cache or keep state).
        let again = try attempt { try affineBackward(dout, cache: cache) }
        expectEqual(again.dx, dx, "affineBackward", "dx of a second call with the same cache",
                    hint: "a backward reads its cache and changes nothing")
    }

    func test_affineForward_rejectsBadShapes() throws {
        let x = R.tensor([2, 3], 0, 1), w = R.tensor([3, 4], 0, 1), b = R.tensor([4], 0, 1)
        _ = try attempt { try affineForward(x, w, b) }
        XCTAssertThrowsError(try affineForward(x, R.tensor([4, 4], 0, 1), b), "w with 4 rows for D = 3") { error in
            guard case .shapeMismatch? = error as? NeuralNetworkError else {
                return fail("affineForward", "w of 4 rows for x (2, 3) threw \(error)", hint: "keep the given checkAffineInputs call")
            }
        }
        XCTAssertThrowsError(try affineForward(x, w, R.tensor([3], 0, 1)), "b with 3 entries for M = 4")
        let (_, cache) = try attempt { try affineForward(x, w, b) }
        XCTAssertThrowsError(try affineBackward(R.tensor([2, 3], 0, 1), cache: cache), "dout (2, 3) for out (2, 4)")
    }

    // MARK: ReLU and its relatives

    func test_reluForward_knownValues() throws {
        let x = R.tensor([3, 2, 2], -0.5, 0.5)
        let (out, _) = try attempt { try reluForward(x) }
        expectTensor(out, matches: R.relu(x), tolerance: 0, "reluForward", "max(0, x) of a (3, 2, 2) tensor",
                     hint: "elementwise max(0, x), keeping the shape")
    }

    func test_reluBackward_gradientCheck() throws {
        let x = R.awayFromZero([10, 10], seed: 44), dout = R.gaussian([10, 10], seed: 45)
        let dx = try attempt { try reluBackward(dout, cache: ReLUCache(x: x)) }
        expectGradient(dx, R.gradient(of: R.relu, at: x, upstream: dout), below: 1e-8, "reluBackward", "dx",
                       hint: "dx = dout where x > 0, 0 elsewhere")
    }

    func test_reluBackward_zeroAtKink() throws {
        let x = Tensor(shape: [1, 5], [-1, 0, 2, 0, 3])
        let dx = try attempt { try reluBackward(Tensor(shape: [1, 5], repeating: 1), cache: ReLUCache(x: x)) }
        expectTensor(dx, matches: Tensor(shape: [1, 5], [0, 0, 1, 0, 1]), tolerance: 0, "reluBackward",
                     "dx for x = (-1, 0, 2, 0, 3) and dout = 1", hint: "the gradient at x = 0 exactly is 0: use x > 0, not x >= 0")
    }

    func test_leakyReLUForward_knownValues() throws {
        let x = R.tensor([4, 3], -2, 1)
        let (out, _) = try attempt { try leakyReLUForward(x) }
        expectTensor(out, matches: R.leakyReLU(x, slope: 0.01), tolerance: 1e-15, "leakyReLUForward", "out with the default slope",
                     hint: "x for x > 0 and 0.01 x otherwise")
        let (steep, _) = try attempt { try leakyReLUForward(x, slope: 0.2) }
        expectTensor(steep, matches: R.leakyReLU(x, slope: 0.2), tolerance: 1e-15, "leakyReLUForward", "out with slope 0.2",
                     hint: "use the slope argument, not a fixed 0.01")
    }

    func test_leakyReLUBackward_gradientCheck() throws {
        let x = R.awayFromZero([8, 6], seed: 46), dout = R.gaussian([8, 6], seed: 47)
        for slope in [0.01, 0.2] {
            let dx = try attempt { try leakyReLUBackward(dout, cache: LeakyReLUCache(x: x, slope: slope)) }
            expectGradient(dx, R.gradient(of: { R.leakyReLU($0, slope: slope) }, at: x, upstream: dout), below: 1e-8,
                           "leakyReLUBackward", "dx with slope \(slope)", hint: "the local gradient is 1 for x > 0 and the cache's slope elsewhere")
        }
        let cache = LeakyReLUCache(x: Tensor(shape: [3], [0, 1, -1]), slope: 0.2)
        let atKink = try attempt { try leakyReLUBackward(Tensor(shape: [3], repeating: 1), cache: cache) }
        expectTensor(atKink, matches: Tensor(shape: [3], [0.2, 1, 0.2]), tolerance: 1e-15, "leakyReLUBackward",
                     "dx at x = (0, 1, -1) with slope 0.2", hint: "at x = 0 exactly the workbook takes the slope (x > 0 is the positive piece)")
    }

    func test_eluForward_knownValues() throws {
        let x = R.tensor([3, 4], -3, 2)
        let (out, _) = try attempt { try eluForward(x) }
        expectTensor(out, matches: R.elu(x, alpha: 1), tolerance: 1e-14, "eluForward", "out with alpha = 1 (the default)",
                     hint: "x for x > 0 and alpha (e^x - 1) otherwise")
        let (scaled, _) = try attempt { try eluForward(x, alpha: 0.7) }
        expectTensor(scaled, matches: R.elu(x, alpha: 0.7), tolerance: 1e-14, "eluForward", "out with alpha = 0.7",
                     hint: "use the alpha argument")
    }

    func test_eluBackward_gradientCheck() throws {
        let x = R.awayFromZero([7, 5], seed: 48), dout = R.gaussian([7, 5], seed: 49)
        for alpha in [1.0, 0.7] {
            let dx = try attempt { try eluBackward(dout, cache: ELUCache(x: x, alpha: alpha)) }
            expectGradient(dx, R.gradient(of: { R.elu($0, alpha: alpha) }, at: x, upstream: dout), below: 1e-8,
                           "eluBackward", "dx with alpha \(alpha)", hint: "the local gradient is 1 for x > 0 and alpha e^x otherwise")
        }
    }

    func test_sigmoidForward_knownValuesAndStability() throws {
        let x = R.tensor([2, 5], -4, 4)
        let (out, _) = try attempt { try sigmoidForward(x) }
        expectTensor(out, matches: R.sigmoid(x), tolerance: 1e-15, "sigmoidForward", "σ(x)", hint: "1 / (1 + e^-x)")
        let (extreme, _) = try attempt { try sigmoidForward(Tensor(shape: [3], [-1000, 0, 1000])) }
        expectTensor(extreme, matches: Tensor(shape: [3], [0, 0.5, 1]), tolerance: 1e-15, "sigmoidForward", "σ of (-1000, 0, 1000)",
                     hint: "e^1000 overflows: for x < 0 compute e^x / (1 + e^x)")
    }

    func test_sigmoidBackward_gradientCheck() throws {
        let x = R.gaussian([6, 6], scale: 2, seed: 50), dout = R.gaussian([6, 6], seed: 51)
        let dx = try attempt { try sigmoidBackward(dout, cache: SigmoidCache(out: R.sigmoid(x))) }
        expectGradient(dx, R.gradient(of: R.sigmoid, at: x, upstream: dout), below: 1e-8, "sigmoidBackward", "dx",
                       hint: "dσ/dx = σ(x) (1 - σ(x)), from the cached output")
    }

    func test_tanhForward_knownValues() throws {
        let x = R.tensor([2, 3, 2], -3, 3)
        let (out, _) = try attempt { try tanhForward(x) }
        expectTensor(out, matches: R.tanh(x), tolerance: 1e-15, "tanhForward", "tanh(x)", hint: "Foundation.tanh of every entry")
    }

    func test_tanhBackward_gradientCheck() throws {
        let x = R.gaussian([6, 7], scale: 1.5, seed: 52), dout = R.gaussian([6, 7], seed: 53)
        let dx = try attempt { try tanhBackward(dout, cache: TanhCache(out: R.tanh(x))) }
        expectGradient(dx, R.gradient(of: R.tanh, at: x, upstream: dout), below: 1e-8, "tanhBackward", "dx",
                       hint: "d tanh(x)/dx = 1 - tanh²(x)")
    }

    // MARK: Maxout

    /// Inputs and two pieces whose outputs differ by at least 0.1 everywhere, so that no centred
    /// difference crosses from one piece to the other.
    private func maxoutProblem() -> (x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) {
        for seed in UInt64(60) ..< 200 {
            let x = R.gaussian([6, 2, 2], seed: seed), w1 = R.gaussian([4, 5], seed: seed + 1000)
            let w2 = R.gaussian([4, 5], seed: seed + 2000)
            let b1 = R.gaussian([5], seed: seed + 3000), b2 = R.gaussian([5], seed: seed + 4000)
            let gap = zip(R.affine(x, w1, b1).storage, R.affine(x, w2, b2).storage).map { abs($0 - $1) }.min()!
            if gap > 0.1 { return (x, w1, b1, w2, b2) }
        }
        fatalError("no maxout problem without near-ties")
    }

    /// The cache maxoutForward builds, built here so that the backward is graded on its own.
    private func maxoutCache(_ x: Tensor, _ w1: Tensor, _ b1: Tensor, _ w2: Tensor, _ b2: Tensor) -> MaxoutCache {
        let z1 = R.affine(x, w1, b1), z2 = R.affine(x, w2, b2)
        let firstWins = Matrix(rows: z1.shape[0], cols: z1.shape[1], zip(z1.storage, z2.storage).map { $0 >= $1 ? 1 : 0 })
        return MaxoutCache(x: x, w1: w1, b1: b1, w2: w2, b2: b2, firstWins: firstWins)
    }

    func test_maxoutForward_knownValues() throws {
        let p = maxoutProblem()
        let (out, _) = try attempt { try maxoutForward(p.x, p.w1, p.b1, p.w2, p.b2) }
        expectTensor(out, matches: R.maxout(p.x, p.w1, p.b1, p.w2, p.b2), tolerance: 1e-12, "maxoutForward",
                     "max(x w1 + b1, x w2 + b2) for x (6, 2, 2)", hint: "two affine pieces on the flattened x, then their elementwise max")
    }

    func test_maxoutBackward_gradientCheck() throws {
        let p = maxoutProblem()
        let dout = R.gaussian([6, 5], seed: 54)
        let g = try attempt { try maxoutBackward(dout, cache: maxoutCache(p.x, p.w1, p.b1, p.w2, p.b2)) }
        let hint = "the gradient goes to the piece that won, then through that piece's affine layer; dx adds both pieces' parts"
        expectGradient(g.dx, R.gradient(of: { R.maxout($0, p.w1, p.b1, p.w2, p.b2) }, at: p.x, upstream: dout), below: 1e-8,
                       "maxoutBackward", "dx", hint: hint)
        expectGradient(g.dw1, R.gradient(of: { R.maxout(p.x, $0, p.b1, p.w2, p.b2) }, at: p.w1, upstream: dout), below: 1e-8,
                       "maxoutBackward", "dw1", hint: hint)
        expectGradient(g.db1, R.gradient(of: { R.maxout(p.x, p.w1, $0, p.w2, p.b2) }, at: p.b1, upstream: dout), below: 1e-8,
                       "maxoutBackward", "db1", hint: hint)
        expectGradient(g.dw2, R.gradient(of: { R.maxout(p.x, p.w1, p.b1, $0, p.b2) }, at: p.w2, upstream: dout), below: 1e-8,
                       "maxoutBackward", "dw2", hint: hint)
        expectGradient(g.db2, R.gradient(of: { R.maxout(p.x, p.w1, p.b1, p.w2, $0) }, at: p.b2, upstream: dout), below: 1e-8,
                       "maxoutBackward", "db2", hint: hint)
    }

    func test_maxoutBackward_routesToTheLargerPiece() throws {
        // Piece 2 is piece 1 plus 10 everywhere: it wins every entry, so piece 1 gets no gradient.
        let x = R.tensor([3, 4], -1, 1), w = R.tensor([4, 2], -0.5, 0.5), b = R.tensor([2], 0, 1)
        let b2 = Tensor(shape: [2], b.storage.map { $0 + 10 })
        let dout = R.tensor([3, 2], 1, 2)
        let g = try attempt { try maxoutBackward(dout, cache: maxoutCache(x, w, b, w, b2)) }
        expectTensor(g.dw1, matches: Tensor(shape: [4, 2]), tolerance: 0, "maxoutBackward", "dw1 when piece 2 always wins",
                     hint: "only the larger piece receives the gradient, as in a max gate")
        expectTensor(g.db1, matches: Tensor(shape: [2]), tolerance: 0, "maxoutBackward", "db1 when piece 2 always wins")
        let db = Tensor(shape: [2], (0 ..< 2).map { j in (0 ..< 3).reduce(0.0) { $0 + dout[$1, j] } })
        expectTensor(g.db2, matches: db, tolerance: 1e-12, "maxoutBackward", "db2 when piece 2 always wins",
                     hint: "the winning piece gets all of dout")
        // On a tie (two equal pieces) the first piece takes the whole gradient.
        let tie = try attempt { try maxoutBackward(dout, cache: maxoutCache(x, w, b, w, b)) }
        expectTensor(tie.db2, matches: Tensor(shape: [2]), tolerance: 0, "maxoutBackward", "db2 when the pieces tie",
                     hint: "on a tie the first piece counts as the larger (z1 >= z2)")
        expectTensor(tie.db1, matches: db, tolerance: 1e-12, "maxoutBackward", "db1 when the pieces tie")
    }

    func test_maxoutForward_tieGoesToTheFirstPiece() throws {
        // Two equal pieces tie everywhere: the cache must send every gradient to the first one.
        let x = R.tensor([3, 4], -1, 1), w = R.tensor([4, 2], -0.5, 0.5), b = R.tensor([2], 0, 1)
        let (out, cache) = try attempt { try maxoutForward(x, w, b, w, b) }
        expectTensor(out, matches: R.affine(x, w, b), tolerance: 1e-12, "maxoutForward", "out when both pieces are equal")
        let dout = R.tensor([3, 2], 1, 2)
        let tie = try attempt { try maxoutBackward(dout, cache: cache) }
        let db = Tensor(shape: [2], (0 ..< 2).map { j in (0 ..< 3).reduce(0.0) { $0 + dout[$1, j] } })
        expectTensor(tie.db1, matches: db, tolerance: 1e-12, "maxoutForward", "db1 from your forward's cache when the pieces tie",
                     hint: "on a tie the first piece counts as the larger: firstWins is 1 where z1 >= z2")
        expectTensor(tie.db2, matches: Tensor(shape: [2]), tolerance: 0, "maxoutForward", "db2 from your forward's cache when the pieces tie",
                     hint: "on a tie the first piece counts as the larger: firstWins is 1 where z1 >= z2")
    }

    // MARK: Loss layers

    func test_softmaxLoss_zeroScoresGiveLnC() throws {
        let (loss, dx) = try attempt { try softmaxLoss(Tensor(shape: [4, 10]), labels: [0, 3, 9, 3]) }
        expectClose(loss, log(10), tolerance: 1e-12, "softmaxLoss", "the loss of all-zero scores with 10 classes",
                    hint: "every probability is 1/10, and -ln(1/10) = ln 10 (natural log, mean over the batch)")
        var expected = Tensor(shape: [4, 10], repeating: 0.1 / 4)
        for (i, label) in [0, 3, 9, 3].enumerated() { expected[i, label] = (0.1 - 1) / 4 }
        expectTensor(dx, matches: expected, tolerance: 1e-15, "softmaxLoss", "dx of all-zero scores",
                     hint: "dx = (p - onehot(y)) / N")
    }

    func test_softmaxLoss_gradientCheck() throws {
        let scores = R.gaussian([8, 6], seed: 55), y = [0, 5, 2, 2, 1, 4, 3, 5]
        let (loss, dx) = try attempt { try softmaxLoss(scores, labels: y) }
        expectClose(loss, R.softmaxLoss(scores, y), tolerance: 1e-12, "softmaxLoss", "the loss of random scores",
                    hint: "the mean over the batch of -ln p of the true class")
        expectGradient(dx, R.gradient(of: { R.softmaxLoss($0, y) }, at: scores), below: 1e-8, "softmaxLoss", "dx",
                       hint: "dx = (p - onehot(y)) / N")
    }

    func test_softmaxLoss_numericallyStable() throws {
        let (loss, dx) = try attempt { try softmaxLoss(Tensor(shape: [1, 3], [1000, 0, -1000]), labels: [1]) }
        expectClose(loss, 1000, tolerance: 1e-9, "softmaxLoss", "the loss of scores (1000, 0, -1000) with label 1",
                    hint: "subtract each row's maximum before exp, and take ln(sum) - shifted true score, never ln(p)")
        expectTensor(dx, matches: Tensor(shape: [1, 3], [1, -1, 0]), tolerance: 1e-12, "softmaxLoss", "dx for (1000, 0, -1000)")
    }

    func test_svmLoss_zeroScoresGiveCMinusOne() throws {
        let (loss, dx) = try attempt { try svmLoss(Tensor(shape: [2, 4]), labels: [1, 3]) }
        expectClose(loss, 3, tolerance: 1e-12, "svmLoss", "the loss of all-zero scores with 4 classes",
                    hint: "each of the C - 1 wrong classes has margin 0 - 0 + 1 = 1")
        let expected = Tensor(shape: [2, 4], [0.5, -1.5, 0.5, 0.5, 0.5, 0.5, 0.5, -1.5])
        expectTensor(dx, matches: expected, tolerance: 1e-15, "svmLoss", "dx of all-zero scores",
                     hint: "each active margin adds 1/N to its class and -1/N to the true class")
    }

    func test_svmLoss_gradientCheck() throws {
        // Scores on a grid of 0.25 shifted by 0.1: no margin s_j - s_y + 1 is within 0.05 of 0.
        let y = [2, 0, 1, 3, 3]
        var rng = SeededGenerator(seed: 56)
        let scores = Tensor(shape: [5, 4], (0 ..< 20).map { i in Double(rng.integer(below: 16)) * 0.25 - 2 + (i % 4 == y[i / 4] ? 0.1 : 0) })
        let (loss, dx) = try attempt { try svmLoss(scores, labels: y) }
        expectClose(loss, R.svmLoss(scores, y), tolerance: 1e-12, "svmLoss", "the loss of grid scores",
                    hint: "sum over j != y of max(0, s_j - s_y + 1), mean over the batch")
        expectGradient(dx, R.gradient(of: { R.svmLoss($0, y) }, at: scores), below: 1e-8, "svmLoss", "dx",
                       hint: "count the active margins of each row for the true class")
    }

    func test_svmLoss_zeroMarginIsInactive() throws {
        // s_y = 1 and s_j = 0: the margin is exactly 0, which adds nothing to the loss or the gradient.
        let (loss, dx) = try attempt { try svmLoss(Tensor(shape: [1, 3], [0, 1, 2]), labels: [1]) }
        expectClose(loss, 2, tolerance: 1e-15, "svmLoss", "the loss of scores (0, 1, 2) with label 1")
        expectTensor(dx, matches: Tensor(shape: [1, 3], [0, -1, 1]), tolerance: 1e-15, "svmLoss", "dx of scores (0, 1, 2) with label 1",
                     hint: "a margin of exactly 0 is not active: use margin > 0")
    }

    func test_softmaxLoss_rejectsBadLabels() throws {
        let scores = Tensor(shape: [2, 3])
        _ = try attempt { try softmaxLoss(scores, labels: [0, 1]) }
        _ = try attempt { try svmLoss(scores, labels: [0, 1]) }
        for (labels, what) in [([0, 3], "label 3 with 3 classes"), ([0], "1 label for 2 examples"), ([-1, 0], "label -1")] {
            XCTAssertThrowsError(try softmaxLoss(scores, labels: labels), "softmaxLoss: \(what)")
            XCTAssertThrowsError(try svmLoss(scores, labels: labels), "svmLoss: \(what)")
        }
    }

    // MARK: Affine–ReLU sandwich

    func test_affineReLUForward_matchesTheLayers() throws {
        let x = R.gaussian([5, 3, 2], seed: 57), w = R.gaussian([6, 4], seed: 58), b = R.gaussian([4], seed: 59)
        let (out, _) = try attempt { try affineReLUForward(x, w, b) }
        expectTensor(out, matches: R.relu(R.affine(x, w, b)), tolerance: 1e-12, "affineReLUForward", "out",
                     hint: "affineForward, then reluForward on its output")
    }

    func test_affineReLUBackward_gradientCheck() throws {
        // Keep the affine outputs away from the ReLU's kink.
        var seed: UInt64 = 61
        var (x, w, b) = (R.gaussian([5, 6], seed: seed), R.gaussian([6, 4], seed: seed + 1), R.gaussian([4], seed: seed + 2))
        while R.affine(x, w, b).storage.map(abs).min()! < 0.05 {
            seed += 3
            (x, w, b) = (R.gaussian([5, 6], seed: seed), R.gaussian([6, 4], seed: seed + 1), R.gaussian([4], seed: seed + 2))
        }
        let dout = R.gaussian([5, 4], seed: 62)
        let cache = AffineReLUCache(affine: AffineCache(x: x, w: w, b: b), relu: ReLUCache(x: R.affine(x, w, b)))
        let (dx, dw, db) = try attempt { try affineReLUBackward(dout, cache: cache) }
        let f = { (x: Tensor, w: Tensor, b: Tensor) in R.relu(R.affine(x, w, b)) }
        let hint = "reluBackward first, then affineBackward: the forward's calls in reverse"
        expectGradient(dx, R.gradient(of: { f($0, w, b) }, at: x, upstream: dout), below: 1e-8, "affineReLUBackward", "dx", hint: hint)
        expectGradient(dw, R.gradient(of: { f(x, $0, b) }, at: w, upstream: dout), below: 1e-8, "affineReLUBackward", "dw", hint: hint)
        expectGradient(db, R.gradient(of: { f(x, w, $0) }, at: b, upstream: dout), below: 1e-8, "affineReLUBackward", "db", hint: hint)
    }
}
