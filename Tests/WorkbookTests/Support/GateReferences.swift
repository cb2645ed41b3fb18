import Foundation
import LinearAlgebra
@testable import Workbook

// Chapter 3's references: plain, obviously correct computations written independently of the
// exercises, so that each exercise is graded on its own (the graph with these gates rather than the
// student's, the backward cells against loops rather than against the student's forward cells).

/// One elementary operation of a random expression, with its value and partial derivatives written out.
enum ElementaryOperation: Equatable {
    case add, multiply, max
    case exp, reciprocal, square, sigmoid, tanh, relu
    case addConstant(Double), multiplyConstant(Double)

    var inputCount: Int { [.add, .multiply, .max].contains(self) ? 2 : 1 }

    func evaluate(_ v: [Double]) -> Double {
        switch self {
        case .add: return v[0] + v[1]
        case .multiply: return v[0] * v[1]
        case .max: return Swift.max(v[0], v[1])
        case .exp: return Foundation.exp(v[0])
        case .reciprocal: return 1 / v[0]
        case .square: return v[0] * v[0]
        case .sigmoid: return 1 / (1 + Foundation.exp(-v[0]))
        case .tanh: return Foundation.tanh(v[0])
        case .relu: return Swift.max(0, v[0])
        case let .addConstant(c): return v[0] + c
        case let .multiplyConstant(c): return c * v[0]
        }
    }

    /// d(output)/d(input k) for each input k.
    func partials(_ v: [Double]) -> [Double] {
        switch self {
        case .add: return [1, 1]
        case .multiply: return [v[1], v[0]]
        case .max: return v[0] >= v[1] ? [1, 0] : [0, 1]
        case .exp: return [Foundation.exp(v[0])]
        case .reciprocal: return [-1 / (v[0] * v[0])]
        case .square: return [2 * v[0]]
        case .sigmoid:
            let s = 1 / (1 + Foundation.exp(-v[0]))
            return [s * (1 - s)]
        case .tanh:
            let t = Foundation.tanh(v[0])
            return [1 - t * t]
        case .relu: return [v[0] > 0 ? 1 : 0]
        case .addConstant: return [1]
        case let .multiplyConstant(c): return [c]
        }
    }

    /// Whether the operation is safe to apply at `v`: finite and bounded, and far (1e-3) from kinks
    /// and poles, so that a centred difference with h = 1e-5 sees a smooth function.
    func isSafe(at v: [Double]) -> Bool {
        let out = evaluate(v)
        guard out.isFinite && abs(out) < 20 else { return false }
        switch self {
        case .max: return abs(v[0] - v[1]) > 1e-3
        case .relu: return abs(v[0]) > 1e-3
        case .reciprocal: return abs(v[0]) > 0.3
        case .exp: return abs(v[0]) < 2.5
        default: return true
        }
    }
}

/// A gate for grading the computational graph on its own: forward and backward from
/// ``ElementaryOperation``, with the same caching contract as the student's gates.
struct ReferenceGate: Gate {
    let operation: ElementaryOperation
    var inputCount: Int { operation.inputCount }
    var label: String { "reference \(operation)" }
    private var cachedInputs: [Double]?

    init(_ operation: ElementaryOperation) { self.operation = operation }

    mutating func forward(_ inputs: [Double]) throws -> Double {
        try checkInputs(inputs)
        cachedInputs = inputs
        return operation.evaluate(inputs)
    }

    func backward(_ upstream: Double) throws -> [Double] {
        operation.partials(try cached(cachedInputs)).map { $0 * upstream }
    }
}

extension ComputationalGraph {
    /// The same graph (names, inputs, order) with every gate replaced by the reference gate of the same
    /// operation, so that a test of the graph's forward and backward passes does not depend on the gates'.
    func withReferenceGates() throws -> ComputationalGraph {
        var copy = ComputationalGraph()
        for node in nodes {
            guard let gate = node.gate else {
                try copy.input(node.name)
                continue
            }
            let operation: ElementaryOperation
            switch gate {
            case is AddGate: operation = .add
            case is MultiplyGate: operation = .multiply
            case is MaxGate: operation = .max
            case is ExpGate: operation = .exp
            case is ReciprocalGate: operation = .reciprocal
            case is SigmoidGate: operation = .sigmoid
            case is TanhGate: operation = .tanh
            case is ReLUGate: operation = .relu
            case let constant as AddConstantGate: operation = .addConstant(constant.constant)
            case let constant as MultiplyConstantGate: operation = .multiplyConstant(constant.constant)
            default: preconditionFailure("withReferenceGates: no reference for the gate \(gate.label)")
            }
            try copy.add(ReferenceGate(operation), inputs: node.inputs, name: node.name)
        }
        return copy
    }
}

/// A seeded random expression over a few inputs: each step applies an operation to earlier values
/// (inputs or steps), often reusing one, so that values fan out. Every step is safe at the base point.
struct RandomExpression {
    struct Step { let operation: ElementaryOperation; let operands: [Int] }

    let inputs: [Double]
    let steps: [Step]

    /// - Parameters:
    ///   - operations: the operations to draw from (constants are drawn when `.addConstant(0)` or
    ///     `.multiplyConstant(0)` is listed).
    init(seed: UInt64, inputCount: Int = 3, stepCount: Int = 10, operations: [ElementaryOperation]) {
        var rng = SeededGenerator(seed: seed)
        inputs = (0 ..< inputCount).map { _ in
            let magnitude = rng.uniform(0.3, 1.5)
            return rng.uniform() < 0.5 ? -magnitude : magnitude
        }
        var values = inputs
        var steps: [Step] = []
        while steps.count < stepCount {
            var operation = operations[rng.integer(below: operations.count)]
            switch operation {
            case .addConstant: operation = .addConstant(rng.uniform(-1, 1))
            case .multiplyConstant: operation = .multiplyConstant(rng.uniform(-2, 2))
            default: break
            }
            // Prefer recent values, so the expression grows deep as well as wide.
            let operands = (0 ..< operation.inputCount).map { _ in
                rng.uniform() < 0.6 ? values.count - 1 - rng.integer(below: Swift.min(3, values.count)) : rng.integer(below: values.count)
            }
            let arguments = operands.map { values[$0] }
            guard operation.isSafe(at: arguments) else { continue }
            steps.append(Step(operation: operation, operands: operands))
            values.append(operation.evaluate(arguments))
        }
        self.steps = steps
    }

    /// The expression's value at `point` (one value per input).
    func evaluate(_ point: [Double]) -> Double {
        var values = point
        for step in steps { values.append(step.operation.evaluate(step.operands.map { values[$0] })) }
        return values[values.count - 1]
    }

    /// The expression as a computational graph of reference gates, inputs named x0, x1, ...
    func graph() throws -> ComputationalGraph {
        var graph = ComputationalGraph()
        for i in inputs.indices { try graph.input("x\(i)") }
        for (k, step) in steps.enumerated() {
            try graph.add(ReferenceGate(step.operation), inputs: step.operands, name: "step \(k)")
        }
        return graph
    }

    /// The input values by name, for ``ComputationalGraph/forward(_:)``.
    var namedInputs: [String: Double] {
        Dictionary(uniqueKeysWithValues: inputs.enumerated().map { ("x\($0.offset)", $0.element) })
    }

    /// The expression built with `Value` operators from the given leaves (max is not a Value operation).
    func value(from leaves: [Value]) -> Value {
        var values = leaves
        for step in steps {
            let a = values[step.operands[0]]
            let b = step.operands.count > 1 ? values[step.operands[1]] : a
            switch step.operation {
            case .add: values.append(a + b)
            case .multiply: values.append(a * b)
            case .exp: values.append(a.exp())
            case .reciprocal: values.append(a.power(-1))
            case .square: values.append(a.power(2))
            case .sigmoid: values.append(a.sigmoid())
            case .tanh: values.append(a.tanh())
            case .relu: values.append(a.relu())
            case let .addConstant(c): values.append(a + c)
            case let .multiplyConstant(c): values.append(c * a)
            case .max: preconditionFailure("RandomExpression.value: Value has no max operation")
            }
        }
        return values[values.count - 1]
    }
}

enum GateReference {
    /// x W by the definition, with three loops.
    static func product(_ x: Matrix, _ w: Matrix) -> Matrix {
        var out = Matrix.zeros(x.rows, w.cols)
        for i in 0 ..< x.rows {
            for j in 0 ..< w.cols {
                var total = 0.0
                for p in 0 ..< x.cols { total += x[i, p] * w[p, j] }
                out[i, j] = total
            }
        }
        return out
    }

    /// Chapter 2's multiclass SVM loss with loops: margin 1, mean over N, reg Σ W^2 (no 1/2); x (N, D),
    /// W (D, C). Every intermediate, for comparing cell by cell.
    static func svm(weights: Matrix, x: Matrix, y: [Int], reg: Double)
        -> (scores: Matrix, margins: Matrix, dataLoss: Double, regLoss: Double, dmargins: Matrix, dscores: Matrix, dW: Matrix) {
        let (n, c) = (x.rows, weights.cols)
        let scores = product(x, weights)
        var margins = Matrix.zeros(n, c), dmargins = Matrix.zeros(n, c), dscores = Matrix.zeros(n, c)
        var dataLoss = 0.0
        for i in 0 ..< n {
            for j in 0 ..< c where j != y[i] {
                dmargins[i, j] = 1 / Double(n)
                let margin = scores[i, j] - scores[i, y[i]] + 1
                if margin > 0 {
                    margins[i, j] = margin
                    dataLoss += margin / Double(n)
                    dscores[i, j] += 1 / Double(n)
                    dscores[i, y[i]] -= 1 / Double(n)
                }
            }
        }
        var regLoss = 0.0
        var dW = Matrix.zeros(weights.rows, c)
        for p in 0 ..< weights.rows {
            for j in 0 ..< c {
                regLoss += reg * weights[p, j] * weights[p, j]
                var total = 2 * reg * weights[p, j]
                for i in 0 ..< n { total += x[i, p] * dscores[i, j] }
                dW[p, j] = total
            }
        }
        return (scores, margins, dataLoss, regLoss, dmargins, dscores, dW)
    }

    /// Seeded SVM data: W (D, C) small Gaussian, x (N, D) Gaussian, N labels in 0 ..< C.
    static func svmData(n: Int, d: Int, c: Int, seed: UInt64) -> (weights: Matrix, x: Matrix, y: [Int]) {
        var rng = SeededGenerator(seed: seed)
        let weights = Matrix.gaussian(d, c, standardDeviation: 0.5, using: &rng)
        let x = Matrix.gaussian(n, d, using: &rng)
        return (weights, x, (0 ..< n).map { _ in rng.integer(below: c) })
    }
}
