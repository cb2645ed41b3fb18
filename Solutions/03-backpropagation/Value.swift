import Foundation
import LinearAlgebra
import GradientCheck

// Chapter 3: backpropagation on computational graphs. This file: a tiny scalar autograd.
//
// `Value` is a number that remembers how it was computed. Every operator builds a new Value whose
// `inputs` are its operands, so writing an expression records its computational graph as it goes;
// `backward()` then sorts that graph topologically and applies each operation's backward rule from the
// output back to the leaves. The idea is Andrej Karpathy's micrograd; this version is written for the
// workbook, with the rules as exercises. Source: the lecture "Backpropagation and Neural Networks".
//
//     let x = Value(-2), y = Value(5), z = Value(-4)
//     let f = (x + y) * z        // f.data == -12
//     try f.backward()           // x.grad == -4, y.grad == -4, z.grad == 3

/// How a ``Value`` was computed from its ``Value/inputs``.
public enum Operation: Equatable, Sendable, CustomStringConvertible {
    /// A leaf: a variable or a constant, computed from nothing.
    case leaf
    /// a + b.
    case add
    /// a * b.
    case multiply
    /// a^k for a constant exponent k.
    case power(Double)
    /// e^a.
    case exp
    /// tanh(a).
    case tanh
    /// σ(a) = 1 / (1 + e^-a).
    case sigmoid
    /// max(0, a).
    case relu

    /// The operation as the lecture labels a gate: `+`, `*`, `^2`, `exp`, `tanh`, `σ`, `ReLU` (empty for a leaf).
    public var description: String {
        switch self {
        case .leaf: return ""
        case .add: return "+"
        case .multiply: return "*"
        case let .power(k): return "^\(shortNumber(k))"
        case .exp: return "exp"
        case .tanh: return "tanh"
        case .sigmoid: return "σ"
        case .relu: return "ReLU"
        }
    }
}

/// A scalar that records the computational graph it comes from, for reverse-mode differentiation.
///
/// `Value` is a class: a graph is made of shared nodes, and a leaf used in several places (a weight
/// used by every example) must be one object whose ``grad`` collects every contribution. Two Values are
/// equal only when they are the same object.
///
/// Operators (`+`, `-`, `*`, `/`, unary `-`, with a `Double` on either side) and the functions
/// ``power(_:)``, ``exp()``, ``tanh()``, ``sigmoid()`` and ``relu()`` compute the forward value at once
/// and record the operation. A `Double` operand becomes a constant leaf. Subtraction and division are
/// built from the others: a - b = a + (-1) b and a / b = a b^-1.
///
/// ``backward()`` throws, because the backward rules are the student's exercises and throw
/// `NotImplemented` until they are written; the operators themselves never throw (a result can be
/// NaN or infinite, as with `Double`).
public final class Value {
    /// The number computed by the forward pass. Leaves can be changed (a training step updates the
    /// weights); changing a computed Value does not update the Values built from it.
    public var data: Double
    /// After ``backward()`` on some output: d(output)/d(self). Zero until then.
    public internal(set) var grad: Double = 0
    /// How this Value was computed.
    public let operation: Operation
    /// The Values it was computed from, in operand order (empty for a leaf).
    public let inputs: [Value]
    /// A name for tables and drawings; empty unless given.
    public var label: String

    /// A leaf: a variable (a weight, an input) or a constant.
    public init(_ data: Double, label: String = "") {
        self.data = data
        self.operation = .leaf
        self.inputs = []
        self.label = label
    }

    /// A computed Value; only the operators make these.
    init(_ data: Double, _ operation: Operation, _ inputs: [Value]) {
        self.data = data
        self.operation = operation
        self.inputs = inputs
        self.label = ""
    }

    // MARK: Given: the backward pass

    /// Computes d(self)/d(v) for every Value v that `self` was computed from, into `v.grad`.
    ///
    /// Sets every ``grad`` in the graph to 0, sets this Value's to 1 (d self / d self), and applies each
    /// operation's backward rule in reverse ``topologicalOrder()``, so that every node's gradient is
    /// complete before it is passed to its inputs. Calling it again gives the same gradients.
    /// - Throws: `NotImplemented` while the topological sort or a needed backward rule is a stub.
    public func backward() throws {
        let order = try topologicalOrder()
        for value in order { value.grad = 0 }
        grad = 1
        for value in order.reversed() { try value.propagateGradient() }
    }

    /// Applies the backward rule of this Value's operation: adds d(self)/d(input) * grad to every input's grad.
    public func propagateGradient() throws {
        switch operation {
        case .leaf: return
        case .add: try addBackward()
        case .multiply: try multiplyBackward()
        case let .power(k): try powerBackward(exponent: k)
        case .exp: try expBackward()
        case .tanh: try tanhBackward()
        case .sigmoid: try sigmoidBackward()
        case .relu: try reluBackward()
        }
    }

    // MARK: Exercises: the topological sort

    /// Every Value this one was computed from, and itself, each exactly once, ordered so that each
    /// Value comes after all of its inputs; `self` is last.
    ///
    /// A depth-first search does it: visit a Value's inputs before appending the Value itself, and skip
    /// Values already visited (a Value used twice must appear once).
    /// - Throws: `NotImplemented` while it is a stub.
    public func topologicalOrder() throws -> [Value] {
        var order: [Value] = []
        var visited: Set<Value> = []
        func visit(_ value: Value) {
            guard visited.insert(value).inserted else { return }
            for input in value.inputs { visit(input) }
            order.append(value)
        }
        visit(self)
        return order
    }

    // MARK: Exercises: the backward rules
    //
    // In each rule `self` is the output, out = op(inputs), and `grad` holds d(loss)/d(out), complete.
    // A rule *adds* (+=) d(out)/d(input) * grad to each input's grad: an input used elsewhere, or twice
    // here, collects the sum of its contributions.

    /// out = a + b: both inputs receive out.grad unchanged (the add gate distributes).
    public func addBackward() throws {
        inputs[0].grad += grad
        inputs[1].grad += grad
    }

    /// out = a * b: a receives b * out.grad and b receives a * out.grad (the multiply gate swaps).
    public func multiplyBackward() throws {
        let (a, b) = (inputs[0], inputs[1])
        a.grad += b.data * grad
        b.grad += a.data * grad
    }

    /// out = a^k for a constant k (the exponent of ``Operation/power(_:)``): a receives k a^(k-1) * out.grad.
    public func powerBackward(exponent k: Double) throws {
        let a = inputs[0]
        a.grad += k * Foundation.pow(a.data, k - 1) * grad
    }

    /// out = e^a: a receives out * out.grad (e^a is its own derivative).
    public func expBackward() throws {
        inputs[0].grad += data * grad
    }

    /// out = tanh(a): a receives (1 - out^2) * out.grad.
    public func tanhBackward() throws {
        inputs[0].grad += (1 - data * data) * grad
    }

    /// out = σ(a): a receives out (1 - out) * out.grad.
    public func sigmoidBackward() throws {
        inputs[0].grad += data * (1 - data) * grad
    }

    /// out = max(0, a): a receives out.grad where a > 0, and nothing where a <= 0.
    public func reluBackward() throws {
        if inputs[0].data > 0 { inputs[0].grad += grad }
    }
}

// MARK: - Given: the forward operations

extension Value {
    public static func + (a: Value, b: Value) -> Value { Value(a.data + b.data, .add, [a, b]) }
    public static func + (a: Value, b: Double) -> Value { a + Value(b) }
    public static func + (a: Double, b: Value) -> Value { Value(a) + b }

    public static func * (a: Value, b: Value) -> Value { Value(a.data * b.data, .multiply, [a, b]) }
    public static func * (a: Value, b: Double) -> Value { a * Value(b) }
    public static func * (a: Double, b: Value) -> Value { Value(a) * b }

    public static prefix func - (a: Value) -> Value { a * -1 }
    public static func - (a: Value, b: Value) -> Value { a + (-b) }
    public static func - (a: Value, b: Double) -> Value { a + (-b) }
    public static func - (a: Double, b: Value) -> Value { Value(a) + (-b) }

    public static func / (a: Value, b: Value) -> Value { a * b.power(-1) }
    public static func / (a: Value, b: Double) -> Value { a * (1 / b) }
    public static func / (a: Double, b: Value) -> Value { Value(a) * b.power(-1) }

    /// self^k for a constant k (k = -1 is the reciprocal); NaN for a negative base and a fractional k.
    public func power(_ k: Double) -> Value { Value(Foundation.pow(data, k), .power(k), [self]) }
    /// e^self.
    public func exp() -> Value { Value(Foundation.exp(data), .exp, [self]) }
    /// tanh(self).
    public func tanh() -> Value { Value(Foundation.tanh(data), .tanh, [self]) }
    /// σ(self) = 1 / (1 + e^-self), as one operation.
    public func sigmoid() -> Value { Value(1 / (1 + Foundation.exp(-data)), .sigmoid, [self]) }
    /// max(0, self).
    public func relu() -> Value { Value(max(0, data), .relu, [self]) }
}

extension Value: Hashable, CustomStringConvertible {
    /// The same object: Values are nodes of a graph, not numbers.
    public static func == (a: Value, b: Value) -> Bool { a === b }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }

    public var description: String {
        let name = label.isEmpty ? "" : "\(label) "
        return "Value(\(name)data: \(String(format: "%.6g", data)), grad: \(String(format: "%.6g", grad)))"
    }
}
