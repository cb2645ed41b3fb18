import LinearAlgebra
import GradientCheck
import Workbook

// Chapter 3 (Exercises/03-backpropagation), given code built on the exercises: the lecture's
// tiny two-layer sigmoid network, trained with the autograd `Value`.
//
// The lecture shows that training a two-layer network takes about eleven lines of NumPy, on four
// 3-bit examples whose target is 1 when the first two bits differ (exclusive or). Here the same network
// is written one number at a time with `Value`, so that every gradient comes from the student's
// backward rules and topological sort. Source: the lecture "Backpropagation and Neural Networks".

/// A network with 3 inputs, one hidden layer of sigmoid units and one sigmoid output, trained by plain
/// gradient descent on the squared error of four examples.
///
/// The setup, exactly:
/// - examples x: (0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 1), targets y: 0, 1, 1, 0. The third input is
///   always 1 and plays the role of the hidden units' bias; there are no other biases.
/// - hidden unit j: h_j = σ(Σ_i x_i W1[i][j]); output: ŷ = σ(Σ_j h_j W2[j]).
/// - loss L = Σ over the four examples of (ŷ - y)^2 (a sum, no factor 1/2).
/// - initial weights uniform in [-1, 1), drawn from a ``SeededGenerator`` with the given seed, W1 row by
///   row and then W2.
/// - a step: build L from the current weights, `backward()`, then w -= learningRate * dL/dw for every weight.
///
/// The weights are `Value` leaves (objects) that every step's graph shares and that training updates
/// in place, which is why the network is a class.
public final class TinySigmoidNetwork {
    /// The four examples, each 3 bits; the last bit is the constant bias input.
    public static let examples: [[Double]] = [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]]
    /// Their targets: 1 when the first two bits differ.
    public static let targets: [Double] = [0, 1, 1, 0]

    /// W1, 3 rows (inputs) by `hiddenUnits` columns.
    public let hiddenWeights: [[Value]]
    /// W2, one weight per hidden unit.
    public let outputWeights: [Value]

    /// A network with `hiddenUnits` hidden sigmoid units and weights uniform in [-1, 1) drawn with `seed`.
    /// - Precondition: `hiddenUnits >= 1`.
    public init(hiddenUnits: Int = 4, seed: UInt64) {
        require(hiddenUnits >= 1, "TinySigmoidNetwork: at least one hidden unit, not \(hiddenUnits)")
        var rng = SeededGenerator(seed: seed)
        hiddenWeights = (0 ..< 3).map { i in
            (0 ..< hiddenUnits).map { j in Value(rng.uniform(-1, 1), label: "W1[\(i)][\(j)]") }
        }
        outputWeights = (0 ..< hiddenUnits).map { j in Value(rng.uniform(-1, 1), label: "W2[\(j)]") }
    }

    /// Every weight, W1 row by row and then W2.
    public var parameters: [Value] { hiddenWeights.flatMap { $0 } + outputWeights }

    /// The output ŷ for one example of 3 inputs, as a Value whose graph reaches back to the weights.
    /// - Precondition: `x.count == 3`.
    public func predict(_ x: [Double]) -> Value {
        require(x.count == 3, "TinySigmoidNetwork.predict: 3 inputs, not \(x.count)")
        let hidden = outputWeights.indices.map { j in
            (1 ..< 3).reduce(x[0] * hiddenWeights[0][j]) { sum, i in sum + x[i] * hiddenWeights[i][j] }.sigmoid()
        }
        return hidden.indices.dropFirst().reduce(hidden[0] * outputWeights[0]) { sum, j in
            sum + hidden[j] * outputWeights[j]
        }.sigmoid()
    }

    /// The training loss Σ (ŷ - y)^2 over the four examples, as a Value.
    public func loss() -> Value {
        let errors = zip(Self.examples, Self.targets).map { x, y in predict(x) - y }
        return errors.dropFirst().reduce(errors[0] * errors[0]) { sum, e in sum + e * e }
    }

    /// Gradient descent until the loss is below `targetLoss`.
    ///
    /// - Parameters:
    ///   - learningRate: the step size.
    ///   - targetLoss: training stops as soon as the loss is below it.
    ///   - maxSteps: the most gradient steps to take.
    ///   - progress: called with (steps taken so far, loss) for the initial loss and after every step.
    /// - Returns: the number of gradient steps taken to bring the loss below `targetLoss`.
    /// - Throws: ``BackpropError/didNotConverge(steps:loss:target:)`` after `maxSteps` steps without
    ///   reaching it, or `NotImplemented` while the autograd's exercises are stubs.
    public func train(learningRate: Double, targetLoss: Double = 0.01, maxSteps: Int = 10_000,
                      progress: (_ step: Int, _ loss: Double) -> Void = { _, _ in }) throws -> Int {
        var loss = self.loss()
        var steps = 0
        progress(steps, loss.data)
        while !(loss.data < targetLoss) {     // written so that a NaN loss does not count as converged
            guard steps < maxSteps else {
                throw BackpropError.didNotConverge(steps: steps, loss: loss.data, target: targetLoss)
            }
            try loss.backward()
            for weight in parameters { weight.data -= learningRate * weight.grad }
            steps += 1
            loss = self.loss()
            progress(steps, loss.data)
        }
        return steps
    }
}
