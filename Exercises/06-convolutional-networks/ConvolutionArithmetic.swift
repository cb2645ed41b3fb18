import LinearAlgebra
import GradientCheck

// Chapter 6: the lecture's bookkeeping of a convolutional layer, as functions. Before writing a layer,
// know what comes out of it and what it costs: the output size (N − F) / stride + 1 (N the padded input
// size, F the filter size), the parameters of a filter bank, and how far a stack of small filters sees.
// Source: the lecture "Convolutional Neural Networks" (spatial arrangement, "(N - F) / stride + 1", the
// 32 x 32 x 3 input with ten 5 x 5 filters; the receptive field of stacked 3 x 3 convolutions).

/// The width, height and depth of a volume of activations, as the lecture writes 32 x 32 x 3.
public struct VolumeShape: Equatable, Sendable, CustomStringConvertible {
    public var width: Int, height: Int, depth: Int

    public init(width: Int, height: Int, depth: Int) {
        self.width = width
        self.height = height
        self.depth = depth
    }

    public var description: String { "\(width) x \(height) x \(depth)" }
}

/// The output size along one axis of a convolution (or pooling) over an input of `inputSize`
/// entries: (inputSize + 2 · padding − filterSize) / stride + 1.
///
/// - Parameters:
///   - inputSize: N, the input's width (or height), before padding.
///   - filterSize: F, the filter's width (or height).
///   - stride: the step between neighbouring windows.
///   - padding: the zeros added on each side.
/// - Returns: the number of window positions along the axis.
/// - Throws: `ConvolutionGeometryError` with `axis: "width"`: `.notInteger` when the division leaves a
///   remainder (the lecture's 7 x 7 input, 3 x 3 filter, stride 3 "doesn't fit"), `.filterLargerThanInput`
///   when F exceeds the padded input, `.notPositive` for a size or stride below 1 or a negative padding.
public func convOutputSize(inputSize: Int, filterSize: Int, stride: Int = 1, padding: Int = 0) throws -> Int {
    // span = inputSize + 2 * padding - filterSize. Throw the ConvolutionGeometryError cases above when a
    // size is not positive, span < 0, or span is not a multiple of stride; otherwise span / stride + 1.
    throw NotImplemented()
}

/// The output volume of a convolutional layer of `filterCount` square filters of side `filterSize`
/// (each as deep as the input) on an `input` volume: the width and height from
/// ``convOutputSize(inputSize:filterSize:stride:padding:)``, and one activation map per filter.
///
/// - Returns: e.g. 32 x 32 x 10 for a 32 x 32 x 3 input and ten 5 x 5 filters at stride 1, padding 2.
/// - Throws: as ``convOutputSize(inputSize:filterSize:stride:padding:)`` does for either axis (axis
///   "width" for the width, "height" for the height); ``ConvolutionalNetworkError/invalidSetting(name:value:requirement:)``
///   for fewer than one filter.
public func convOutputVolume(_ input: VolumeShape, filterCount: Int, filterSize: Int, stride: Int = 1, padding: Int = 0) throws
    -> VolumeShape {
    // Width and height each from convOutputSize; the depth is the number of filters. An error about the
    // height should say axis: "height".
    throw NotImplemented()
}

/// The learnable parameters of a convolutional layer: `filterCount` filters of filterSize x filterSize
/// x inputDepth weights each, plus one bias per filter.
///
/// - Returns: e.g. 760 for ten 5 x 5 filters on a depth-3 input: 10 · (5 · 5 · 3 + 1).
/// - Throws: ``ConvolutionalNetworkError/invalidSetting(name:value:requirement:)`` for a size below 1.
public func convParameterCount(inputDepth: Int, filterCount: Int, filterSize: Int) throws -> Int {
    // Each filter has filterSize * filterSize * inputDepth weights and one bias.
    throw NotImplemented()
}

/// The receptive field of a stack of `convolutions` convolutional layers with square filters of side
/// `filterSize` at stride 1: the side of the square of input pixels that one output entry depends on.
/// Each layer widens what the one before saw by filterSize − 1, so three 3 x 3 layers see 7 x 7, as
/// one 7 x 7 layer does (with fewer parameters and more non-linearities).
///
/// - Parameters:
///   - convolutions: the number of layers, 0 or more (0: the input itself, which sees 1 pixel).
///   - filterSize: the filters' side, 3 by default.
/// - Throws: ``ConvolutionalNetworkError/invalidSetting(name:value:requirement:)`` for a negative count
///   or a filter side below 1.
public func receptiveField(convolutions: Int, filterSize: Int = 3) throws -> Int {
    // One pixel to start with; each stride-1 layer adds filterSize - 1 to the side of what it sees.
    throw NotImplemented()
}
