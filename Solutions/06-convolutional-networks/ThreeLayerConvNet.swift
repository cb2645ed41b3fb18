import Foundation
import LinearAlgebra
import GradientCheck
import Training
import ConvolutionLayers

// Chapter 6: the three-layer convolutional network of the lecture's pattern
//
//     conv – ReLU – 2 x 2 max pool – affine – ReLU – affine – softmax
//
// trained by chapter 4's Solver like any other `TrainableModel`. The convolution keeps the image size
// (stride 1, padding (F − 1) / 2), the pooling halves it, and the first affine layer reads the pooled
// maps as one long vector per image. Regularization follows chapters 2 and 4: λ Σ W² over the three
// weight tensors (never the biases), whose gradient is 2 λ W.
// Source: the lecture "Convolutional Neural Networks" (a small convnet: CONV-RELU-POOL-FC-RELU-FC).

/// A three-layer convnet for C classes on images (C_in, H, W).
///
/// Parameters by name: "W1" (F, C_in, HH, HH) filters and "b1" (F,); "W2" (F · H/2 · W/2, hidden) and
/// "b2" (hidden,); "W3" (hidden, C) and "b3" (C,). An update rule keeps one state per name.
public struct ThreeLayerConvNet: TrainableModel, Sendable {
    /// "W1", "b1", "W2", "b2", "W3", "b3", with the shapes above.
    public var parameters: [String: Tensor]
    /// λ >= 0, the L2 regularization strength (penalty λ Σ W² on W1, W2 and W3).
    public var reg: Double
    /// The input shape (C_in, H, W) of one image.
    public let inputShape: [Int]

    /// The side HH of the square filters.
    public var filterSize: Int { parameters["W1"]?.shape.last ?? 0 }
    /// The zero padding of the convolution, (HH − 1) / 2, which keeps H x W.
    public var padding: Int { (filterSize - 1) / 2 }

    /// A net with small random weights and zero biases (given code).
    ///
    /// W1, W2 and W3 are weightScale · randn, drawn in that order (each row-major) from
    /// `SeededGenerator(seed: seed)`; the biases are zeros.
    /// - Parameters:
    ///   - inputShape: (C_in, H, W) of one image, [3, 32, 32] for CIFAR-10; H and W even.
    ///   - filterCount: F, the first layer's filters, at least 1.
    ///   - filterSize: HH, odd (so that the padding (HH − 1) / 2 keeps the size) and at most H and W.
    ///   - hiddenSize: the hidden affine layer's units, at least 1.
    ///   - classCount: C, at least 2.
    ///   - weightScale: the standard deviation of the initial weights (1e-3 by default).
    ///   - reg: λ >= 0.
    ///   - seed: fixes the initial weights.
    /// - Throws: ``ConvolutionalNetworkError/invalidSetting(name:value:requirement:)`` or
    ///   ``ConvolutionalNetworkError/invalidNumber(name:value:requirement:)`` naming the first setting out of range.
    public init(inputShape: [Int] = [3, 32, 32], filterCount: Int = 32, filterSize: Int = 7, hiddenSize: Int = 100,
                classCount: Int = 10, weightScale: Double = 1e-3, reg: Double = 0, seed: UInt64 = 0) throws {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 >= 1 }) else {
            throw ConvolutionalNetworkError.invalidSetting(name: "inputShape.count", value: inputShape.count,
                                                           requirement: "3, (C, H, W), all at least 1")
        }
        let (channels, height, width) = (inputShape[0], inputShape[1], inputShape[2])
        for (name, value) in [("height", height), ("width", width)] where value % 2 != 0 {
            throw ConvolutionalNetworkError.invalidSetting(name: "input \(name)", value: value, requirement: "even, for the 2 x 2 pooling")
        }
        for (name, value, least) in [("filterCount", filterCount, 1), ("hiddenSize", hiddenSize, 1), ("classCount", classCount, 2)]
        where value < least {
            throw ConvolutionalNetworkError.invalidSetting(name: name, value: value, requirement: "at least \(least)")
        }
        guard filterSize % 2 == 1 && filterSize <= min(height, width) else {
            throw ConvolutionalNetworkError.invalidSetting(name: "filterSize", value: filterSize,
                                                           requirement: "odd and at most \(min(height, width))")
        }
        for (name, value) in [("weightScale", weightScale), ("reg", reg)] where !(value.isFinite && value >= 0) {
            throw ConvolutionalNetworkError.invalidNumber(name: name, value: value, requirement: "finite and >= 0")
        }
        var generator = SeededGenerator(seed: seed)
        let pooled = filterCount * (height / 2) * (width / 2)
        let w1 = Tensor.gaussian([filterCount, channels, filterSize, filterSize], standardDeviation: weightScale, using: &generator)
        let w2 = Tensor.gaussian([pooled, hiddenSize], standardDeviation: weightScale, using: &generator)
        let w3 = Tensor.gaussian([hiddenSize, classCount], standardDeviation: weightScale, using: &generator)
        parameters = ["W1": w1, "b1": Tensor(shape: [filterCount]), "W2": w2, "b2": Tensor(shape: [hiddenSize]),
                      "W3": w3, "b3": Tensor(shape: [classCount])]
        self.reg = reg
        self.inputShape = inputShape
    }

    /// The training loss on a labelled batch and the gradient of every parameter.
    ///
    /// loss = softmax cross-entropy of the scores, averaged over the batch, + λ (Σ W1² + Σ W2² + Σ W3²).
    /// - Parameters:
    ///   - x: images, shape (N, C_in, H, W).
    ///   - labels: N labels in 0 ..< C.
    /// - Returns: the loss in nats and the gradients "W1" … "b3", each of its parameter's shape; the
    ///   weights' gradients include the regularization's 2 λ W, the biases' have none.
    /// - Throws: ``ConvolutionalNetworkError`` or chapter 4's errors for a missing parameter, shapes that
    ///   do not fit, an empty batch, or labels that do not fit.
    public mutating func loss(_ x: Tensor, labels: [Int]) throws -> (loss: Double, gradients: [String: Tensor]) {
        let (w1, b1, w2, b2, w3, b3) = try namedParameters()
        let (pooled, poolCache) = try convReLUPoolForward(x, w1, b1, stride: 1, padding: padding)   // (N, F, H/2, W/2)
        let (hidden, hiddenCache) = try affineReLUForward(pooled, w2, b2)                           // (N, hidden)
        let (scores, scoresCache) = try affineForward(hidden, w3, b3)                               // (N, C)
        let (dataLoss, dscores) = try softmaxLoss(scores, labels: labels)
        let penalty = reg * (sumOfSquares(w1) + sumOfSquares(w2) + sumOfSquares(w3))

        let (dhidden, dw3, db3) = try affineBackward(dscores, cache: scoresCache)
        let (dpooled, dw2, db2) = try affineReLUBackward(dhidden, cache: hiddenCache)
        let (_, dw1, db1) = try convReLUPoolBackward(dpooled, cache: poolCache, inputGradient: false)
        func regularized(_ dw: consuming Tensor, _ w: Tensor) -> Tensor {   // dw + 2 λ w, in place
            var sum = dw
            let scale = 2 * reg
            w.withUnsafeBufferPointer { weights in
                sum.withUnsafeMutableBufferPointer { buffer in
                    guard let g = buffer.baseAddress, let x = weights.baseAddress else { return }
                    Parallelism.forEachChunk(of: weights.count) { chunk in
                        for i in chunk { g[i] += scale * x[i] }               // plain pointers: vectorised
                    }
                }
            }
            return sum
        }
        return (dataLoss + penalty, ["W1": regularized(consume dw1, w1), "b1": db1, "W2": regularized(consume dw2, w2), "b2": db2,
                                     "W3": regularized(consume dw3, w3), "b3": db3])
    }

    /// Test-time class scores, shape (N, C).
    /// - Parameter x: images, shape (N, C_in, H, W).
    /// - Throws: as ``loss(_:labels:)`` does, without the label checks.
    public func scores(_ x: Tensor) throws -> Tensor {
        let (w1, b1, w2, b2, w3, b3) = try namedParameters()
        let pooled = try convReLUPoolForward(x, w1, b1, stride: 1, padding: padding).out
        let hidden = try affineReLUForward(pooled, w2, b2).out
        return try affineForward(hidden, w3, b3).out
    }

    /// W1, b1, W2, b2, W3, b3, or an error naming the first one missing (given).
    func namedParameters() throws -> (Tensor, Tensor, Tensor, Tensor, Tensor, Tensor) {
        func named(_ name: String) throws -> Tensor {
            guard let p = parameters[name] else {
                throw ConvolutionalNetworkError.invalidSetting(name: "parameters[\"\(name)\"] (missing)", value: 0,
                                                               requirement: "present (W1, b1, W2, b2, W3, b3)")
            }
            return p
        }
        return (try named("W1"), try named("b1"), try named("W2"), try named("b2"), try named("W3"), try named("b3"))
    }
}

/// Σ w² over every entry (the matrix module's lane-wise sum of squares, without a squared temporary).
func sumOfSquares(_ w: Tensor) -> Double { Matrix(reshaping: w, rows: 1, cols: w.count).sumOfSquares(axis: 1)[0, 0] }
