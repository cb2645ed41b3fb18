import Foundation
import LinearAlgebra
import GradientCheck
import Training

// Chapter 4: learning-rate schedules, the lecture's three ways to anneal the learning rate over epochs.
//
// Each schedule is a value: its settings, and `rate(epoch:)`, which you write. The `Solver` asks for
// `learningRate(epoch:)` (the `LearningRateSchedule` protocol's requirement, given), which calls yours.
// Epochs count from 0, so every schedule starts at its initial rate.
// Source: the lecture "Training Neural Networks II" (annealing the learning rate: step decay,
// exponential decay, 1/t decay).

/// Step decay: the rate is multiplied by `factor` every `every` epochs:
/// lr(epoch) = initial · factor^⌊epoch / every⌋.
public struct StepDecay: LearningRateSchedule, Sendable {
    /// The rate during the first `every` epochs.
    public var initial: Double
    /// The factor applied at each step, e.g. 0.5 (halve) or 0.1.
    public var factor: Double
    /// The number of epochs between two steps, at least 1.
    public var every: Int

    /// - Parameters:
    ///   - initial: the rate of epoch 0.
    ///   - factor: the factor per step.
    ///   - every: epochs per step, at least 1 (checked by ``rate(epoch:)``).
    public init(initial: Double, factor: Double, every: Int) {
        self.initial = initial
        self.factor = factor
        self.every = every
    }

    /// initial · factor^⌊epoch / every⌋.
    /// - Throws: ``NeuralNetworkError/invalidSetting(name:value:requirement:)`` when `every` < 1 or `epoch` < 0.
    public func rate(epoch: Int) throws -> Double {
        try checkSchedule(epoch: epoch, every: every)
        return initial * Foundation.pow(factor, Double(epoch / every))
    }

    /// Given: ``rate(epoch:)``, for the `Solver`, which reports its error (a stub's "not implemented",
    /// an invalid setting) and stops training.
    public func learningRate(epoch: Int) throws -> Double { try rate(epoch: epoch) }
}

/// Exponential decay: lr(epoch) = initial · e^(−k · epoch).
public struct ExponentialDecay: LearningRateSchedule, Sendable {
    /// The rate of epoch 0.
    public var initial: Double
    /// The decay constant k >= 0, per epoch.
    public var k: Double

    /// - Parameters:
    ///   - initial: the rate of epoch 0.
    ///   - k: the decay constant per epoch.
    public init(initial: Double, k: Double) {
        self.initial = initial
        self.k = k
    }

    /// initial · e^(−k · epoch).
    /// - Throws: ``NeuralNetworkError/invalidSetting(name:value:requirement:)`` when `epoch` < 0.
    public func rate(epoch: Int) throws -> Double {
        try checkSchedule(epoch: epoch, every: 1)
        return initial * Foundation.exp(-k * Double(epoch))
    }

    /// Given: ``rate(epoch:)``, for the `Solver`, which reports its error (a stub's "not implemented",
    /// an invalid setting) and stops training.
    public func learningRate(epoch: Int) throws -> Double { try rate(epoch: epoch) }
}

/// 1/t decay: lr(epoch) = initial / (1 + k · epoch).
public struct InverseTimeDecay: LearningRateSchedule, Sendable {
    /// The rate of epoch 0.
    public var initial: Double
    /// The decay constant k >= 0, per epoch.
    public var k: Double

    /// - Parameters:
    ///   - initial: the rate of epoch 0.
    ///   - k: the decay constant per epoch.
    public init(initial: Double, k: Double) {
        self.initial = initial
        self.k = k
    }

    /// initial / (1 + k · epoch).
    /// - Throws: ``NeuralNetworkError/invalidSetting(name:value:requirement:)`` when `epoch` < 0.
    public func rate(epoch: Int) throws -> Double {
        try checkSchedule(epoch: epoch, every: 1)
        return initial / (1 + k * Double(epoch))
    }

    /// Given: ``rate(epoch:)``, for the `Solver`, which reports its error (a stub's "not implemented",
    /// an invalid setting) and stops training.
    public func learningRate(epoch: Int) throws -> Double { try rate(epoch: epoch) }
}

// MARK: - Given helpers

/// Throws unless the epoch is >= 0 and the step length >= 1.
func checkSchedule(epoch: Int, every: Int) throws {
    guard every >= 1 else {
        throw NeuralNetworkError.invalidSetting(name: "every", value: "\(every)", requirement: "at least 1 epoch")
    }
    guard epoch >= 0 else {
        throw NeuralNetworkError.invalidSetting(name: "epoch", value: "\(epoch)", requirement: "at least 0")
    }
}
