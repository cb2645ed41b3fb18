import Foundation
import LinearAlgebra

// Given code of chapter 5 (Exercises/05-dropout): its error type, the train/test switch of the layers
// that behave differently at test time, batch normalization's running averages, the caches that the
// forward passes fill and the backward passes read, and the input checks that open its exercises.

/// The clear errors of the dropout and batch-normalization chapter (bad input is reported, never trapped).
public enum DropoutError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A keep probability outside (0, 1]: p is the probability of keeping a unit, so 0 would drop
    /// everything (and divide by 0) and a value above 1 is no probability.
    case invalidKeepProbability(Double)
    /// An upstream gradient (or a second input) whose shape differs from the forward pass's.
    case shapeMismatch(operation: String, expected: String, actual: String)
    /// Batch normalization's input is not (N, D), or gamma, beta or the running averages do not have D entries.
    case featureMismatch(operation: String, expected: String, actual: String)
    /// A train-mode batch normalization of fewer than two examples: the batch variance of one example is
    /// 0, every output would be beta, and its gradient would flow through 1 / sqrt(eps) alone.
    case batchTooSmall(operation: String, batchSize: Int)
    /// A backward pass from a cache its forward pass made in test mode, where nothing is trained.
    case backwardAfterTestMode(operation: String)
    /// A setting outside its range: a momentum outside [0, 1), an epsilon that is not positive, a hidden
    /// size of 0.
    case invalidSetting(name: String, value: String, requirement: String)

    public var description: String {
        switch self {
        case let .invalidKeepProbability(p):
            return "keep probability \(p) is not in (0, 1]: p is the probability of KEEPING a unit " +
                "(1 keeps all of them, 0.5 drops half); p = 0 would drop every unit and divide by 0"
        case let .shapeMismatch(operation, expected, actual):
            return "\(operation): expected \(expected), got \(actual)"
        case let .featureMismatch(operation, expected, actual):
            return "\(operation): expected \(expected), got \(actual)"
        case let .batchTooSmall(operation, batchSize):
            return "\(operation): a batch of \(batchSize) example\(batchSize == 1 ? "" : "s") in train mode; batch " +
                "normalization needs at least 2 (the variance of one example is 0, so every output would be beta " +
                "and the gradient would be divided by sqrt(eps) alone): use a larger minibatch, or test mode"
        case let .backwardAfterTestMode(operation):
            return "\(operation): the cache comes from a test-mode forward pass; backward needs a train-mode one " +
                "(at test time the layer uses fixed running averages and nothing is trained)"
        case let .invalidSetting(name, value, requirement):
            return "\(name) = \(value): it must be \(requirement)"
        }
    }
}

/// Whether a layer runs as in training or as at test time. Dropout drops units only in `.train`;
/// batch normalization uses the batch's statistics in `.train` and its running averages in `.test`.
public enum LayerMode: String, Sendable, Equatable, CaseIterable {
    /// Training: dropout draws a mask, batch normalization normalizes by the batch and updates its averages.
    case train
    /// Test time: dropout is the identity (inverted dropout), batch normalization uses its running averages.
    case test
}

/// What batch normalization keeps between calls: the running averages of each feature's mean and
/// variance, which a train-mode forward pass updates and a test-mode pass uses, and the two settings.
///
/// After each train-mode pass: running = momentum · running + (1 − momentum) · batch statistic.
/// The averages start at mean 0 and variance 1 (the identity before any training; the course's
/// starter code starts the variance at 0).
/// - Source: Ioffe & Szegedy 2015, "Batch Normalization", section 3.1 (population statistics for
///   inference, here as exponential moving averages).
public struct BatchNormState: Equatable, Sendable {
    /// The running average of each feature's batch mean, shape (D,).
    public var runningMean: Tensor
    /// The running average of each feature's (biased, divide-by-N) batch variance, shape (D,).
    public var runningVariance: Tensor
    /// How much of the old average each train-mode pass keeps, in [0, 1); 0.9 by default.
    public let momentum: Double
    /// Added to the variance before the square root, > 0; 1e-5 by default.
    public let epsilon: Double

    /// Fresh averages for `features` features (mean 0, variance 1).
    /// - Throws: ``DropoutError/invalidSetting(name:value:requirement:)`` when `features` < 1, `momentum`
    ///   is outside [0, 1) or `epsilon` is not positive.
    public init(features: Int, momentum: Double = 0.9, epsilon: Double = 1e-5) throws {
        guard features >= 1 else {
            throw DropoutError.invalidSetting(name: "features", value: "\(features)", requirement: "at least 1")
        }
        guard momentum >= 0 && momentum < 1 else {
            throw DropoutError.invalidSetting(name: "momentum", value: "\(momentum)", requirement: "in [0, 1)")
        }
        guard epsilon > 0 && epsilon.isFinite else {
            throw DropoutError.invalidSetting(name: "epsilon", value: "\(epsilon)", requirement: "a positive number")
        }
        runningMean = Tensor(shape: [features], repeating: 0)
        runningVariance = Tensor(shape: [features], repeating: 1)
        self.momentum = momentum
        self.epsilon = epsilon
    }

    /// The number of features D.
    public var features: Int { runningMean.count }
}

// MARK: - Caches

/// What `dropoutBackward(_:cache:)` needs from the forward pass: the mask it applied.
public struct DropoutCache: Sendable {
    /// The mask of a train-mode pass, the shape of x: 1/p where a unit was kept, 0 where it was
    /// dropped. `nil` after a test-mode pass, which is the identity.
    public let mask: Tensor?

    /// A cache holding `mask` (entries 0 or 1/p), or `nil` for a test-mode pass.
    public init(mask: Tensor?) { self.mask = mask }
}

/// What the batch-normalization backward passes need from a train-mode forward pass.
public struct BatchNormCache: Sendable {
    /// x − mean, the centred inputs, shape (N, D).
    public let centered: Tensor
    /// x̂ = (x − mean) / sqrt(var + eps), the normalized inputs, shape (N, D).
    public let normalized: Tensor
    /// 1 / sqrt(var + eps) of each feature, shape (D,).
    public let inverseStandardDeviation: Tensor
    /// The scale gamma the forward pass used, with its shape ((D,) or (1, D)).
    public let gamma: Tensor
    /// The mode of the forward pass; a backward pass needs `.train`.
    public let mode: LayerMode

    /// A cache from its parts (the forward pass makes it; tests may too).
    public init(centered: Tensor, normalized: Tensor, inverseStandardDeviation: Tensor, gamma: Tensor, mode: LayerMode) {
        self.centered = centered
        self.normalized = normalized
        self.inverseStandardDeviation = inverseStandardDeviation
        self.gamma = gamma
        self.mode = mode
    }
}

// MARK: - Checks

/// Throws ``DropoutError/invalidKeepProbability(_:)`` unless 0 < p <= 1.
public func checkKeepProbability(_ p: Double) throws {
    guard p > 0 && p <= 1 else { throw DropoutError.invalidKeepProbability(p) }
}

/// Throws ``DropoutError/shapeMismatch(operation:expected:actual:)`` unless `dout` has `shape`.
public func checkUpstreamShape(_ dout: Tensor, _ shape: [Int], _ operation: String) throws {
    guard dout.shape == shape else {
        throw DropoutError.shapeMismatch(operation: operation,
                                         expected: "dout of the shape of the output \(Tensor(shape: shape).shapeDescription)",
                                         actual: dout.shapeDescription)
    }
}

/// Throws unless x is (N, D), gamma and beta have D entries each (shape (D,) or (1, D)), the state has
/// D features, and a train-mode batch has at least two examples (a test-mode batch may have one).
public func checkBatchNormInputs(_ x: Tensor, gamma: Tensor, beta: Tensor, mode: LayerMode,
                                 state: BatchNormState, _ operation: String) throws {
    guard x.rank == 2 else {
        throw DropoutError.featureMismatch(operation: operation, expected: "x of shape (N, D)", actual: "x \(x.shapeDescription)")
    }
    let d = x.shape[1]
    for (name, t) in [("gamma", gamma), ("beta", beta)] {
        guard t.count == d, t.rank == 1 || (t.rank == 2 && t.shape[0] == 1) else {
            throw DropoutError.featureMismatch(operation: operation, expected: "\(name) of shape (\(d),) for x \(x.shapeDescription)",
                                               actual: "\(name) \(t.shapeDescription)")
        }
    }
    guard state.features == d else {
        throw DropoutError.featureMismatch(operation: operation, expected: "running averages of \(d) features for x \(x.shapeDescription)",
                                           actual: "\(state.features) features")
    }
    if mode == .train && x.shape[0] < 2 {
        throw DropoutError.batchTooSmall(operation: operation, batchSize: x.shape[0])
    }
}

/// Throws unless `cache` comes from a train-mode forward pass and `dout` has its output's shape (N, D).
public func checkBatchNormBackward(_ dout: Tensor, _ cache: BatchNormCache, _ operation: String) throws {
    guard cache.mode == .train else { throw DropoutError.backwardAfterTestMode(operation: operation) }
    try checkUpstreamShape(dout, cache.normalized.shape, operation)
}
