import XCTest
import LinearAlgebra
@testable import Workbook

/// Chapter 2, inline questions: Exercises/02-linear-classifiers/LinearClassifierQuestions.swift. Every expected answer is
/// computed here from the reference losses, on scores given directly (W = identity, x = the scores).
extension LinearClassifierTests {
    /// The reference SVM and softmax data losses of one example with the given scores and true class.
    private func losses(_ scores: [Double], correct: Int) -> (svm: Double, softmax: Double) {
        let x = Matrix(row: scores)
        let w = Matrix.identity(scores.count)
        return (Reference.svmLoss(w, x, [correct], reg: 0, .l2).loss, Reference.softmaxLoss(w, x, [correct], reg: 0, .l2).loss)
    }

    func test_inlineQuestion1_hingeLossRange() throws {
        let answer = try attempt { try LinearClassifierQuestions.hingeLossRange() }
        let winning = losses([1e6, 0, 0], correct: 0).svm                      // the correct class far ahead
        let (small, large) = (losses([-1e3, 0, 0], correct: 0).svm, losses([-1e6, 0, 0], correct: 0).svm)
        let maximum = large > 100 * small ? Double.infinity : large            // grows with the gap: no bound
        expectAnswer(abs(answer.minimum - winning) < 1e-9, "inlineQuestion1", yourAnswer: "minimum \(format(answer.minimum))",
                     hint: "every term is max(0, …): what if the correct class wins by more than the margin?")
        expectAnswer(answer.maximum == maximum, "inlineQuestion1", yourAnswer: "maximum \(format(answer.maximum))",
                     hint: "how large can s_j - s_y + 1 get when the correct score is very negative? (.infinity means no bound)")
    }

    func test_inlineQuestion2_hingeLossAtZeroScores() throws {
        let answer = try attempt { try LinearClassifierQuestions.hingeLossAtZeroScores() }
        expectAnswer(abs(answer - losses(Array(repeating: 0, count: 10), correct: 3).svm) < 1e-9, "inlineQuestion2",
                     yourAnswer: format(answer), hint: "with all scores equal, what does one wrong class contribute, and how many wrong classes are there?")
    }

    func test_inlineQuestion3_softmaxLossAtZeroScores() throws {
        let answer = try attempt { try LinearClassifierQuestions.softmaxLossAtZeroScores() }
        expectAnswer(abs(answer - losses(Array(repeating: 0, count: 10), correct: 3).softmax) < 1e-4, "inlineQuestion3",
                     yourAnswer: format(answer), hint: "all probabilities are equal; the loss is -ln of the correct one (natural log)")
    }

    func test_inlineQuestion4_hingeLossAfterDoublingZeroLossWeights() throws {
        let answer = try attempt { try LinearClassifierQuestions.hingeLossAfterDoublingZeroLossWeights() }
        let (x, y) = Reference.clusters(40, 4, classes: 3, seed: 61)
        // Weights with zero data loss on these clusters: scale up class means until every margin holds.
        var w = Matrix.zeros(x.cols, 3)
        for c in 0 ..< 3 {
            let members = y.indices.filter { y[$0] == c }
            let mean = x.rows(at: members).mean(axis: 0)
            for p in 0 ..< x.cols { w[p, c] = mean[0, p] }
        }
        var scale = 1.0
        while Reference.svmLoss(w * scale, x, y, reg: 0, .l2).loss > 0 && scale < 1e9 { scale *= 2 }
        XCTAssertEqual(Reference.svmLoss(w * scale, x, y, reg: 0, .l2).loss, 0, "the test needs weights with zero loss")
        expectAnswer(abs(answer - Reference.svmLoss(2 * scale * w, x, y, reg: 0, .l2).loss) < 1e-9, "inlineQuestion4",
                     yourAnswer: format(answer), hint: "doubling W doubles every score difference: what happens to margins already above 1?")
    }

    func test_inlineQuestion5_lossChangesWhenTheCorrectScoreRises() throws {
        let answer = try attempt { try LinearClassifierQuestions.lossChangesWhenTheCorrectScoreRises() }
        let before = losses([5, 1, -2], correct: 0)
        let after = losses([5.1, 1, -2], correct: 0)
        func change(_ a: Double, _ b: Double) -> LossChange { b < a ? .decreases : (b > a ? .increases : .unchanged) }
        expectAnswer(answer.svm == change(before.svm, after.svm), "inlineQuestion5", yourAnswer: "svm: .\(answer.svm)",
                     hint: "the hinge is flat once the margin is met")
        expectAnswer(answer.softmax == change(before.softmax, after.softmax), "inlineQuestion5", yourAnswer: "softmax: .\(answer.softmax)",
                     hint: "a softmax probability is never exactly 1")
    }
}
