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
    for (name, value) in [("width", inputSize), ("filter width", filterSize), ("stride", stride)] where value < 1 {
        throw ConvolutionGeometryError.notPositive(name: name, value: value)
    }
    guard padding >= 0 else { throw ConvolutionGeometryError.notPositive(name: "padding", value: padding) }
    let span = inputSize + 2 * padding - filterSize
    guard span >= 0 else {
        throw ConvolutionGeometryError.filterLargerThanInput(axis: "width", input: inputSize, filter: filterSize, padding: padding)
    }
    guard span % stride == 0 else {
        throw ConvolutionGeometryError.notInteger(axis: "width", input: inputSize, filter: filterSize, padding: padding, stride: stride)
    }
    return span / stride + 1
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
    guard filterCount >= 1 else {
        throw ConvolutionalNetworkError.invalidSetting(name: "filterCount", value: filterCount, requirement: "at least 1")
    }
    let width = try convOutputSize(inputSize: input.width, filterSize: filterSize, stride: stride, padding: padding)
    do {
        let height = try convOutputSize(inputSize: input.height, filterSize: filterSize, stride: stride, padding: padding)
        return VolumeShape(width: width, height: height, depth: filterCount)
    } catch let ConvolutionGeometryError.notInteger(_, size, filter, padding, stride) {
        throw ConvolutionGeometryError.notInteger(axis: "height", input: size, filter: filter, padding: padding, stride: stride)
    } catch let ConvolutionGeometryError.filterLargerThanInput(_, size, filter, padding) {
        throw ConvolutionGeometryError.filterLargerThanInput(axis: "height", input: size, filter: filter, padding: padding)
    }
}

/// The learnable parameters of a convolutional layer: `filterCount` filters of filterSize x filterSize
/// x inputDepth weights each, plus one bias per filter.
///
/// - Returns: e.g. 760 for ten 5 x 5 filters on a depth-3 input: 10 · (5 · 5 · 3 + 1).
/// - Throws: ``ConvolutionalNetworkError/invalidSetting(name:value:requirement:)`` for a size below 1.
public func convParameterCount(inputDepth: Int, filterCount: Int, filterSize: Int) throws -> Int {
    for (name, value) in [("inputDepth", inputDepth), ("filterCount", filterCount), ("filterSize", filterSize)] where value < 1 {
        throw ConvolutionalNetworkError.invalidSetting(name: name, value: value, requirement: "at least 1")
    }
    return filterCount * (filterSize * filterSize * inputDepth + 1)
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
    guard convolutions >= 0 else {
        throw ConvolutionalNetworkError.invalidSetting(name: "convolutions", value: convolutions, requirement: "0 or more")
    }
    guard filterSize >= 1 else {
        throw ConvolutionalNetworkError.invalidSetting(name: "filterSize", value: filterSize, requirement: "at least 1")
    }
    return 1 + convolutions * (filterSize - 1)
}
