import XCTest
import LinearAlgebra
import GradientCheck
@testable import Workbook

/// Chapter 5, inline questions: Exercises/05-dropout/DropoutQuestions.swift. Where the answer can be computed,
/// the test computes it from the definitions (DropoutReference); otherwise it compares a digest (see
/// Support/AnswerKey.swift).
extension DropoutTests {
    func test_inlineQuestion1_expectedOutputsWithoutScaling() throws {
        let answer = try attempt { try DropoutQuestions.expectedOutputsWithoutScaling() }
        // Computed: the two outcomes of one unit, kept (probability p, value x) or dropped (1 − p, value 0).
        let (p, x) = (0.75, 2.0)
        let training = p * x + (1 - p) * 0
        expectAnswer(abs(answer.training - training) < 1e-9 && abs(answer.test - x) < 1e-9, "inlineQuestion1",
                     yourAnswer: "(training: \(format(answer.training)), test: \(format(answer.test)))",
                     hint: "average the kept and the dropped outcome, weighted by their probabilities; at test time nothing happens to x")
    }

    func test_inlineQuestion2_whyTheGapNarrows() throws {
        try expectAnswer(DropoutQuestions.whyTheGapNarrows(), "inlineQuestion2", digest: "f250e186528561e0", question: "dropout.2", shown: { ".\($0)" },
                         hint: "look at which of the two curves moves in dropout.svg: does validation accuracy rise, or training accuracy fall?")
    }

    func test_inlineQuestion3_testTimeNet() throws {
        try expectAnswer(DropoutQuestions.testTimeNet(), "inlineQuestion3", digest: "f27347740f11c91d", question: "dropout.3", shown: { ".\($0)" },
                         hint: "every training step trains a different thinned net, all sharing one set of weights")
    }

    func test_inlineQuestion4_effectOfScalingWeightsBeforeBatchNorm() throws {
        let answer = try attempt { try DropoutQuestions.effectOfScalingWeightsBeforeBatchNorm() }
        // Computed: batch normalization of x W and of x (10 W), and the numerical gradients of
        // L(W) = Σ dout · BN(x W) at both (eps negligible: 1e-12).
        var rng = SeededGenerator(seed: 530)
        let x = Matrix.gaussian(16, 4, using: &rng), w = Matrix.gaussian(4, 3, using: &rng)
        let dout = DropoutReference.upstream(16, 3, seed: 531)
        func normalized(_ w: Matrix) -> Matrix {
            DropoutReference.batchNorm(matmul(x, w), gamma: [1, 1, 1], beta: [0, 0, 0], epsilon: 1e-12).out
        }
        func norm(_ m: Matrix) -> Double { m.squared.sum().squareRoot() }
        let outputFactor = norm(normalized(w * 10)) / norm(normalized(w))
        let gradient = { (w: Matrix) in numericalGradient(of: normalized, at: w, upstream: dout, step: 1e-6 * norm(w)) }
        let gradientFactor = norm(gradient(w * 10)) / norm(gradient(w))
        expectAnswer(abs(answer.outputFactor - outputFactor) < 1e-3, "inlineQuestion4", yourAnswer: "outputFactor \(format(answer.outputFactor))",
                     hint: "batch normalization divides by the standard deviation of x W: what happens to it when W is 10 times larger?")
        expectAnswer(abs(answer.weightGradientFactor - gradientFactor) < 1e-3, "inlineQuestion4",
                     yourAnswer: "weightGradientFactor \(format(answer.weightGradientFactor))",
                     hint: "if L(10 W) = L(W) for every W, differentiate both sides with respect to W")
    }
}
