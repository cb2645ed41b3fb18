import GradientCheck

// Chapter 5: the inline questions. Answer each one by replacing `throw NotImplemented()` with `return`
// and your answer; `swift test` and `swift run grade` check it like any other exercise. They come from
// the lecture "Neural Networks: Training" (dropout) and from Ioffe & Szegedy 2015; the guide says more.

/// Why the gap between training and validation accuracy narrows when a net is trained with dropout.
public enum DropoutGapReason: CaseIterable, Sendable {
    /// Dropout adds training images: each thinned net sees new examples.
    case moreTrainingExamples
    /// Dropout regularizes: a unit cannot rely on particular other units being there, so the net cannot
    /// memorize the training images through co-adapted units; training accuracy falls towards the
    /// validation accuracy, which holds or rises.
    case preventsCoAdaptation
    /// Dropout makes each step larger, so training ends earlier, before the net overfits.
    case largerSteps
    /// Dropout at test time removes the units that overfit.
    case removesOverfittedUnitsAtTestTime
}

/// What a net trained with (inverted) dropout computes when it is used at test time without dropout.
public enum TestTimeDropoutNet: CaseIterable, Sendable {
    /// One of the thinned nets, chosen at random.
    case oneRandomThinnedNet
    /// An approximation of the average prediction of all the exponentially many thinned nets that share
    /// its weights: an ensemble evaluated in one pass.
    case averageOfThinnedNets
    /// The thinned net that did best on the training data.
    case bestThinnedNet
    /// A net with p times fewer hidden units.
    case smallerNet
}

public enum DropoutQuestions {
    /// Inline question 1: dropout with keep probability p = 0.75 is applied at training time only, with no
    /// scaling anywhere (kept units pass unchanged, and the test pass does nothing). A hidden unit's value
    /// before dropout is x = 2. What is its expected output in training, and its output at test time?
    public static func expectedOutputsWithoutScaling() throws -> (training: Double, test: Double) {
        (training: 1.5, test: 2)
    }

    /// Inline question 2: in the chapter program's experiment (500 training images, keep probability
    /// 1.0 down to 0.25) the gap between training and validation accuracy narrows as p falls. Why?
    public static func whyTheGapNarrows() throws -> DropoutGapReason {
        .preventsCoAdaptation
    }

    /// Inline question 3: what does the trained net compute at test time, when no unit is dropped?
    public static func testTimeNet() throws -> TestTimeDropoutNet {
        .averageOfThinnedNets
    }

    /// Inline question 4: an affine layer x W feeds a train-mode batch normalization (gamma 1, beta 0);
    /// ignore eps. The weights W are multiplied by 10. By what factor does the batch-normalized output
    /// change, and by what factor does the gradient of the loss with respect to W change? (This is why a
    /// net with batch normalization is far less sensitive to the initial weight scale.)
    public static func effectOfScalingWeightsBeforeBatchNorm() throws -> (outputFactor: Double, weightGradientFactor: Double) {
        (outputFactor: 1, weightGradientFactor: 0.1)
    }
}
