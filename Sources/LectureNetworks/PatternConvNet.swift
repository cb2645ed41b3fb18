import Foundation
import LinearAlgebra
import ConvolutionLayers
import Training
import Workbook

/// Given code of chapter 6: a convnet of the lecture's pattern [(CONV-RELU)xN-POOL?]xM-(FC-RELU)xK-FC-SOFTMAX,
/// built from a ``NetworkArchitecture`` with the given fast layers and your chapter 4 layers (ReLU,
/// affine, softmax loss), for the chapter program's `--architecture`.
///
/// Parameters by name, numbered in layer order: "W1", "b1" for the first convolution or affine layer,
/// "W2", "b2" for the next, …, the last pair for the implied affine layer to the classes. Convolutions
/// run at stride 1 with padding (K − 1) / 2. Weights start as He et al. 2015's randn · √(2 / fan_in),
/// which keeps the activations' scale through deep stacks of ReLUs; biases as zeros. L2 regularization
/// λ Σ W² over every weight (gradient 2 λ W), as in the rest of the workbook.
public struct PatternConvNet: TrainableModel, Sendable {
    public var parameters: [String: Tensor]
    /// λ >= 0.
    public var reg: Double
    /// The layers, without the last affine layer and the softmax.
    public let architecture: NetworkArchitecture
    /// The shape of one input image (C, H, W).
    public let inputShape: [Int]

    /// - Throws: ``ArchitectureError`` when the architecture does not fit `inputShape`.
    public init(_ architecture: NetworkArchitecture, inputShape: [Int] = [3, 32, 32], classCount: Int = 10, reg: Double = 0,
                seed: UInt64 = 0) throws {
        let shapes = try architecture.shapes(input: inputShape)
        var generator = SeededGenerator(seed: seed)
        var parameters: [String: Tensor] = [:]
        var previous = inputShape
        var number = 0
        func add(_ shape: [Int], fanIn: Int, biases: Int) {
            number += 1
            parameters["W\(number)"] = Tensor.gaussian(shape, standardDeviation: (2 / Double(fanIn)).squareRoot(), using: &generator)
            parameters["b\(number)"] = Tensor(shape: [biases])
        }
        for (layer, shape) in zip(architecture.layers, shapes) {
            switch layer {
            case let .convolution(filters, size): add([filters, previous[0], size, size], fanIn: previous[0] * size * size, biases: filters)
            case let .affine(units): add([previous.reduce(1, *), units], fanIn: previous.reduce(1, *), biases: units)
            case .relu, .pool: break
            }
            previous = shape
        }
        add([previous.reduce(1, *), classCount], fanIn: previous.reduce(1, *), biases: classCount)
        self.parameters = parameters
        self.reg = reg
        self.architecture = architecture
        self.inputShape = inputShape
    }

    /// What each layer kept for its backward pass.
    private enum Cache {
        case convolution(FastConvolutionCache, parameter: Int)
        case relu(ReLUCache)
        case pool(FastMaxPoolCache)
        case affine(AffineCache, parameter: Int)
    }

    public mutating func loss(_ x: Tensor, labels: [Int]) throws -> (loss: Double, gradients: [String: Tensor]) {
        var (scores, caches) = try forward(x, keeping: true)
        let (dataLoss, dscores) = try softmaxLoss(scores, labels: labels)
        scores = dscores
        var gradients: [String: Tensor] = [:]
        var penalty = 0.0
        // Backward through the layers in reverse; the first layer's input needs no gradient.
        for (index, cache) in caches.enumerated().reversed() {
            switch cache {
            case let .affine(cache, number):
                let (dx, dw, db) = try affineBackward(scores, cache: cache)
                (gradients["W\(number)"], gradients["b\(number)"]) = (regularized(dw, number, &penalty), db)
                scores = dx
            case let .convolution(cache, number):
                if index == 0 {
                    let (dw, db) = try convParameterGradientsFast(scores, cache: cache)
                    (gradients["W\(number)"], gradients["b\(number)"]) = (regularized(dw, number, &penalty), db)
                } else {
                    let (dx, dw, db) = try convBackwardFast(scores, cache: cache)
                    (gradients["W\(number)"], gradients["b\(number)"]) = (regularized(dw, number, &penalty), db)
                    scores = dx
                }
            case let .relu(cache): scores = try reluBackward(scores, cache: cache)
            case let .pool(cache): scores = try maxPoolBackwardFast(scores, cache: cache)
            }
        }
        return (dataLoss + penalty, gradients)
    }

    public func scores(_ x: Tensor) throws -> Tensor { try forward(x, keeping: false).scores }

    private func forward(_ x: Tensor, keeping: Bool) throws -> (scores: Tensor, caches: [Cache]) {
        var out = x
        var caches: [Cache] = []
        var number = 0
        func parameter(_ name: String) -> Tensor { parameters[name] ?? Tensor(shape: [0]) }
        for layer in architecture.layers + [.affine(units: 0)] {
            switch layer {
            case .convolution(_, let size):
                number += 1
                let (y, cache) = try convForwardFast(out, parameter("W\(number)"), parameter("b\(number)"), stride: 1, padding: (size - 1) / 2)
                (out, caches) = (y, keeping ? caches + [.convolution(cache, parameter: number)] : caches)
            case .affine:
                number += 1
                let (y, cache) = try affineForward(out, parameter("W\(number)"), parameter("b\(number)"))
                (out, caches) = (y, keeping ? caches + [.affine(cache, parameter: number)] : caches)
            case .relu:
                let (y, cache) = try reluForward(out)
                (out, caches) = (y, keeping ? caches + [.relu(cache)] : caches)
            case .pool:
                let (y, cache) = try maxPoolForwardFast(out)
                (out, caches) = (y, keeping ? caches + [.pool(cache)] : caches)
            }
        }
        return (out, caches)
    }

    /// dW + 2 λ W, adding λ Σ W² to `penalty`.
    private func regularized(_ dw: Tensor, _ number: Int, _ penalty: inout Double) -> Tensor {
        let w = parameters["W\(number)"]!
        let wm = Matrix(reshaping: w, rows: 1, cols: w.count)
        penalty += reg * wm.squared.sum()
        return Tensor(reshaping: Matrix(reshaping: dw, rows: 1, cols: dw.count) + 2 * reg * wm, shape: w.shape)
    }
}
