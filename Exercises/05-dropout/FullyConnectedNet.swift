import Foundation
import LinearAlgebra
import GradientCheck
import Training

// Chapter 5: a fully connected net of any depth, with dropout and batch normalization as options,
// built from chapter 4's layers:
//     {affine – [batch norm] – ReLU – [dropout]} × (L − 1) – affine – softmax.
// Its loss is the forward calls in order and then the same layers' backward calls in reverse, as in
// chapter 4's TwoLayerNet; the only new things are the loop over the hidden layers and the two layers
// that behave differently at test time (`scores` runs them in `.test` mode).
// Regularization as in chapter 4: L2 penalty λ Σ W² over every weight matrix (never biases, gamma or
// beta), gradient 2 λ W.
// Source: the lecture "Neural Networks: Training" (dropout in a net); Ioffe & Szegedy 2015 (batch
// normalization before the nonlinearity).

/// A fully connected net for C classes with L = hiddenSizes.count + 1 affine layers.
///
/// Parameters by name: "W1" (D, H1), "b1" (H1,), …, "WL" (H(L−1), C), "bL" (C,); with batch
/// normalization also "gamma1", "beta1", …, "gamma(L−1)", "beta(L−1)" (Hi,) for each hidden layer.
/// State outside the parameters: the running averages of each batch normalization (updated by `loss`,
/// read by `scores`) and the generator of the dropout masks (advanced by `loss`).
public struct FullyConnectedNet: TrainableModel, Sendable {
    /// Every weight, bias, gamma and beta, by name (see the type's documentation).
    public var parameters: [String: Tensor]
    /// λ >= 0, the L2 regularization strength (penalty λ Σ W² over W1 … WL).
    public var reg: Double
    /// The sizes of the hidden layers H1 … H(L−1), each at least 1.
    public let hiddenSizes: [Int]
    /// The keep probability p of every hidden layer's dropout, in (0, 1]; 1 means no dropout.
    public let keepProbability: Double
    /// Whether every hidden layer has a batch normalization between its affine layer and its ReLU.
    public let usesBatchNormalization: Bool
    /// The running averages of each hidden layer's batch normalization (empty without it).
    public var batchNormStates: [BatchNormState]
    /// The generator of the dropout masks: each training `loss` draws from it and moves it on. A copy
    /// of the net draws the same masks as the original, which is how a gradient check fixes the mask.
    public var dropoutGenerator: SeededGenerator

    /// The number of affine layers L.
    public var layerCount: Int { hiddenSizes.count + 1 }

    /// A net with random weights, zero biases, gamma 1 and beta 0 (given code).
    ///
    /// W1 … WL are drawn in that order from `SeededGenerator(seed: seed)` by `initialization`
    /// (chapter 4's ``WeightInitialization``); the dropout masks come from `SeededGenerator(seed: dropoutSeed)`.
    /// - Parameters:
    ///   - inputSize: D, at least 1 (3,072 for a CIFAR-10 image).
    ///   - hiddenSizes: H1 … H(L−1), each at least 1; may be empty (a softmax classifier).
    ///   - classCount: C, at least 2.
    ///   - keepProbability: dropout's p in (0, 1]; 1 (the default) means no dropout layers.
    ///   - batchNormalization: whether to add batch normalization to every hidden layer.
    ///   - initialization: how the weights are drawn; `.smallRandom(scale: 1e-2)` by default.
    ///   - reg: λ >= 0.
    ///   - momentum: the batch normalizations' running-average momentum, in [0, 1).
    ///   - epsilon: the batch normalizations' eps, > 0.
    ///   - seed: fixes the initial weights.
    ///   - dropoutSeed: fixes the sequence of dropout masks.
    /// - Throws: ``DropoutError/invalidSetting(name:value:requirement:)`` naming a size or setting out of
    ///   range (a hidden size of 0 among them), ``DropoutError/invalidKeepProbability(_:)``.
    public init(inputSize: Int, hiddenSizes: [Int], classCount: Int, keepProbability: Double = 1,
                batchNormalization: Bool = false, initialization: WeightInitialization = .smallRandom(scale: 1e-2),
                reg: Double = 0, momentum: Double = 0.9, epsilon: Double = 1e-5, seed: UInt64 = 0, dropoutSeed: UInt64 = 0) throws {
        guard inputSize >= 1 else { throw DropoutError.invalidSetting(name: "inputSize", value: "\(inputSize)", requirement: "at least 1") }
        guard classCount >= 2 else { throw DropoutError.invalidSetting(name: "classCount", value: "\(classCount)", requirement: "at least 2") }
        if let i = hiddenSizes.firstIndex(where: { $0 < 1 }) {
            throw DropoutError.invalidSetting(name: "hiddenSizes[\(i)]", value: "\(hiddenSizes[i])",
                                              requirement: "at least 1 (every hidden layer needs a unit; leave the layer out instead)")
        }
        try checkKeepProbability(keepProbability)
        guard reg.isFinite && reg >= 0 else { throw DropoutError.invalidSetting(name: "reg", value: "\(reg)", requirement: "finite and >= 0") }
        var generator = SeededGenerator(seed: seed)
        let sizes = [inputSize] + hiddenSizes + [classCount]
        var parameters: [String: Tensor] = [:]
        var states: [BatchNormState] = []
        for layer in 1 ... sizes.count - 1 {
            parameters["W\(layer)"] = try initialization.weights(fanIn: sizes[layer - 1], fanOut: sizes[layer], using: &generator)
            parameters["b\(layer)"] = Tensor(shape: [sizes[layer]])
            if batchNormalization && layer < sizes.count - 1 {
                parameters["gamma\(layer)"] = Tensor(shape: [sizes[layer]], repeating: 1)
                parameters["beta\(layer)"] = Tensor(shape: [sizes[layer]])
                states.append(try BatchNormState(features: sizes[layer], momentum: momentum, epsilon: epsilon))
            }
        }
        self.parameters = parameters
        self.reg = reg
        self.hiddenSizes = hiddenSizes
        self.keepProbability = keepProbability
        self.usesBatchNormalization = batchNormalization
        self.batchNormStates = states
        self.dropoutGenerator = SeededGenerator(seed: dropoutSeed)
    }

    /// The training loss on a labelled batch and the gradient of every parameter, with dropout and
    /// batch normalization in `.train` mode (the masks drawn from ``dropoutGenerator``, the running
    /// averages updated).
    ///
    /// loss = softmax cross-entropy of the scores averaged over the batch + λ Σ_l Σ Wl².
    /// - Parameters:
    ///   - x: a batch, shape (N, D) (or (N, d1, …, dk), flattened); N >= 2 with batch normalization.
    ///   - labels: N labels in 0 ..< C.
    /// - Returns: the loss in nats and one gradient per parameter, with its name and shape.
    /// - Throws: what the layers throw (shapes, labels, a batch of one with batch normalization), or
    ///   ``DropoutError/invalidSetting(name:value:requirement:)`` for a missing parameter.
    public mutating func loss(_ x: Tensor, labels: [Int]) throws -> (loss: Double, gradients: [String: Tensor]) {
        // Forward, for each hidden layer l = 1 ..< layerCount, keeping every cache in an array:
        //   affineForward with W<l>, b<l>; if usesBatchNormalization, batchNormForward with gamma<l>, beta<l>,
        //   mode .train and state &batchNormStates[l - 1]; reluForward; dropoutForward with keepProbability,
        //   mode .train and &dropoutGenerator (with p = 1 it is the identity).
        // Then the last affine layer (W<L>, b<L>) gives the scores, and softmaxLoss the data loss and dscores.
        // Loss: data loss + reg · Σ over every W of Σ W² (parameter(_:) fetches a parameter by name).
        // Backward: affineBackward of the last layer, then for l = L − 1 down to 1 the hidden layer's
        // backward calls in reverse order (dropout, ReLU, batch norm, affine), each with its own cache.
        // Add 2 · reg · W to every dW; return a gradient for every name in `parameters`.
        throw NotImplemented()
    }

    /// Test-time class scores, shape (N, C): dropout is the identity and batch normalization uses its
    /// running averages (`.test` mode); nothing is updated.
    /// - Parameter x: a batch, shape (N, D) (or (N, d1, …, dk), flattened).
    /// - Throws: what the layers throw, or a missing parameter.
    public func scores(_ x: Tensor) throws -> Tensor {
        // The same forward calls as in loss, with batch normalization and dropout in .test mode, on copies of
        // batchNormStates and dropoutGenerator (scores changes nothing); no loss, no backward.
        throw NotImplemented()
    }

    /// The parameter called `name`, or an error naming it.
    func parameter(_ name: String) throws -> Tensor {
        guard let p = parameters[name] else {
            throw DropoutError.invalidSetting(name: "parameters[\"\(name)\"]", value: "nil", requirement: "present")
        }
        return p
    }
}
