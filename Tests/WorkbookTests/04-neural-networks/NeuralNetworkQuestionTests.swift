import XCTest
import Foundation
import LinearAlgebra
@testable import Workbook

/// Chapter 4, inline questions: Exercises/04-neural-networks/NeuralNetworkQuestions.swift. Where the
/// answer can be computed, the test computes it; otherwise it compares a digest (see Support/AnswerKey.swift).
extension NeuralNetworkTests {
    func test_inlineQuestion1_problemsOfTheSigmoid() throws {
        try expectAnswer(NeuralNetworkQuestions.problemsOfTheSigmoid(), "inlineQuestion1", digest: "8c2dcb7ab5667154", question: "nn.1",
                         hint: "three of them: look at σ'(x) for large |x|, at the sign of σ(x), and at what it costs to compute")
    }

    func test_inlineQuestion2_allZeroWeights() throws {
        try expectAnswer(NeuralNetworkQuestions.allZeroWeights(), "inlineQuestion2", digest: "b99ccdbc114b43ee", question: "nn.2",
                         hint: "if two hidden units have the same weights, what are their outputs and their gradients?")
    }

    func test_inlineQuestion3_deadReLU() throws {
        try expectAnswer(NeuralNetworkQuestions.deadReLU(), "inlineQuestion3", digest: "bff4280a2501410b", question: "nn.3",
                         hint: "ReLU's gradient is 0 wherever its input is negative; what if that is so for every example?")
    }

    func test_inlineQuestion4_initialLossWithTenClasses() throws {
        let answer = try attempt { try NeuralNetworkQuestions.initialLossWithTenClasses() }
        // Computed: the softmax loss of all-zero scores (what tiny weights give) for 10 classes.
        let expected = NetReference.softmaxLoss(Tensor(shape: [1, 10]), [3])
        expectAnswer(abs(answer - expected) < 1e-3, "inlineQuestion4", yourAnswer: format(answer),
                     hint: "tiny weights make every class equally likely: p = 1/10 for each; the loss is -ln p (natural log)")
    }

    func test_inlineQuestion5_healthyUpdateToWeightRatioExponent() throws {
        try expectAnswer(NeuralNetworkQuestions.healthyUpdateToWeightRatioExponent(), "inlineQuestion5", digest: "7c1deef240376e24", question: "nn.5",
                         hint: "the lecture's rule of thumb for ‖lr · dW‖ / ‖W‖ per step; the Solver prints it per parameter")
    }

    func test_inlineQuestion6_initializationForTanh() throws {
        try expectAnswer(NeuralNetworkQuestions.initializationForTanh(), "inlineQuestion6", digest: "81ac74666a73f0ba", question: "nn.6",
                         hint: "run the initialization experiment (swift run -c release two-layer-net) and read the tanh tables")
    }

    func test_inlineQuestion7_initializationForReLU() throws {
        try expectAnswer(NeuralNetworkQuestions.initializationForReLU(), "inlineQuestion7", digest: "a2256104003bb1a1", question: "nn.7",
                         hint: "ReLU zeroes half of its inputs: which initialization doubles the variance to make up for it?")
    }
}
