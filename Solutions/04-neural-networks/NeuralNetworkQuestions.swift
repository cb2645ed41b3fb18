import GradientCheck

// Chapter 4: the inline questions. Answer each one by replacing `throw NotImplemented()` with `return`
// and your answer; `swift test` and `swift run grade` check it like any other exercise. The questions
// come from the lecture "Training Neural Networks I" (activation functions, weight initialization,
// babysitting the learning process) and the chapter guide.

/// A property that may or may not belong to the sigmoid nonlinearity σ(x) = 1 / (1 + e^−x).
public enum SigmoidProperty: CaseIterable, Sendable {
    /// Saturated units (|x| large) have a local gradient near 0, which kills the gradient flowing back.
    case saturatedUnitsKillGradients
    /// Its outputs are all positive (not zero-centred), so the gradients on one unit's weights all
    /// have the same sign and the updates zig-zag.
    case outputsNotZeroCentred
    /// exp() is costly to compute, compared with max(0, x).
    case expIsCostly
    /// Its outputs grow without bound for large inputs.
    case outputsUnbounded
    /// It is not differentiable at x = 0.
    case notDifferentiableAtZero
    /// Its gradient is exactly 0 for every negative input.
    case zeroGradientForNegativeInputs
}

/// What happens when every weight of a net starts at 0.
public enum ZeroInitializationOutcome: CaseIterable, Sendable {
    /// The loss is NaN from the first step.
    case lossIsNaN
    /// Every unit of a layer computes the same output and gets the same gradient, so the units stay
    /// identical however long training runs (the symmetry is never broken).
    case unitsStayIdentical
    /// The gradients explode within a few steps.
    case gradientsExplode
    /// Training works, only more slowly than from random weights.
    case trainsMoreSlowly
}

/// What a "dead" ReLU unit is.
public enum DeadReLU: CaseIterable, Sendable {
    /// A unit whose input is negative for every training example: it outputs 0, its weights get no
    /// gradient, and it never recovers (too high a learning rate or an unlucky initialization).
    case inputNegativeForEveryExample
    /// A unit whose output is positive for every example, so it acts as a linear unit.
    case outputPositiveForEveryExample
    /// A unit whose weights have become NaN.
    case weightsAreNaN
    /// A unit whose input is exactly 0, where the gradient is not defined.
    case inputExactlyZero
}

public enum NeuralNetworkQuestions {
    /// Inline question 1: which of these are the three problems of the sigmoid that the lecture lists?
    public static func problemsOfTheSigmoid() throws -> Set<SigmoidProperty> {
        [.saturatedUnitsKillGradients, .outputsNotZeroCentred, .expIsCostly]
    }

    /// Inline question 2: why does a net whose weights all start at 0 fail to learn?
    public static func allZeroWeights() throws -> ZeroInitializationOutcome {
        .unitsStayIdentical
    }

    /// Inline question 3: what is a dead ReLU?
    public static func deadReLU() throws -> DeadReLU {
        .inputNegativeForEveryExample
    }

    /// Inline question 4: a softmax classifier (or a two-layer net) for 10 classes starts with tiny
    /// random weights and no regularization. What loss, in nats, should the first minibatch give?
    public static func initialLossWithTenClasses() throws -> Double {
        2.302585092994046
    }

    /// Inline question 5: the ratio of the size of an update to the size of the weights (‖lr · dW‖ / ‖W‖)
    /// that the lecture calls healthy is about 10 to the power of what?
    public static func healthyUpdateToWeightRatioExponent() throws -> Int {
        -3
    }

    /// Inline question 6: which initialization keeps the activations of ten tanh layers of 500 units
    /// alive (neither vanishing to 0 nor saturated at ±1)?
    public static func initializationForTanh() throws -> WeightInitialization {
        .xavier
    }

    /// Inline question 7: and which one do ten ReLU layers need?
    public static func initializationForReLU() throws -> WeightInitialization {
        .he
    }
}
