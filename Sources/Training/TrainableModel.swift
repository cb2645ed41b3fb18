import LinearAlgebra

// What the given training code (the `Solver`, checkpoints, the hyperparameter search) needs from the
// workbook's models, update rules and schedules (chapters 4 to 6). The workbook implements these
// protocols; this module never sees the student's code, only the protocols.
//
// Parameters and their gradients travel by name ("W1", "b1", "gamma1", …): a model's `parameters` and
// the gradients its `loss` returns have the same names and shapes, and the `Solver` keeps one copy of the
// update rule, with its own state, per name.

/// A classifier that the `Solver` can train: named parameters, a training loss with the gradient of every
/// parameter, and test-time scores.
///
/// Models with state outside their parameters (batch normalization's running averages, a dropout mask's
/// generator) update it in `loss`, which is `mutating` for that reason.
public protocol TrainableModel {
    /// Every learnable parameter, by name.
    var parameters: [String: Tensor] { get set }

    /// The training loss on a labelled batch and the gradient of every parameter.
    /// - Parameters:
    ///   - x: a batch, shape (N, d1, …, dk): (N, D) rows for fully connected nets, (N, C, H, W) images for convnets.
    ///   - labels: N labels in 0 ..< C.
    /// - Returns: the loss (mean over the batch plus the regularization, in nats) and one gradient per
    ///   parameter, with the parameter's name and shape.
    mutating func loss(_ x: Tensor, labels: [Int]) throws -> (loss: Double, gradients: [String: Tensor])

    /// Test-time class scores, shape (N, C), for a batch shaped as in ``loss(_:labels:)``.
    func scores(_ x: Tensor) throws -> Tensor
}

/// A rule that turns one parameter's gradient into a step, keeping that parameter's state (a velocity,
/// a running average of squared gradients, Adam's moments and step count).
///
/// The `Solver` gives each parameter a copy of the rule it was handed, so a value type's stored state is
/// per parameter by construction; a rule starts with empty state and sizes it on its first step.
public protocol UpdateRule {
    /// One step: `w` moves against `dw`, scaled by `learningRate`; the rule's state advances by one step.
    /// - Parameters:
    ///   - w: the parameter, updated in place.
    ///   - dw: its gradient, the shape of `w`.
    ///   - learningRate: the step size for this step (the schedule's current value).
    /// - Throws: when `dw` does not have the shape of `w` (or of the state from earlier steps).
    mutating func update(_ w: inout Tensor, gradient dw: Tensor, learningRate: Double) throws
}

/// A learning rate that changes with training progress.
public protocol LearningRateSchedule {
    /// The learning rate to use during epoch `epoch` (0 for the first epoch).
    /// - Throws: when the schedule cannot give one (a stub's `NotImplemented`, an invalid setting); the
    ///   `Solver` stops training with that error.
    func learningRate(epoch: Int) throws -> Double
}
