import Foundation
import LinearAlgebra

// Given code of chapter 3 (Exercises/03-backpropagation): its error type and the input checks that
// open its exercises.

/// The clear errors of the backpropagation chapter (bad input is reported, never trapped).
public enum BackpropError: Error, Equatable, CustomStringConvertible {
    /// A gate received a number of inputs other than its ``Gate/inputCount``.
    case wrongInputCount(gate: String, expected: Int, got: Int)
    /// A gate received NaN or an infinity as its input number `position` (0-based).
    case nonFiniteInput(gate: String, position: Int)
    /// 1/x was asked for at x = 0.
    case divisionByZero(gate: String)
    /// `backward` was called on a gate (or graph) whose forward pass has not run.
    case backwardBeforeForward(gate: String)
    /// A matrix product x W whose inner dimensions differ: x is (N, D), W must be (D, M).
    case innerDimensionMismatch(x: String, weights: String)
    /// An upstream gradient whose shape is not the shape of the forward pass's output.
    case upstreamShapeMismatch(gate: String, expected: String, got: String)
    /// Two nodes of a computational graph with the same name.
    case duplicateName(String)
    /// A node index that is not in the graph (its nodes are 0 ..< nodeCount).
    case unknownNode(Int, nodeCount: Int)
    /// `forward` was not given a value for the graph input with this name.
    case missingInput(String)
    /// `forward` was given a value for a name that is not a graph input.
    case unexpectedInput(String)
    /// A graph with no nodes has no output.
    case emptyGraph
    /// A loss was given a different number of labels than examples.
    case labelCountMismatch(examples: Int, labels: Int)
    /// A label outside 0 ..< classes.
    case labelOutOfRange(label: Int, classes: Int)
    /// A loss averaged over an empty batch.
    case emptyBatch
    /// Training stopped at its step limit with the loss still above the target.
    case didNotConverge(steps: Int, loss: Double, target: Double)

    public var description: String {
        switch self {
        case let .wrongInputCount(gate, expected, got):
            return "the \(gate) gate takes \(expected) input\(expected == 1 ? "" : "s") but was given \(got)"
        case let .nonFiniteInput(gate, position):
            return "input \(position) of the \(gate) gate is NaN or infinite: check the values that feed it"
        case let .divisionByZero(gate):
            return "the \(gate) gate is undefined at 0: its input must not be zero"
        case let .backwardBeforeForward(gate):
            return "backward was called on \(gate) before forward: run the forward pass first, it caches what backward needs"
        case let .innerDimensionMismatch(x, weights):
            return "cannot multiply x \(x) by W \(weights): x is (N, D) and W must be (D, M), with as many rows as x has columns"
        case let .upstreamShapeMismatch(gate, expected, got):
            return "the upstream gradient of the \(gate) gate has shape \(got) but its output has shape \(expected): they must match"
        case let .duplicateName(name):
            return "the graph already has a node named '\(name)': give every node its own name"
        case let .unknownNode(index, nodeCount):
            return "node \(index) is not in the graph: its nodes are 0 ..< \(nodeCount), and inputs must be added before the gates that use them"
        case let .missingInput(name):
            return "no value was given for the graph input '\(name)'"
        case let .unexpectedInput(name):
            return "a value was given for '\(name)', which is not an input of the graph"
        case .emptyGraph:
            return "the graph has no nodes: add inputs and gates first"
        case let .labelCountMismatch(examples, labels):
            return "\(examples) examples but \(labels) labels: give one label per example (row)"
        case let .labelOutOfRange(label, classes):
            return "label \(label) is not a class: labels must be in 0 ..< \(classes)"
        case .emptyBatch:
            return "the batch is empty: the loss is a mean over at least one example"
        case let .didNotConverge(steps, loss, target):
            return "the loss is still \(String(format: "%.4g", loss)) after \(steps) steps (target: below \(target)): " +
                "try another seed, more steps or another learning rate"
        }
    }
}

/// Throws unless x (N, D) with N >= 1, W (D, C) and N labels in 0 ..< C fit together.
public func checkSVMInputs(weights: Matrix, x: Matrix, y: [Int]) throws {
    guard x.cols == weights.rows else {
        throw BackpropError.innerDimensionMismatch(x: x.shapeDescription, weights: weights.shapeDescription)
    }
    guard x.rows > 0 else { throw BackpropError.emptyBatch }
    guard y.count == x.rows else { throw BackpropError.labelCountMismatch(examples: x.rows, labels: y.count) }
    if let label = y.first(where: { !(0 ..< weights.cols).contains($0) }) {
        throw BackpropError.labelOutOfRange(label: label, classes: weights.cols)
    }
}

/// A constant for a gate's label: `1` rather than `1.0`, `-0.5` as it is.
public func shortNumber(_ x: Double) -> String { String(format: "%g", x) }
