import Foundation
import LinearAlgebra
import GradientCheck

// Chapter 4: weight initialization, the lecture's three choices for a layer's (fanIn, fanOut) weights.
//
// Why the weights cannot all start at 0 is inline question 2. Random weights are the answer, and their
// scale decides whether the activations of a deep net survive: with 0.01 · randn each tanh layer
// shrinks them until the gradients vanish; with 1 · randn the units saturate at ±1; dividing by √fanIn
// keeps the variance of a layer's output equal to its input's (Xavier), and ReLU, which zeroes half of
// its inputs, needs twice that variance (He).
// Sources: the lecture "Training Neural Networks I" (weight initialization); Glorot & Bengio 2010
// (Xavier), He, Zhang, Ren & Sun 2015 (He, "Delving deep into rectifiers").

/// How the weights of a layer with `fanIn` inputs and `fanOut` outputs are drawn (biases start at 0).
public enum WeightInitialization: Sendable, Equatable {
    /// scale · randn, 0.01 · randn by default: fine for small nets, vanishing activations in deep ones.
    case smallRandom(scale: Double = 0.01)
    /// randn / √fanIn: keeps the variance through tanh layers (Glorot & Bengio 2010).
    case xavier
    /// randn / √(fanIn / 2): keeps the variance through ReLU layers (He et al. 2015).
    case he

    /// The weights of one layer, shape (fanIn, fanOut).
    ///
    /// Every entry is a standard normal draw times the initialization's scale; the draws are those of
    /// `Tensor.gaussian([fanIn, fanOut], using: &generator)`, in row-major order, so the same seed gives
    /// the same weights and the generator moves on by fanIn · fanOut draws.
    /// - Parameters:
    ///   - fanIn: the layer's inputs (D), at least 1.
    ///   - fanOut: the layer's outputs (M), at least 1.
    ///   - generator: the seeded generator the draws come from.
    /// - Returns: a tensor of shape (fanIn, fanOut).
    /// - Throws: ``NeuralNetworkError/invalidSetting(name:value:requirement:)`` when fanIn or fanOut < 1.
    public func weights(fanIn: Int, fanOut: Int, using generator: inout SeededGenerator) throws -> Tensor {
        for (name, value) in [("fanIn", fanIn), ("fanOut", fanOut)] where value < 1 {
            throw NeuralNetworkError.invalidSetting(name: name, value: "\(value)", requirement: "at least 1")
        }
        let standardDeviation: Double
        switch self {
        case let .smallRandom(scale): standardDeviation = scale
        case .xavier: standardDeviation = 1 / Double(fanIn).squareRoot()
        case .he: standardDeviation = 1 / (Double(fanIn) / 2).squareRoot()
        }
        return Tensor.gaussian([fanIn, fanOut], standardDeviation: standardDeviation, using: &generator)
    }
}
