import Foundation
import LinearAlgebra
import GradientCheck
import Training

// Chapter 4: a two-layer fully connected net, affine – ReLU – affine – softmax.
//
// The linear classifier's scores x W become affine(ReLU(affine(x))): the first layer's hidden units
// learn features (the "templates" of chapter 2 become many), the second scores the classes from them.
// Its loss is a short sequence of forward calls and then the same layers' backward calls in reverse.
// Regularization follows chapter 2: L2 penalty λ Σ W² on the weights (W1 and W2, never the biases),
// whose gradient is 2 λ W. (The lecture writes ½ λ Σ W², gradient λ W: the same model at half the λ,
// which is why its sanity check's 3.07 is 3.84 here; see the chapter guide.)
// Source: the lecture "Neural Networks: Architecture" and "Training Neural Networks I" (sanity checks).

/// A two-layer net for C classes: scores = ReLU(x W1 + b1) W2 + b2, trained with the softmax loss.
///
/// Parameters by name: "W1" (D, H), "b1" (H,), "W2" (H, C), "b2" (C,), where D is the input size,
/// H the hidden size and C the number of classes. An update rule keeps one state per name.
public struct TwoLayerNet: TrainableModel, Sendable {
    /// "W1", "b1", "W2", "b2", with the shapes above.
    public var parameters: [String: Tensor]
    /// λ >= 0, the L2 regularization strength (penalty λ Σ W² on W1 and W2).
    public var reg: Double

    /// The input size D (the rows of W1).
    public var inputSize: Int { parameters["W1"]?.shape.first ?? 0 }
    /// The hidden size H (the columns of W1).
    public var hiddenSize: Int { parameters["W1"]?.shape.last ?? 0 }
    /// The number of classes C (the columns of W2).
    public var classCount: Int { parameters["W2"]?.shape.last ?? 0 }

    /// A net with small random weights and zero biases (given code).
    ///
    /// W1 = weightScale · randn(D, H), then W2 = weightScale · randn(H, C), drawn in that order
    /// (row-major) from `SeededGenerator(seed: seed)`; b1 and b2 are zeros.
    /// - Parameters:
    ///   - inputSize: D, at least 1 (3,072 for a CIFAR-10 image).
    ///   - hiddenSize: H, at least 1.
    ///   - classCount: C, at least 2.
    ///   - weightScale: the standard deviation of the initial weights, 1e-4 by default (tiny weights, so
    ///     that the initial loss is near ln C).
    ///   - reg: λ >= 0.
    ///   - seed: fixes the initial weights.
    /// - Throws: ``NeuralNetworkError/invalidSetting(name:value:requirement:)`` naming the first size or
    ///   setting out of range.
    public init(inputSize: Int, hiddenSize: Int, classCount: Int, weightScale: Double = 1e-4, reg: Double = 0,
                seed: UInt64 = 0) throws {
        for (name, value, least) in [("inputSize", inputSize, 1), ("hiddenSize", hiddenSize, 1), ("classCount", classCount, 2)]
        where value < least {
            throw NeuralNetworkError.invalidSetting(name: name, value: "\(value)", requirement: "at least \(least)")
        }
        guard weightScale.isFinite && weightScale >= 0 else {
            throw NeuralNetworkError.invalidSetting(name: "weightScale", value: "\(weightScale)", requirement: "finite and >= 0")
        }
        guard reg.isFinite && reg >= 0 else {
            throw NeuralNetworkError.invalidSetting(name: "reg", value: "\(reg)", requirement: "finite and >= 0")
        }
        var generator = SeededGenerator(seed: seed)
        let w1 = Tensor.gaussian([inputSize, hiddenSize], standardDeviation: weightScale, using: &generator)
        let w2 = Tensor.gaussian([hiddenSize, classCount], standardDeviation: weightScale, using: &generator)
        parameters = ["W1": w1, "b1": Tensor(shape: [hiddenSize]), "W2": w2, "b2": Tensor(shape: [classCount])]
        self.reg = reg
    }

    /// The training loss on a labelled batch and the gradient of every parameter.
    ///
    /// loss = softmax cross-entropy of the scores, averaged over the batch, + λ (Σ W1² + Σ W2²).
    /// - Parameters:
    ///   - x: a batch, shape (N, D) (or (N, d1, …, dk) with d1 ⋯ dk = D, flattened).
    ///   - labels: N labels in 0 ..< C.
    /// - Returns: the loss in nats and the gradients "W1", "b1", "W2", "b2", each of its parameter's shape;
    ///   dW includes the regularization's 2 λ W, db has none.
    /// - Throws: ``NeuralNetworkError`` for a missing parameter, shapes that do not fit, an empty batch,
    ///   or labels that do not fit.
    public mutating func loss(_ x: Tensor, labels: [Int]) throws -> (loss: Double, gradients: [String: Tensor]) {
        let (w1, b1, w2, b2) = try namedParameters()
        let (hidden, hiddenCache) = try affineReLUForward(x, w1, b1)             // (N, H)
        let (scores, scoresCache) = try affineForward(hidden, w2, b2)            // (N, C)
        let (dataLoss, dscores) = try softmaxLoss(scores, labels: labels)
        let penalty = reg * (w1.flatMatrix.squared.sum() + w2.flatMatrix.squared.sum())

        let (dhidden, dw2, db2) = try affineBackward(dscores, cache: scoresCache)
        let (_, dw1, db1) = try affineReLUBackward(dhidden, cache: hiddenCache)
        func regularized(_ dw: Tensor, _ w: Tensor) -> Tensor {
            Tensor(dw.flatMatrix + 2 * reg * w.flatMatrix, shape: w.shape)
        }
        return (dataLoss + penalty, ["W1": regularized(dw1, w1), "b1": db1, "W2": regularized(dw2, w2), "b2": db2])
    }

    /// Test-time class scores (the lecture's `loss(X)` without labels), shape (N, C).
    /// - Parameter x: a batch, shape (N, D) (or (N, d1, …, dk), flattened).
    /// - Throws: ``NeuralNetworkError`` for a missing parameter or shapes that do not fit.
    public func scores(_ x: Tensor) throws -> Tensor {
        let (w1, b1, w2, b2) = try namedParameters()
        let hidden = try affineReLUForward(x, w1, b1).out
        return try affineForward(hidden, w2, b2).out
    }

    /// W1, b1, W2, b2, or an error naming the first one missing (given).
    func namedParameters() throws -> (Tensor, Tensor, Tensor, Tensor) {
        func named(_ name: String) throws -> Tensor {
            guard let p = parameters[name] else {
                throw NeuralNetworkError.invalidSetting(name: "parameters[\"\(name)\"]", value: "nil",
                                                        requirement: "present (W1, b1, W2, b2)")
            }
            return p
        }
        return (try named("W1"), try named("b1"), try named("W2"), try named("b2"))
    }
}
