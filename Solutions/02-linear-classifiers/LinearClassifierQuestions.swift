import GradientCheck

// Chapter 2: the inline questions. Answer each one by replacing `throw NotImplemented()` with `return`
// and your answer; `swift test` and `swift run grade` check it like any other exercise. The questions
// come from the lecture "Loss functions and optimization"; the guide says more.

/// How a loss moves when a score changes a little.
public enum LossChange: CaseIterable, Sendable {
    case decreases
    case unchanged
    case increases
}

public enum LinearClassifierQuestions {
    /// Inline question 1: over all possible scores, the smallest and the largest value the multiclass
    /// SVM (hinge) loss of one example can take. Write `.infinity` for a value without bound.
    public static func hingeLossRange() throws -> (minimum: Double, maximum: Double) {
        (0, .infinity)
    }

    /// Inline question 2: at the start of training W is tiny, so every score is about 0. What is the SVM
    /// data loss of one example then, with CIFAR-10's C = 10 classes? (The lecture's sanity check for
    /// the first loss a training run prints.)
    public static func hingeLossAtZeroScores() throws -> Double {
        9
    }

    /// Inline question 3: the softmax (cross-entropy, natural logarithm) data loss of one example when all
    /// C = 10 scores are 0. Give it to at least four decimals.
    public static func softmaxLossAtZeroScores() throws -> Double {
        2.302585
    }

    /// Inline question 4: a weight matrix W gives an SVM data loss of exactly 0 on a training set. What
    /// is the data loss of 2W on the same set?
    public static func hingeLossAfterDoublingZeroLossWeights() throws -> Double {
        0
    }

    /// Inline question 5: an example's correct class already beats every other class by more than the
    /// margin 1. Its correct-class score is raised a little. How do the SVM loss and the softmax loss of
    /// that example change?
    public static func lossChangesWhenTheCorrectScoreRises() throws -> (svm: LossChange, softmax: LossChange) {
        (.unchanged, .decreases)
    }
}
