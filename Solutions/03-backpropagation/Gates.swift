import Foundation
import LinearAlgebra
import GradientCheck

// Chapter 3: backpropagation on computational graphs. This file: the scalar gates.
//
// A gate turns one or two numbers into one. Its forward pass computes the output and keeps what its
// backward pass will need; its backward pass receives the upstream gradient dL/d(output) and returns,
// for each input, the gate's local gradient d(output)/d(input) times the upstream: the chain rule, one
// gate at a time. Source: the lecture "Backpropagation and Neural Networks" (computational graphs,
// patterns in backward flow, the forward/backward API of gates).
//
// The exercises are every gate's `forward` and `backward`; given are the `Gate` protocol with its input
// checks and the first lines of each body (the checks); the chapter's error type, ``BackpropError``, is in
// Sources/ExerciseSupport/BackpropError.swift.

/// A node of a computational graph that computes one number from one or two numbers.
///
/// `forward` computes the output and caches what `backward` needs (for most gates, the inputs or the
/// output); `backward` takes dL/d(output) and returns dL/d(input) for each input, in input order.
/// Gates are values: a gate's cache lives in the copy whose `forward` ran, so keep using that copy.
public protocol Gate {
    /// The number of inputs: 1 or 2.
    var inputCount: Int { get }
    /// A short name for tables and drawings, e.g. `*`, `exp` or `σ`.
    var label: String { get }
    /// Computes the output from `inputCount` inputs and caches what ``backward(_:)`` needs.
    /// - Throws: ``BackpropError/wrongInputCount(gate:expected:got:)``,
    ///   ``BackpropError/nonFiniteInput(gate:position:)``, or a gate's own domain error.
    mutating func forward(_ inputs: [Double]) throws -> Double
    /// Given `upstream` = dL/d(output), returns dL/d(input) = d(output)/d(input) * upstream for each input.
    /// - Throws: ``BackpropError/backwardBeforeForward(gate:)`` when the gate needs a cache that no
    ///   forward pass has left.
    func backward(_ upstream: Double) throws -> [Double]
}

extension Gate {
    /// Throws unless `inputs` holds exactly ``inputCount`` finite numbers.
    public func checkInputs(_ inputs: [Double]) throws {
        guard inputs.count == inputCount else {
            throw BackpropError.wrongInputCount(gate: label, expected: inputCount, got: inputs.count)
        }
        if let position = inputs.firstIndex(where: { !$0.isFinite }) {
            throw BackpropError.nonFiniteInput(gate: label, position: position)
        }
    }

    /// The cache a forward pass left, or ``BackpropError/backwardBeforeForward(gate:)`` when there is none.
    public func cached<Cache>(_ cache: Cache?) throws -> Cache {
        guard let cache else { throw BackpropError.backwardBeforeForward(gate: label) }
        return cache
    }
}

// MARK: - Gates with two inputs

/// out = x + y. Backward: the add gate *distributes* the upstream gradient, unchanged, to both inputs,
/// because d(out)/dx = d(out)/dy = 1. It needs nothing from the forward pass, so it caches nothing.
public struct AddGate: Gate, Sendable {
    public let inputCount = 2
    public let label = "+"

    public init() {}

    /// Returns `inputs[0] + inputs[1]`.
    /// - Throws: ``BackpropError/wrongInputCount(gate:expected:got:)`` or ``BackpropError/nonFiniteInput(gate:position:)``.
    public mutating func forward(_ inputs: [Double]) throws -> Double {
        try checkInputs(inputs)
        return inputs[0] + inputs[1]
    }

    /// Returns [dL/dx, dL/dy] = [upstream, upstream].
    public func backward(_ upstream: Double) throws -> [Double] {
        [upstream, upstream]
    }
}

/// out = x * y. Backward: the multiply gate *swaps* its inputs: dL/dx = y * upstream and dL/dy = x * upstream,
/// so it caches both inputs.
public struct MultiplyGate: Gate, Sendable {
    public let inputCount = 2
    public let label = "*"
    /// The inputs (x, y) of the last forward pass; `nil` before the first.
    public internal(set) var cachedInputs: (x: Double, y: Double)?

    public init() {}

    /// Returns `inputs[0] * inputs[1]` and caches both inputs.
    /// - Throws: ``BackpropError/wrongInputCount(gate:expected:got:)`` or ``BackpropError/nonFiniteInput(gate:position:)``.
    public mutating func forward(_ inputs: [Double]) throws -> Double {
        try checkInputs(inputs)
        cachedInputs = (inputs[0], inputs[1])
        return inputs[0] * inputs[1]
    }

    /// Returns [dL/dx, dL/dy] = [y * upstream, x * upstream].
    /// - Throws: ``BackpropError/backwardBeforeForward(gate:)``.
    public func backward(_ upstream: Double) throws -> [Double] {
        let (x, y) = try cached(cachedInputs)
        return [y * upstream, x * upstream]
    }
}

/// out = max(x, y). Backward: the max gate *routes* the whole upstream gradient to the larger input and
/// gives the other 0 (a small change of the smaller input does not change the output). On a tie the
/// gradient goes to the first input, x: max is not differentiable there, and any split is a valid
/// subgradient; this is the convention here.
public struct MaxGate: Gate, Sendable {
    public let inputCount = 2
    public let label = "max"
    /// The inputs (x, y) of the last forward pass; `nil` before the first.
    public internal(set) var cachedInputs: (x: Double, y: Double)?

    public init() {}

    /// Returns the larger of `inputs[0]` and `inputs[1]` and caches both inputs.
    /// - Throws: ``BackpropError/wrongInputCount(gate:expected:got:)`` or ``BackpropError/nonFiniteInput(gate:position:)``.
    public mutating func forward(_ inputs: [Double]) throws -> Double {
        try checkInputs(inputs)
        cachedInputs = (inputs[0], inputs[1])
        return max(inputs[0], inputs[1])
    }

    /// Returns [upstream, 0] when x >= y and [0, upstream] when y > x.
    /// - Throws: ``BackpropError/backwardBeforeForward(gate:)``.
    public func backward(_ upstream: Double) throws -> [Double] {
        let (x, y) = try cached(cachedInputs)
        return x >= y ? [upstream, 0] : [0, upstream]
    }
}

// MARK: - Gates with one input

/// out = e^x. Backward: e^x is its own derivative, so the gate caches its output and returns
/// out * upstream.
public struct ExpGate: Gate, Sendable {
    public let inputCount = 1
    public let label = "exp"
    /// e^x from the last forward pass; `nil` before the first.
    public internal(set) var cachedOutput: Double?

    public init() {}

    /// Returns e^x and caches it.
    /// - Throws: ``BackpropError/wrongInputCount(gate:expected:got:)`` or ``BackpropError/nonFiniteInput(gate:position:)``.
    public mutating func forward(_ inputs: [Double]) throws -> Double {
        try checkInputs(inputs)
        let out = Foundation.exp(inputs[0])
        cachedOutput = out
        return out
    }

    /// Returns [e^x * upstream].
    /// - Throws: ``BackpropError/backwardBeforeForward(gate:)``.
    public func backward(_ upstream: Double) throws -> [Double] {
        [try cached(cachedOutput) * upstream]
    }
}

/// out = 1/x. Backward: d(1/x)/dx = -1/x^2 = -out^2, so the gate caches its output.
public struct ReciprocalGate: Gate, Sendable {
    public let inputCount = 1
    public let label = "1/x"
    /// 1/x from the last forward pass; `nil` before the first.
    public internal(set) var cachedOutput: Double?

    public init() {}

    /// Returns 1/x and caches it.
    /// - Throws: ``BackpropError/divisionByZero(gate:)`` at x = 0, ``BackpropError/wrongInputCount(gate:expected:got:)``
    ///   or ``BackpropError/nonFiniteInput(gate:position:)``.
    public mutating func forward(_ inputs: [Double]) throws -> Double {
        try checkInputs(inputs)
        guard inputs[0] != 0 else { throw BackpropError.divisionByZero(gate: label) }
        let out = 1 / inputs[0]
        cachedOutput = out
        return out
    }

    /// Returns [-out^2 * upstream].
    /// - Throws: ``BackpropError/backwardBeforeForward(gate:)``.
    public func backward(_ upstream: Double) throws -> [Double] {
        let out = try cached(cachedOutput)
        return [-out * out * upstream]
    }
}

/// out = x + c for a constant c. Backward: the local gradient is 1, so the upstream passes unchanged;
/// nothing needs caching.
public struct AddConstantGate: Gate, Sendable {
    public let inputCount = 1
    /// The constant c.
    public let constant: Double
    public var label: String { constant < 0 ? "-\(shortNumber(-constant))" : "+\(shortNumber(constant))" }

    public init(_ constant: Double) { self.constant = constant }

    /// Returns x + c.
    /// - Throws: ``BackpropError/wrongInputCount(gate:expected:got:)`` or ``BackpropError/nonFiniteInput(gate:position:)``.
    public mutating func forward(_ inputs: [Double]) throws -> Double {
        try checkInputs(inputs)
        return inputs[0] + constant
    }

    /// Returns [upstream].
    public func backward(_ upstream: Double) throws -> [Double] {
        [upstream]
    }
}

/// out = c * x for a constant c. Backward: the local gradient is c; nothing needs caching.
public struct MultiplyConstantGate: Gate, Sendable {
    public let inputCount = 1
    /// The constant c.
    public let constant: Double
    public var label: String { "*\(shortNumber(constant))" }

    public init(_ constant: Double) { self.constant = constant }

    /// Returns c * x.
    /// - Throws: ``BackpropError/wrongInputCount(gate:expected:got:)`` or ``BackpropError/nonFiniteInput(gate:position:)``.
    public mutating func forward(_ inputs: [Double]) throws -> Double {
        try checkInputs(inputs)
        return constant * inputs[0]
    }

    /// Returns [c * upstream].
    public func backward(_ upstream: Double) throws -> [Double] {
        [constant * upstream]
    }
}

/// out = σ(x) = 1 / (1 + e^-x), the sigmoid, as one fused gate. Backward: dσ/dx = σ(x) (1 - σ(x)), so the
/// gate caches its output and needs no exponential in the backward pass. The fused gate gives the same
/// gradient as the chain *-1, exp, +1, 1/x in four steps; grouping gates into one is allowed whenever
/// the local gradient of the group is easy to write.
public struct SigmoidGate: Gate, Sendable {
    public let inputCount = 1
    public let label = "σ"
    /// σ(x) from the last forward pass; `nil` before the first.
    public internal(set) var cachedOutput: Double?

    public init() {}

    /// Returns σ(x) and caches it. Saturates to 0 or 1 for large |x| without producing NaN.
    /// - Throws: ``BackpropError/wrongInputCount(gate:expected:got:)`` or ``BackpropError/nonFiniteInput(gate:position:)``.
    public mutating func forward(_ inputs: [Double]) throws -> Double {
        try checkInputs(inputs)
        let out = 1 / (1 + Foundation.exp(-inputs[0]))
        cachedOutput = out
        return out
    }

    /// Returns [σ (1 - σ) * upstream].
    /// - Throws: ``BackpropError/backwardBeforeForward(gate:)``.
    public func backward(_ upstream: Double) throws -> [Double] {
        let sigma = try cached(cachedOutput)
        return [sigma * (1 - sigma) * upstream]
    }
}

/// out = tanh(x). Backward: d tanh/dx = 1 - tanh(x)^2, so the gate caches its output.
public struct TanhGate: Gate, Sendable {
    public let inputCount = 1
    public let label = "tanh"
    /// tanh(x) from the last forward pass; `nil` before the first.
    public internal(set) var cachedOutput: Double?

    public init() {}

    /// Returns tanh(x) and caches it.
    /// - Throws: ``BackpropError/wrongInputCount(gate:expected:got:)`` or ``BackpropError/nonFiniteInput(gate:position:)``.
    public mutating func forward(_ inputs: [Double]) throws -> Double {
        try checkInputs(inputs)
        let out = Foundation.tanh(inputs[0])
        cachedOutput = out
        return out
    }

    /// Returns [(1 - tanh^2) * upstream].
    /// - Throws: ``BackpropError/backwardBeforeForward(gate:)``.
    public func backward(_ upstream: Double) throws -> [Double] {
        let out = try cached(cachedOutput)
        return [(1 - out * out) * upstream]
    }
}

/// out = max(0, x), the rectified linear unit: a max gate with one input fixed at 0. Backward: the
/// upstream passes where x > 0 and is blocked (0) where x <= 0; at the kink x = 0 the gradient is 0 by
/// convention. The gate caches its input.
public struct ReLUGate: Gate, Sendable {
    public let inputCount = 1
    public let label = "ReLU"
    /// x from the last forward pass; `nil` before the first.
    public internal(set) var cachedInput: Double?

    public init() {}

    /// Returns max(0, x) and caches x.
    /// - Throws: ``BackpropError/wrongInputCount(gate:expected:got:)`` or ``BackpropError/nonFiniteInput(gate:position:)``.
    public mutating func forward(_ inputs: [Double]) throws -> Double {
        try checkInputs(inputs)
        cachedInput = inputs[0]
        return max(0, inputs[0])
    }

    /// Returns [upstream] when x > 0, else [0].
    /// - Throws: ``BackpropError/backwardBeforeForward(gate:)``.
    public func backward(_ upstream: Double) throws -> [Double] {
        [try cached(cachedInput) > 0 ? upstream : 0]
    }
}
