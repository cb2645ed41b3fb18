import XCTest
import LinearAlgebra
import GradientCheck
@testable import Workbook

/// Chapter 3, inline questions: Exercises/03-backpropagation/BackpropQuestions.swift. Every expected answer is a centred
/// numerical derivative computed here, without the student's gates.
extension GatesTests {
    /// The lecture's f(x, y, z, w) = 2 (x y + max(z, w)) at (3, -4, 2, -1), and its numerical gradient.
    private var patternGradient: Matrix {
        numericalGradient(of: { v in 2 * (v[0, 0] * v[0, 1] + max(v[0, 2], v[0, 3])) }, at: Matrix(row: [3, -4, 2, -1]))
    }

    func test_inlineQuestion1_gradientsThroughAddGate() throws {
        let answer = try attempt { try BackpropQuestions.gradientsThroughAddGate() }
        // f as a function of the add gate's inputs q1 = x y and q2 = max(z, w): 2 (q1 + q2).
        let expected = numericalGradient(of: { q in 2 * (q[0, 0] + q[0, 1]) }, at: Matrix(row: [-12, 2]))
        expectAnswer(abs(answer.toProduct - expected[0, 0]) < 1e-6 && abs(answer.toMax - expected[0, 1]) < 1e-6,
                     "inlineQuestion1", yourAnswer: "(\(format(answer.toProduct)), \(format(answer.toMax)))",
                     hint: "the add gate's local gradients are 1 and 1")
    }

    func test_inlineQuestion2_gradientsThroughMaxGate() throws {
        let answer = try attempt { try BackpropQuestions.gradientsThroughMaxGate() }
        let g = patternGradient
        expectAnswer(abs(answer.dz - g[0, 2]) < 1e-6 && abs(answer.dw - g[0, 3]) < 1e-6, "inlineQuestion2",
                     yourAnswer: "(\(format(answer.dz)), \(format(answer.dw)))",
                     hint: "max routes the whole gradient to the input that won, and nothing to the other")
    }

    func test_inlineQuestion3_gradientsThroughMultiplyGate() throws {
        let answer = try attempt { try BackpropQuestions.gradientsThroughMultiplyGate() }
        let g = patternGradient
        expectAnswer(abs(answer.dx - g[0, 0]) < 1e-6 && abs(answer.dy - g[0, 1]) < 1e-6, "inlineQuestion3",
                     yourAnswer: "(\(format(answer.dx)), \(format(answer.dy)))",
                     hint: "multiply swaps its inputs: the gradient to x is y times the upstream")
    }

    func test_inlineQuestion4_sigmoidLocalGradientAtZero() throws {
        let answer = try attempt { try BackpropQuestions.sigmoidLocalGradientAtZero() }
        let expected = numericalGradient(of: { 1 / (1 + exp(-$0[0, 0])) }, at: Matrix(row: [0]))[0, 0]
        expectAnswer(abs(answer - expected) < 1e-6, "inlineQuestion4", yourAnswer: format(answer),
                     hint: "dσ/dx = σ(x) (1 - σ(x)), and σ(0) = 1/2")
    }

    func test_inlineQuestion5_fanOutGradient() throws {
        let answer = try attempt { try BackpropQuestions.fanOutGradient() }
        let expected = numericalGradient(of: { $0[0, 0] * $0[0, 0] + $0[0, 0] }, at: Matrix(row: [3]))[0, 0]
        expectAnswer(abs(answer - expected) < 1e-6, "inlineQuestion5", yourAnswer: format(answer),
                     hint: "where a value fans out, the gradients of its uses add up")
    }
}
