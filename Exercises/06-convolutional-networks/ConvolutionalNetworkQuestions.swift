import GradientCheck

// Chapter 6: the inline questions. Answer each one by replacing `throw NotImplemented()` with `return`
// and your answer; `swift test` and `swift run grade` check it like any other exercise. They come from
// the lecture "Convolutional Neural Networks"; the guide says more.

/// What zero padding of (F − 1) / 2 on each side does for an F x F filter at stride 1.
public enum PaddingEffect: CaseIterable, Sendable {
    /// The filter gets fewer weights.
    case makesTheFilterSmaller
    /// The output keeps the input's width and height, so the borders are not eaten away layer by layer.
    case keepsTheSpatialSize
    /// The layer gets one learnable parameter per padded entry.
    case addsLearnableParameters
    /// The output halves in width and height, as 2 x 2 pooling does.
    case halvesTheSpatialSize
}

/// What a convolution with 1 x 1 filters computes on an input of depth C.
public enum OneByOneConvolution: CaseIterable, Sendable {
    /// Nothing: each output is a copy of one input channel.
    case copiesTheInput
    /// An average over each pixel's neighbours, channel by channel.
    case blursEachChannel
    /// At every pixel, a dot product of the C channel values with each filter, plus its bias: the same
    /// affine (fully connected) layer applied to every pixel's depth column.
    case affineLayerAtEveryPixel
    /// The largest value among neighbouring pixels.
    case poolsNeighbouringPixels
}

public enum ConvolutionalNetworkQuestions {
    /// Inline question 1: a 7 x 7 input and a 3 x 3 filter, no padding. What is the output width at
    /// stride 1, and at stride 2? Does the filter fit at stride 3?
    public static func outputSizesFor7x7Input() throws -> (stride1: Int, stride2: Int, stride3Fits: Bool) {
        // Your answer, e.g. `return (stride1: 1, stride2: 1, stride3Fits: true)`.
        throw NotImplemented()
    }

    /// Inline question 2: why do convolutional layers with F x F filters at stride 1 so often pad each
    /// side with (F − 1) / 2 zeros (1 for 3 x 3, 2 for 5 x 5, 3 for 7 x 7)?
    public static func whyPadFMinusOneOverTwo() throws -> PaddingEffect {
        // Your answer, e.g. `return .makesTheFilterSmaller`.
        throw NotImplemented()
    }

    /// Inline question 3: what does a convolutional layer with 1 x 1 filters compute?
    public static func whatAOneByOneConvolutionComputes() throws -> OneByOneConvolution {
        // Your answer, e.g. `return .copiesTheInput`.
        throw NotImplemented()
    }

    /// Inline question 4: the lecture's layer, ten 5 x 5 filters at stride 1 with padding 2 on a 32 x 32 x 3
    /// image, has how many parameters (weights and biases)? And an affine layer from the same image
    /// (3,072 inputs) to an output of the same size (32 x 32 x 10 values)? Sharing one small filter's
    /// weights across every position is what makes the difference.
    public static func parameterCounts() throws -> (convolution: Int, affineWithTheSameOutput: Int) {
        // Your answer, e.g. `return (convolution: 1, affineWithTheSameOutput: 1)`.
        throw NotImplemented()
    }
}
