import LinearAlgebra

// Given code of chapter 6 (Exercises/06-convolutional-networks): its error type and the input checks
// that open its exercises and the given fast layers (Sources/ConvolutionLayers). A geometry that does not
// fit ("(N - F) / stride + 1 is not an integer", a filter larger than the padded input) is thrown as
// LinearAlgebra's `ConvolutionGeometryError`, whose description gives the formula and the numbers.

/// The clear errors of the convolutional-network chapter (bad input is reported, never trapped).
public enum ConvolutionalNetworkError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A layer was given something other than a batch of images (N, C, H, W).
    case notImages(layer: String, name: String, shape: String)
    /// Filters (F, C', HH, WW) whose C' is not the images' channel count C.
    case channelMismatch(layer: String, images: String, filters: String)
    /// A bias that is not one entry per filter.
    case biasMismatch(layer: String, bias: String, filters: Int)
    /// An upstream gradient whose shape is not the shape of the layer's output.
    case upstreamShapeMismatch(layer: String, expected: String, got: String)
    /// A fast pooling layer was given windows that overlap or leave a gap (it needs stride = window).
    case poolDoesNotTile(layer: String, poolHeight: Int, poolWidth: Int, stride: Int)
    /// A setting outside its range, e.g. 0 filters or a negative number of layers.
    case invalidSetting(name: String, value: Int, requirement: String)
    /// A real-valued setting outside its range, e.g. a negative or NaN weight scale.
    case invalidNumber(name: String, value: Double, requirement: String)

    public var description: String {
        switch self {
        case let .notImages(layer, name, shape):
            return "\(layer): \(name) has shape \(shape), but must be a batch of images (N, C, H, W)"
        case let .channelMismatch(layer, images, filters):
            return "\(layer): filters \(filters) are (F, C, HH, WW) with C the images' channels, but the images are \(images)"
        case let .biasMismatch(layer, bias, filters):
            return "\(layer): the bias has shape \(bias), but needs one entry per filter: (\(filters),)"
        case let .upstreamShapeMismatch(layer, expected, got):
            return "\(layer): the upstream gradient has shape \(got), but the layer's output has shape \(expected)"
        case let .poolDoesNotTile(layer, poolHeight, poolWidth, stride):
            return "\(layer): \(poolHeight) x \(poolWidth) windows at stride \(stride) do not tile the input: the fast layer "
                + "needs the stride equal to the window (use maxPoolForwardNaive for overlapping windows)"
        case let .invalidSetting(name, value, requirement):
            return "\(name) = \(value): it must be \(requirement)"
        case let .invalidNumber(name, value, requirement):
            return "\(name) = \(value): it must be \(requirement)"
        }
    }
}

// MARK: - Checks

/// Throws unless images x (N, C, H, W), filters w (F, C, HH, WW) and a bias b of F entries fit a
/// convolution at this stride and padding, and returns its geometry.
/// - Throws: ``ConvolutionalNetworkError``, or `ConvolutionGeometryError` when the windows do not fit.
public func checkConvolutionInputs(_ x: Tensor, _ w: Tensor, _ b: Tensor, stride: Int, padding: Int,
                                   layer: String = "conv") throws -> ConvolutionGeometry {
    guard x.rank == 4 else { throw ConvolutionalNetworkError.notImages(layer: layer, name: "x", shape: x.shapeDescription) }
    guard w.rank == 4 else {
        throw ConvolutionalNetworkError.notImages(layer: layer, name: "the filters w", shape: w.shapeDescription)
    }
    guard w.shape[1] == x.shape[1] else {
        throw ConvolutionalNetworkError.channelMismatch(layer: layer, images: x.shapeDescription, filters: w.shapeDescription)
    }
    guard b.count == w.shape[0], b.rank == 1 || (b.rank == 2 && b.shape[0] == 1) else {
        throw ConvolutionalNetworkError.biasMismatch(layer: layer, bias: b.shapeDescription, filters: w.shape[0])
    }
    return try ConvolutionGeometry(channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                                   filterHeight: w.shape[2], filterWidth: w.shape[3], stride: stride, padding: padding)
}

/// Throws unless images x (N, C, H, W) fit pooling windows of this size at this stride (no padding),
/// and returns the windows' geometry.
/// - Throws: ``ConvolutionalNetworkError/notImages(layer:name:shape:)``, or `ConvolutionGeometryError`.
public func checkPoolingInput(_ x: Tensor, poolHeight: Int, poolWidth: Int, stride: Int,
                              layer: String = "max pool") throws -> ConvolutionGeometry {
    guard x.rank == 4 else { throw ConvolutionalNetworkError.notImages(layer: layer, name: "x", shape: x.shapeDescription) }
    return try ConvolutionGeometry(channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                                   filterHeight: poolHeight, filterWidth: poolWidth, stride: stride, padding: 0)
}

/// Throws unless `dout` has the shape of the layer's output: N images of the geometry's
/// (`channels`, H', W').
public func checkUpstreamGradient(_ dout: Tensor, batchSize: Int, channels: Int, _ geometry: ConvolutionGeometry,
                                  layer: String) throws {
    let expected = [batchSize, channels, geometry.outputHeight, geometry.outputWidth]
    guard dout.shape == expected else {
        throw ConvolutionalNetworkError.upstreamShapeMismatch(
            layer: layer, expected: Tensor(shape: expected).shapeDescription, got: dout.shapeDescription)
    }
}
