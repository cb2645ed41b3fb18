import XCTest
import LinearAlgebra
@testable import Workbook

/// Chapter 6, inline questions: Exercises/06-convolutional-networks/ConvolutionalNetworkQuestions.swift.
/// Sizes are measured here with the reference convolution of ConvolutionReferences.swift and counts are
/// taken from the layers' tensor shapes; the two multiple-choice answers are compared by digest (see
/// Support/AnswerKey.swift).
extension ConvolutionalNetworkTests {
    /// The output width of the reference convolution, or nil when the windows do not tile the input.
    private func measuredWidth(input: Int, filter: Int, stride: Int, padding: Int = 0) -> Int? {
        let out = R.convolution(Tensor.zeros(1, 1, input, input), Tensor.zeros(1, 1, filter, filter), Tensor.zeros(1),
                                stride: stride, padding: padding)
        // The last window must end exactly at the padded border: no row or column left out.
        return (out.shape[3] - 1) * stride + filter == input + 2 * padding ? out.shape[3] : nil
    }

    func test_inlineQuestion1_outputSizesFor7x7Input() throws {
        let answer = try attempt { try ConvolutionalNetworkQuestions.outputSizesFor7x7Input() }
        expectAnswer(answer.stride1 == measuredWidth(input: 7, filter: 3, stride: 1), "inlineQuestion1",
                     yourAnswer: "stride 1: \(answer.stride1)", hint: "count the positions of a 3-wide window in 7 columns, one step at a time")
        expectAnswer(answer.stride2 == measuredWidth(input: 7, filter: 3, stride: 2), "inlineQuestion1",
                     yourAnswer: "stride 2: \(answer.stride2)", hint: "(N - F) / stride + 1")
        expectAnswer(answer.stride3Fits == (measuredWidth(input: 7, filter: 3, stride: 3) != nil), "inlineQuestion1",
                     yourAnswer: "stride 3 fits: \(answer.stride3Fits)", hint: "is (7 - 3) / 3 + 1 a whole number?")
    }

    func test_inlineQuestion2_whyPadFMinusOneOverTwo() throws {
        try expectAnswer(ConvolutionalNetworkQuestions.whyPadFMinusOneOverTwo(), "inlineQuestion2", digest: "611dc170a9986530", question: "cnn.2", shown: { ".\($0)" },
                         hint: "compute (N + 2 · (F - 1) / 2 - F) / 1 + 1 for N = 32 and F = 3, 5, 7")
    }

    func test_inlineQuestion3_whatAOneByOneConvolutionComputes() throws {
        try expectAnswer(ConvolutionalNetworkQuestions.whatAOneByOneConvolutionComputes(), "inlineQuestion3", digest: "b478efacf8ecc5e5", question: "cnn.3", shown: { ".\($0)" },
                         hint: "a 1 x 1 filter still spans the whole depth of the input: what does it multiply at each pixel?")
    }

    func test_inlineQuestion4_parameterCounts() throws {
        let answer = try attempt { try ConvolutionalNetworkQuestions.parameterCounts() }
        // The lecture's layer as tensors: ten (3, 5, 5) filters and ten biases; the affine layer from a
        // 32 x 32 x 3 image to 32 x 32 x 10 outputs: a (3,072, 10,240) weight matrix and 10,240 biases.
        let convolution = Tensor.zeros(10, 3, 5, 5).count + Tensor.zeros(10).count
        let (inputs, outputs) = (32 * 32 * 3, 32 * 32 * 10)
        let affine = inputs * outputs + outputs
        expectAnswer(answer.convolution == convolution, "inlineQuestion4", yourAnswer: "convolution: \(answer.convolution)",
                     hint: "each filter is 5 x 5 x 3, and has one bias")
        expectAnswer(answer.affineWithTheSameOutput == affine, "inlineQuestion4",
                     yourAnswer: "affine: \(answer.affineWithTheSameOutput)",
                     hint: "every one of the 32 · 32 · 10 outputs has its own weight for each of the 3,072 inputs, and a bias")
    }
}
