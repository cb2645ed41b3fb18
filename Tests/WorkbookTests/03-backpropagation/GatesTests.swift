import XCTest
import LinearAlgebra
import GradientCheck
@testable import Workbook
import LectureNetworks

/// Chapter 3, backpropagation: Exercises/03-backpropagation/Gates.swift, ComputationalGraph.swift, Value.swift,
/// MatrixMultiplyGate.swift and StagedSVMLoss.swift.
///
/// Gradients are checked against centred numerical gradients (GradientCheck, h = 1e-5) by relative
/// error: below 1e-9 for a single gate or rule, below 1e-7 for whole random expressions, at points
/// at least 1e-3 away from kinks (max, ReLU) and poles (1/x).
final class GatesTests: XCTestCase {
    // MARK: scalar gates: the patterns of backward flow

    func test_AddGate_distributesTheUpstreamGradient() throws {
        var gate = AddGate()
        let out = try attempt { try gate.forward([3, -1]) }
        expectClose(out, 2, tolerance: 0, "AddGate", "forward(3, -1)")
        let gradients = try attempt { try gate.backward(2.5) }
        expectEqual(gradients, [2.5, 2.5], "AddGate", "backward(2.5) after forward(3, -1)",
                    hint: "d(x + y)/dx = d(x + y)/dy = 1: both inputs receive the upstream gradient unchanged")
        try checkGate(AddGate(), "AddGate", reference: .add, at: randomPoints(2, in: -3 ... 3, seed: 11), caches: false)
    }

    func test_MultiplyGate_swapsTheInputs() throws {
        var gate = MultiplyGate()
        let out = try attempt { try gate.forward([3, -4]) }
        expectClose(out, -12, tolerance: 0, "MultiplyGate", "forward(3, -4)")
        let gradients = try attempt { try gate.backward(2) }
        expectEqual(gradients, [-8, 6], "MultiplyGate", "backward(2) after forward(3, -4)",
                    hint: "dL/dx = y * upstream and dL/dy = x * upstream: the inputs swap")
        try checkGate(MultiplyGate(), "MultiplyGate", reference: .multiply, at: randomPoints(2, in: -3 ... 3, seed: 12), caches: true)
    }

    func test_MaxGate_routesTheGradientToTheLargerInput() throws {
        for (inputs, expected) in [([4.0, 2.0], [1.5, 0.0]), ([-1, 5], [0, 1.5]), ([2, 2], [1.5, 0])] {
            var gate = MaxGate()
            let out = try attempt { try gate.forward(inputs) }
            expectClose(out, inputs.max()!, tolerance: 0, "MaxGate", "forward\(inputs)")
            let gradients = try attempt { try gate.backward(1.5) }
            expectEqual(gradients, expected, "MaxGate", "backward(1.5) after forward\(inputs)",
                        hint: "the larger input gets the whole upstream gradient, the other 0; a tie goes to the first input")
        }
        let points = randomPoints(2, in: -3 ... 3, seed: 13).filter { abs($0[0] - $0[1]) > 0.1 }
        try checkGate(MaxGate(), "MaxGate", reference: .max, at: points, caches: true)
    }

    func test_ExpGate_matchesNumericalGradient() throws {
        try checkGate(ExpGate(), "ExpGate", reference: .exp, at: randomPoints(1, in: -3 ... 3, seed: 14), caches: true,
                      hint: "d(e^x)/dx = e^x: the output you cached, times upstream")
    }

    func test_ReciprocalGate_matchesNumericalGradient() throws {
        let points = randomPoints(1, in: -3 ... 3, seed: 15).filter { abs($0[0]) > 0.5 }
        try checkGate(ReciprocalGate(), "ReciprocalGate", reference: .reciprocal, at: points, caches: true,
                      hint: "d(1/x)/dx = -1/x^2 = -(1/x)^2: the cached output squared, with a minus sign")
        var gate = ReciprocalGate()
        XCTAssertThrowsError(try gate.forward([0]), "1/0 must be an error") { error in
            expectEqual(error as? BackpropError, .divisionByZero(gate: "1/x"), "ReciprocalGate", "the error for 1/0")
        }
    }

    func test_AddConstantGate_matchesNumericalGradient() throws {
        var gate = AddConstantGate(1)
        let out = try attempt { try gate.forward([2.5]) }
        expectClose(out, 3.5, tolerance: 0, "AddConstantGate", "forward(2.5) with c = 1")
        for c in [1.0, -0.75] {
            try checkGate(AddConstantGate(c), "AddConstantGate", reference: .addConstant(c), at: randomPoints(1, in: -3 ... 3, seed: 16), caches: false,
                          hint: "d(x + c)/dx = 1")
        }
    }

    func test_MultiplyConstantGate_matchesNumericalGradient() throws {
        var gate = MultiplyConstantGate(-1)
        let out = try attempt { try gate.forward([2.5]) }
        expectClose(out, -2.5, tolerance: 0, "MultiplyConstantGate", "forward(2.5) with c = -1")
        for c in [-1.0, 3.5] {
            try checkGate(MultiplyConstantGate(c), "MultiplyConstantGate", reference: .multiplyConstant(c), at: randomPoints(1, in: -3 ... 3, seed: 17),
                          caches: false, hint: "d(c x)/dx = c")
        }
    }

    func test_SigmoidGate_matchesNumericalGradient() throws {
        var gate = SigmoidGate()
        let half = try attempt { try gate.forward([0]) }
        expectClose(half, 0.5, tolerance: 1e-15, "SigmoidGate", "σ(0)")
        expectEqual(try gate.backward(1), [0.25], "SigmoidGate", "dσ/dx at 0", hint: "dσ/dx = σ (1 - σ)")
        for (x, expected) in [(800.0, 1.0), (-800, 0)] {
            var saturated = SigmoidGate()
            let out = try saturated.forward([x])
            expectClose(out, expected, tolerance: 0, "SigmoidGate", "σ(\(x))",
                        hint: "compute 1 / (1 + e^-x): e^x / (1 + e^x) is infinity / infinity = NaN for large x")
            let gradient = try saturated.backward(1)
            expectEqual(gradient, [0], "SigmoidGate", "dσ/dx at \(x)")
        }
        try checkGate(SigmoidGate(), "SigmoidGate", reference: .sigmoid, at: randomPoints(1, in: -3 ... 3, seed: 18), caches: true,
                      hint: "dσ/dx = σ (1 - σ), with σ the cached output")
    }

    func test_TanhGate_matchesNumericalGradient() throws {
        try checkGate(TanhGate(), "TanhGate", reference: .tanh, at: randomPoints(1, in: -2 ... 2, seed: 19), caches: true,
                      hint: "d tanh/dx = 1 - tanh^2, with tanh the cached output")
    }

    func test_ReLUGate_matchesNumericalGradient() throws {
        for (x, expected) in [(2.0, 1.5), (-2, 0), (0, 0)] {
            var gate = ReLUGate()
            let out = try attempt { try gate.forward([x]) }
            expectClose(out, max(0, x), tolerance: 0, "ReLUGate", "forward(\(x))")
            let gradient = try attempt { try gate.backward(1.5) }
            expectEqual(gradient, [expected], "ReLUGate", "backward(1.5) after forward(\(x))",
                        hint: "the gradient passes where x > 0 and is 0 where x <= 0 (including the kink at 0)")
        }
        let points = randomPoints(1, in: -3 ... 3, seed: 20).filter { abs($0[0]) > 0.1 }
        try checkGate(ReLUGate(), "ReLUGate", reference: .relu, at: points, caches: true)
    }

    // MARK: the computational graph

    // The lecture's graphs are run with the reference gates (Support/GateReferences.swift), so that these
    // tests grade the graph's forward and backward passes alone; the gates have their own tests above.

    /// The lecture's first example: f = (x + y) z at x = -2, y = 5, z = -4.
    func test_ComputationalGraph_lectureAddMultiplyExample() throws {
        let (lecture, inputs) = try LectureExample.addMultiply()
        var graph = try lecture.withReferenceGates()
        let f = try attempt { try graph.forward(inputs) }
        expectClose(f, -12, tolerance: 1e-12, "ComputationalGraph", "f = (x + y) z")
        try attempt { try graph.backward() }
        for (name, expected) in [("x", -4.0), ("y", -4), ("z", 3), ("q", -4), ("f", 1)] {
            expectClose(graph.gradients[graph.index(of: name)!], expected, tolerance: 1e-12, "ComputationalGraph", "df/d\(name)",
                        hint: "the output's gradient is 1; visit the gates from last to first, passing each node's gradient to its inputs")
        }
    }

    /// The lecture's figure of the patterns in backward flow: f = 2 (x y + max(z, w)).
    func test_ComputationalGraph_lectureBackwardFlowPatterns() throws {
        let (lecture, inputs) = try LectureExample.backwardFlowPatterns()
        var graph = try lecture.withReferenceGates()
        let f = try attempt { try graph.forward(inputs) }
        expectClose(f, -20, tolerance: 1e-12, "ComputationalGraph", "f = 2 (x y + max(z, w)) at x = 3, y = -4, z = 2, w = -1")
        try attempt { try graph.backward() }
        for (name, expected, pattern) in [("x", -8.0, "multiply swaps: y * 2"), ("y", 6, "multiply swaps: x * 2"),
                                          ("z", 2, "max routes the gradient to the larger input"), ("w", 0, "max gives the smaller input 0"),
                                          ("x*y", 2, "add distributes"), ("max(z,w)", 2, "add distributes")] {
            expectClose(graph.gradients[graph.index(of: name)!], expected, tolerance: 1e-12, "ComputationalGraph", "df/d\(name)",
                        hint: pattern)
        }
    }

    /// The lecture's sigmoid neuron, from the elementary gates and with the fused sigmoid gate.
    func test_ComputationalGraph_sigmoidNeuronElementaryAndFused() throws {
        for fused in [false, true] {
            let (lecture, inputs) = try LectureExample.sigmoidNeuron(fusedSigmoid: fused)
            var graph = try lecture.withReferenceGates()
            let gates = fused ? "the fused sigmoid gate" : "the elementary gates"
            let f = try attempt { try graph.forward(inputs) }
            try attempt { try graph.backward() }
            let gradients = ["w0", "w1", "w2", "x0", "x1"].map { graph.gradients[graph.index(of: $0)!] }
            checkSigmoidNeuron(f, gradients, "ComputationalGraph", built: "from \(gates)")
        }
    }

    func test_ComputationalGraph_fanOutSumsGradients() throws {
        var square = ComputationalGraph()
        let x = try square.input("x")
        try square.add(ReferenceGate(.multiply), inputs: [x, x], name: "x*x")
        let value = try attempt { try square.forward(["x": 3]) }
        expectClose(value, 9, tolerance: 0, "ComputationalGraph", "x * x at x = 3")
        try attempt { try square.backward() }
        expectClose(square.gradients[x], 6, tolerance: 1e-12, "ComputationalGraph", "d(x * x)/dx at x = 3",
                    hint: "add (+=) each gradient a gate sends back to its input's gradient: x receives 3 twice")
        expectEqual(try square.edgeGradients(), [[], [3, 3]], "ComputationalGraph", "the gradients on the two wires of x * x",
                    hint: "forward must leave each gate's cache in the graph (run it on nodes[i].gate, not on a copy)")
        // f = (x + y) x: x feeds two gates, df/dx = 2x + y.
        var branch = ComputationalGraph()
        let bx = try branch.input("x"), by = try branch.input("y")
        let sum = try branch.add(ReferenceGate(.add), inputs: [bx, by], name: "x+y")
        try branch.add(ReferenceGate(.multiply), inputs: [sum, bx], name: "f")
        _ = try attempt { try branch.forward(["x": 1.5, "y": -4]) }
        try attempt { try branch.backward(upstream: 2) }
        expectClose(branch.gradients[bx], 2 * (2 * 1.5 - 4), tolerance: 1e-12, "ComputationalGraph",
                    "dL/dx for f = (x + y) x with upstream 2", hint: "x feeds two gates: its gradient is the sum of both")
        expectClose(branch.gradients[by], 2 * 1.5, tolerance: 1e-12, "ComputationalGraph", "dL/dy for f = (x + y) x with upstream 2",
                    hint: "the output's gradient is the upstream passed to backward, not 1")
    }

    func test_ComputationalGraph_randomGraphsMatchNumericalGradients() throws {
        let operations: [ElementaryOperation] = [.add, .multiply, .max, .exp, .reciprocal, .sigmoid, .tanh, .relu,
                                                 .addConstant(0), .multiplyConstant(0)]
        for seed in UInt64(100) ..< 110 {
            let expression = RandomExpression(seed: seed, operations: operations)
            var graph = try expression.graph()
            let out = try attempt { try graph.forward(expression.namedInputs) }
            expectClose(out, expression.evaluate(expression.inputs), tolerance: 1e-12, "ComputationalGraph",
                        "the output of random graph \(seed)")
            try attempt { try graph.backward() }
            let analytic = Matrix(row: Array(graph.gradients.prefix(expression.inputs.count)))
            let numerical = numericalGradient(of: { expression.evaluate($0.storage) }, at: Matrix(row: expression.inputs))
            let error = relativeError(analytic, numerical)
            if !(error < 1e-7) {
                fail("ComputationalGraph", "random graph \(seed): input gradients \(analytic.storage), numerical \(numerical.storage), " +
                     "relative error \(format(error)) (must be < 1e-7)",
                     hint: "values fan out in these graphs: gradients must be added (+=), and each gate's cache kept in the graph")
            }
        }
    }

    /// The same graph run again: a second forward pass at new inputs must give the values and gradients of
    /// a fresh graph there, and a second backward pass the same gradients as the first (none accumulate).
    /// The graphs are built from the reference gates, so this grades the graph alone.
    func test_ComputationalGraph_forwardAndBackwardTwiceGiveTheSameAnswer() throws {
        let operations: [ElementaryOperation] = [.add, .multiply, .max, .exp, .sigmoid, .tanh, .addConstant(0), .multiplyConstant(0)]
        for seed in UInt64(120) ..< 125 {
            let first = RandomExpression(seed: seed, operations: operations)
            var graph = try first.graph()
            _ = try attempt { try graph.forward(first.namedInputs) }
            try attempt { try graph.backward() }
            // The second point: the same graph at other inputs, compared with a fresh copy of the graph there.
            let shifted = first.inputs.map { $0 * 1.01 + 0.001 }
            let named = Dictionary(uniqueKeysWithValues: shifted.enumerated().map { ("x\($0.offset)", $0.element) })
            var fresh = try first.graph()
            let expectedValue = try attempt { try fresh.forward(named) }
            try attempt { try fresh.backward() }
            let again = try attempt { try graph.forward(named) }
            expectClose(again, expectedValue, tolerance: 1e-12, "ComputationalGraph", "graph \(seed): the output of a second forward pass at new inputs",
                        hint: "forward starts afresh every time: empty values, then every node in order from the new inputs")
            try attempt { try graph.backward() }
            expectEqual(graph.gradients, fresh.gradients, "ComputationalGraph", "graph \(seed): the gradients after a second forward and backward pass",
                        hint: "backward starts from zero gradients every time (then sets the output's to upstream)")
            try attempt { try graph.backward() }
            expectEqual(graph.gradients, fresh.gradients, "ComputationalGraph", "graph \(seed): the gradients after backward twice",
                        hint: "backward must reset every gradient to 0 first, so that calling it twice gives the same answer")
            try attempt { try graph.backward(upstream: 2) }
            expectEqual(graph.gradients, fresh.gradients.map { 2 * $0 }, "ComputationalGraph",
                        "graph \(seed): the gradients after backward(upstream: 2), run after backward()",
                        hint: "the output's gradient is the upstream of this call, and nothing is left from the last one")
        }
    }

    func test_ComputationalGraph_reportsBadInputs() throws {
        let (lecture, inputs) = try LectureExample.addMultiply()
        var graph = try lecture.withReferenceGates()
        XCTAssertThrowsError(try graph.backward(), "backward before forward") { error in
            expectEqual(error as? BackpropError, .backwardBeforeForward(gate: "the graph"), "ComputationalGraph", "the error")
        }
        _ = try attempt { try graph.forward(inputs) }
        XCTAssertThrowsError(try graph.forward(["x": 1, "y": 2])) { error in
            expectEqual(error as? BackpropError, .missingInput("z"), "ComputationalGraph", "the error for a missing input")
        }
        XCTAssertThrowsError(try graph.forward(inputs.merging(["w": 1]) { a, _ in a })) { error in
            expectEqual(error as? BackpropError, .unexpectedInput("w"), "ComputationalGraph", "the error for an unknown input")
        }
        XCTAssertThrowsError(try graph.add(AddGate(), inputs: [0, 7], name: "g")) { error in
            expectEqual(error as? BackpropError, .unknownNode(7, nodeCount: 5), "ComputationalGraph", "the error for an unknown node")
        }
    }

    // MARK: the autograd Value: topological sort and backward rules

    func test_topologicalOrder_putsEveryValueAfterItsInputs() throws {
        let x = Value(1.5, label: "x"), y = Value(-2, label: "y")
        let a = x * y, b = a + x, c = b.tanh(), d = a * c
        let f = d + b
        let order = try attempt { try f.topologicalOrder() }
        let reachable: [Value] = [x, y, a, b, c, d, f]
        expectEqual(order.count, reachable.count, "topologicalOrder", "the number of Values in the order",
                    hint: "list every Value the output depends on, and itself, each exactly once")
        expectEqual(Set(order), Set(reachable), "topologicalOrder", "the set of Values in the order")
        expectEqual(order.last === f, true, "topologicalOrder", "the output is last")
        for (position, value) in order.enumerated() {
            for input in value.inputs where !(order.prefix(position).contains { $0 === input }) {
                fail("topologicalOrder", "\(value) comes before its input \(input)",
                     hint: "append a Value only after visiting all of its inputs")
            }
        }
    }

    func test_addBackward_distributesAndAccumulates() throws {
        let a = Value(2), b = Value(-3)
        let out = a + b
        setGradients([a: 0.25, b: 0, out: 1.5])
        try attempt { try out.addBackward() }
        expectClose(a.grad, 1.75, tolerance: 1e-15, "addBackward", "a.grad (was 0.25, out.grad 1.5)",
                    hint: "add (+=) to the input's grad: it may already hold gradient from elsewhere")
        expectClose(b.grad, 1.5, tolerance: 1e-15, "addBackward", "b.grad (was 0, out.grad 1.5)")
    }

    func test_multiplyBackward_swapsAndAccumulates() throws {
        let a = Value(2), b = Value(-3)
        let out = a * b
        setGradients([a: 0.25, b: 0, out: 1.5])
        try attempt { try out.multiplyBackward() }
        expectClose(a.grad, 0.25 + -3 * 1.5, tolerance: 1e-15, "multiplyBackward", "a.grad (was 0.25, b = -3, out.grad 1.5)",
                    hint: "a receives b.data * out.grad, added to what it had")
        expectClose(b.grad, 2 * 1.5, tolerance: 1e-15, "multiplyBackward", "b.grad (a = 2, out.grad 1.5)")
        let x = Value(3)
        let square = x * x
        setGradients([x: 0, square: 1])
        try attempt { try square.multiplyBackward() }
        expectClose(x.grad, 6, tolerance: 1e-15, "multiplyBackward", "d(x * x)/dx at x = 3",
                    hint: "both operands are x: add both contributions to x.grad, do not overwrite")
    }

    func test_powerBackward_matchesNumericalGradient() throws {
        for k in [2.0, 3, -1, 0.5] {
            try checkRule("powerBackward", at: k == 0.5 ? 1.7 : -1.3, build: { $0.power(k) }) { try $0.powerBackward(exponent: k) }
        }
    }

    func test_expBackward_matchesNumericalGradient() throws {
        try checkRule("expBackward", at: 0.8, build: { $0.exp() }) { try $0.expBackward() }
    }

    func test_tanhBackward_matchesNumericalGradient() throws {
        try checkRule("tanhBackward", at: -0.6, build: { $0.tanh() }) { try $0.tanhBackward() }
    }

    func test_sigmoidBackward_matchesNumericalGradient() throws {
        try checkRule("sigmoidBackward", at: 1.2, build: { $0.sigmoid() }) { try $0.sigmoidBackward() }
    }

    func test_reluBackward_matchesNumericalGradient() throws {
        for x in [1.4, -0.9] {
            try checkRule("reluBackward", at: x, build: { $0.relu() }) { try $0.reluBackward() }
        }
    }

    /// The documented rule at the kink: where a = 0 exactly, ReLU passes nothing back.
    func test_reluBackward_zeroAtTheKink() throws {
        for zero in [0.0, -0.0] {
            let a = Value(zero)
            let out = a.relu()
            setGradients([a: 0.4, out: 1.3])
            try attempt { try out.reluBackward() }
            expectClose(a.grad, 0.4, tolerance: 0, "reluBackward", "a.grad after the rule at a = \(zero) (out.grad 1.3, a.grad 0.4 before)",
                        hint: "the gradient passes only where a > 0; at a = 0 exactly it is 0 (compare with >, not >=)")
        }
        let x = Value(0), y = Value(2)
        let f = (x.relu() + y.relu()) * 3
        try attempt { try f.backward() }
        expectEqual([x.grad, y.grad], [0, 3], "reluBackward", "the gradients of 3 (relu(x) + relu(y)) at x = 0, y = 2",
                    hint: "the gradient passes only where the input is > 0")
    }

    // MARK: the autograd Value: whole expressions

    func test_Value_lectureAddMultiplyExample() throws {
        let x = Value(-2), y = Value(5), z = Value(-4)
        let f = (x + y) * z
        expectClose(f.data, -12, tolerance: 0, "Value", "f = (x + y) z")
        try attempt { try f.backward() }
        for (name, value, expected) in [("x", x, -4.0), ("y", y, -4), ("z", z, 3)] {
            expectClose(value.grad, expected, tolerance: 1e-12, "Value", "df/d\(name)")
        }
    }

    func test_Value_sigmoidNeuronElementaryAndFused() throws {
        for fused in [false, true] {
            let w0 = Value(2), x0 = Value(-1), w1 = Value(-3), x1 = Value(-2), w2 = Value(-3)
            let activation = w0 * x0 + w1 * x1 + w2
            let f = fused ? activation.sigmoid() : 1 / (1 + (-activation).exp())
            try attempt { try f.backward() }
            checkSigmoidNeuron(f.data, [w0, w1, w2, x0, x1].map(\.grad), "Value",
                               built: fused ? "with sigmoid()" : "as 1 / (1 + exp(-(w·x)))")
        }
    }

    func test_Value_fanOutSumsGradients() throws {
        let x = Value(3)
        let square = x * x
        try attempt { try square.backward() }
        expectClose(x.grad, 6, tolerance: 1e-12, "Value", "d(x * x)/dx at x = 3", hint: "rules must add (+=) to an input's grad")
        let a = Value(1.5), b = Value(-4)
        let f = (a + b) * a
        try attempt { try f.backward() }
        expectClose(a.grad, 2 * 1.5 - 4, tolerance: 1e-12, "Value", "d((a + b) a)/da at a = 1.5, b = -4",
                    hint: "a is used twice: every use adds its share; each Value must appear once in the topological order")
        try attempt { try f.backward() }
        expectClose(a.grad, 2 * 1.5 - 4, tolerance: 1e-12, "Value", "d((a + b) a)/da after calling backward() twice",
                    hint: "backward() sets every grad to 0 first; does your topological order list every Value?")
    }

    func test_Value_randomExpressionsMatchNumericalGradients() throws {
        let operations: [ElementaryOperation] = [.add, .multiply, .exp, .reciprocal, .square, .sigmoid, .tanh, .relu,
                                                 .addConstant(0), .multiplyConstant(0)]
        for seed in UInt64(200) ..< 210 {
            let expression = RandomExpression(seed: seed, stepCount: 12, operations: operations)
            let leaves = expression.inputs.map { Value($0) }
            let out = expression.value(from: leaves)
            try attempt { try out.backward() }
            let analytic = Matrix(row: leaves.map(\.grad))
            let numerical = numericalGradient(of: { expression.evaluate($0.storage) }, at: Matrix(row: expression.inputs))
            let error = relativeError(analytic, numerical)
            if !(error < 1e-7) {
                fail("Value", "random expression \(seed): gradients \(analytic.storage), numerical \(numerical.storage), " +
                     "relative error \(format(error)) (must be < 1e-7)",
                     hint: "the rules' tests say which rule is wrong; if they pass, check the topological order")
            }
        }
    }

    /// The lecture's tiny network, trained with the student's autograd (the training loop is given).
    func test_Value_trainsTheLectureNetwork() throws {
        let network = TinySigmoidNetwork(seed: 1)
        do {
            _ = try attempt { try network.train(learningRate: 1, targetLoss: 0.01, maxSteps: 20_000) }
        } catch let error as BackpropError {
            return fail("Value", "training the lecture's network (seed 1, step size 1): \(error)",
                        hint: "the reference needs 456 steps; the rules' and topologicalOrder's own tests say which part is wrong")
        }
        let predictions = TinySigmoidNetwork.examples.map { network.predict($0).data }
        expectEqual(predictions.map { $0.rounded() }, TinySigmoidNetwork.targets, "Value",
                    "the trained network's predictions \(predictions.map { format($0) }), rounded",
                    hint: "training uses the add, multiply and sigmoid rules and the topological sort")
    }

    // MARK: the matrix-multiply gate

    func test_MatrixMultiplyGate_forwardIsTheMatrixProduct() throws {
        var rng = SeededGenerator(seed: 30)
        let x = Matrix.gaussian(4, 3, using: &rng), w = Matrix.gaussian(3, 5, using: &rng)
        var gate = MatrixMultiplyGate()
        let out = try attempt { try gate.forward(x, w) }
        expectMatrix(out, matches: GateReference.product(x, w), frobeniusBelow: 1e-12, "MatrixMultiplyGate",
                     "x W for x (4, 3) and W (3, 5)")
        XCTAssertThrowsError(try gate.forward(x, w.transposed)) { error in
            expectEqual(error as? BackpropError, .innerDimensionMismatch(x: "(4, 3)", weights: "(5, 3)"),
                        "MatrixMultiplyGate", "the error for x (4, 3) and W (5, 3)")
        }
    }

    func test_MatrixMultiplyGate_backwardMatchesNumericalGradient() throws {
        var rng = SeededGenerator(seed: 31)
        let x = Matrix.gaussian(4, 3, using: &rng), w = Matrix.gaussian(3, 5, using: &rng)
        let upstream = Matrix.gaussian(4, 5, using: &rng)
        var gate = MatrixMultiplyGate()
        XCTAssertThrowsError(try gate.backward(upstream), "backward before forward")
        _ = try attempt { try gate.forward(x, w) }
        let (dx, dW) = try attempt { try gate.backward(upstream) }
        for (name, analytic, input, function) in [
            ("dx", dx, x, { (p: Matrix) in GateReference.product(p, w) }),
            ("dW", dW, w, { (p: Matrix) in GateReference.product(x, p) }),
        ] {
            guard analytic.rows == input.rows && analytic.cols == input.cols else {
                fail("MatrixMultiplyGate", "\(name) has shape \(analytic.shapeDescription), expected \(input.shapeDescription)",
                     hint: "a gradient has the shape of its input: dx = dout Wᵀ is (N, D) and dW = xᵀ dout is (D, M)")
                continue
            }
            let numerical = numericalGradient(of: function, at: input, upstream: upstream)
            let error = relativeError(analytic, numerical)
            if !(error < 1e-9) {
                fail("MatrixMultiplyGate", "\(name) relative error \(format(error)) (must be < 1e-9) against the numerical gradient",
                     hint: "dx = dout Wᵀ and dW = xᵀ dout: the only products with the right shapes")
            }
        }
        // The same gate on a second, differently shaped product: backward uses the latest forward's inputs.
        let x2 = Matrix.gaussian(2, 3, using: &rng), w2 = Matrix.gaussian(3, 4, using: &rng), upstream2 = Matrix.gaussian(2, 4, using: &rng)
        _ = try attempt { try gate.forward(x2, w2) }
        let (dx2, dW2) = try attempt { try gate.backward(upstream2) }
        expectMatrix(dx2, matches: GateReference.product(upstream2, w2.transposed), frobeniusBelow: 1e-12, "MatrixMultiplyGate",
                     "dx after a second forward pass with x (2, 3) and W (3, 4)",
                     hint: "store the inputs on every forward pass: backward uses the latest forward's x and W")
        expectMatrix(dW2, matches: GateReference.product(x2.transposed, upstream2), frobeniusBelow: 1e-12, "MatrixMultiplyGate",
                     "dW after a second forward pass with x (2, 3) and W (3, 4)",
                     hint: "store the inputs on every forward pass: backward uses the latest forward's x and W")
        _ = try gate.forward(x, w)
        XCTAssertThrowsError(try gate.backward(upstream.transposed)) { error in
            expectEqual(error as? BackpropError, .upstreamShapeMismatch(gate: "x W", expected: "(4, 5)", got: "(5, 4)"),
                        "MatrixMultiplyGate", "the error for an upstream gradient of the wrong shape")
        }
    }

    // MARK: the staged SVM loss

    func test_svmLossStagedForward_cellsMatchReference() throws {
        let (w, x, y) = GateReference.svmData(n: 9, d: 5, c: 4, seed: 40)
        let cells = try attempt { try svmLossStagedForward(weights: w, x: x, y: y, reg: 0.1) }
        let reference = GateReference.svm(weights: w, x: x, y: y, reg: 0.1)
        expectMatrix(cells.scores, matches: reference.scores, frobeniusBelow: 1e-12, "svmLossStagedForward", "scores (N, C)",
                     hint: "scores = x W with x (N, D) and W (D, C)")
        expectMatrix(cells.margins, matches: reference.margins, frobeniusBelow: 1e-12, "svmLossStagedForward", "margins (N, C)",
                     hint: "max(0, s_j - s_{y_i} + 1), and 0 at the correct class")
        expectClose(cells.dataLoss, reference.dataLoss, tolerance: 1e-12, "svmLossStagedForward", "dataLoss",
                    hint: "the mean over the N examples of each row's sum of margins")
        expectClose(cells.regLoss, reference.regLoss, tolerance: 1e-12, "svmLossStagedForward", "regLoss",
                    hint: "reg * Σ W^2, without a factor 1/2")
        expectClose(cells.loss, reference.dataLoss + reference.regLoss, tolerance: 1e-12, "svmLossStagedForward", "loss")
        XCTAssertThrowsError(try svmLossStagedForward(weights: w, x: x, y: Array(y.dropLast()), reg: 0.1)) { error in
            expectEqual(error as? BackpropError, .labelCountMismatch(examples: 9, labels: 8), "svmLossStagedForward", "the error")
        }
        XCTAssertThrowsError(try svmLossStagedForward(weights: w, x: x, y: [4] + y.dropFirst(), reg: 0.1)) { error in
            expectEqual(error as? BackpropError, .labelOutOfRange(label: 4, classes: 4), "svmLossStagedForward", "the error")
        }
    }

    func test_svmLossStagedBackward_cellsMatchReference() throws {
        let (w, x, y) = GateReference.svmData(n: 9, d: 5, c: 4, seed: 41)
        let reference = GateReference.svm(weights: w, x: x, y: y, reg: 0.1)
        // The backward cells are graded on forward cells built from the reference, not on the student's.
        let forward = SVMForwardCells(x: x, weights: w, y: y, reg: 0.1, scores: reference.scores, margins: reference.margins,
                                      dataLoss: reference.dataLoss, regLoss: reference.regLoss,
                                      loss: reference.dataLoss + reference.regLoss)
        let cells = try attempt { try svmLossStagedBackward(forward) }
        expectMatrix(cells.dmargins, matches: reference.dmargins, frobeniusBelow: 1e-12, "svmLossStagedBackward", "dmargins (N, C)",
                     hint: "the data loss is a mean: 1/N for every margin, 0 at the correct class")
        expectMatrix(cells.dscores, matches: reference.dscores, frobeniusBelow: 1e-12, "svmLossStagedBackward", "dscores (N, C)",
                     hint: "pass dmargins where the margin is positive; the correct class gets minus the rest of its row")
        expectMatrix(cells.dW, matches: reference.dW, frobeniusBelow: 1e-12, "svmLossStagedBackward", "dW (D, C)",
                     hint: "xᵀ dscores, plus 2 reg W from the regularization loss")
    }

    func test_svmLossStagedBackward_dWMatchesNumericalGradient() throws {
        let (w, x, y) = GateReference.svmData(n: 12, d: 6, c: 5, seed: 42)
        let (loss, dW) = try attempt { try svmLossStaged(weights: w, x: x, y: y, reg: 0.05) }
        let reference = GateReference.svm(weights: w, x: x, y: y, reg: 0.05)
        expectClose(loss, reference.dataLoss + reference.regLoss, tolerance: 1e-12, "svmLossStaged",
                    "the loss (chapter 2's convention: mean hinge loss + reg Σ W^2)")
        let numerical = numericalGradient(of: { p in
            let r = GateReference.svm(weights: p, x: x, y: y, reg: 0.05)
            return r.dataLoss + r.regLoss
        }, at: w)
        guard dW.rows == w.rows && dW.cols == w.cols else {
            return fail("svmLossStaged", "dW has shape \(dW.shapeDescription), expected \(w.shapeDescription)")
        }
        let error = relativeError(dW, numerical)
        if !(error < 1e-7) {
            fail("svmLossStaged", "dW relative error \(format(error)) (must be < 1e-7) against the numerical gradient",
                 hint: "the forward and backward cells' own tests say which cell is wrong")
        }
    }

    // MARK: helpers

    /// `count` seeded points of `arity` coordinates, uniform in `range`.
    private func randomPoints(_ arity: Int, in range: ClosedRange<Double>, count: Int = 12, seed: UInt64) -> [[Double]] {
        var rng = SeededGenerator(seed: seed)
        return (0 ..< count).map { _ in (0 ..< arity).map { _ in rng.uniform(range.lowerBound, range.upperBound) } }
    }

    /// Checks a gate's forward pass against `reference` and its backward pass against the centred
    /// numerical gradient of its forward pass at each point, with a seeded random upstream gradient;
    /// then its input checks.
    private func checkGate<G: Gate>(_ fresh: @autoclosure () -> G, _ exercise: String, reference: ElementaryOperation,
                                    at points: [[Double]], caches: Bool, hint: String? = nil) throws {
        var rng = SeededGenerator(seed: 50)
        for point in points {
            var gate = fresh()
            let out = try attempt { try gate.forward(point) }
            let expected = reference.evaluate(point)
            if !(relativeError(out, expected) < 1e-14) {
                fail(exercise, "forward\(point.map(format)) is \(format(out)), expected \(format(expected))")
            }
            let upstream = rng.uniform(-2, 2)
            let analytic = try attempt { try gate.backward(upstream) }
            guard analytic.count == point.count else {
                fail(exercise, "backward returned \(analytic.count) gradients for \(point.count) inputs",
                     hint: "one gradient per input, in input order")
                continue
            }
            let numerical = try numericalGradient(of: { try fresh().forwardOnCopy($0.storage) }, at: Matrix(row: point)) * upstream
            let error = relativeError(Matrix(row: analytic), numerical)
            if !(error < 1e-9) {
                fail(exercise, "backward(\(format(upstream))) after forward\(point.map(format)) is \(analytic.map(format)), " +
                     "numerically \(numerical.storage.map(format)): relative error \(format(error)) (must be < 1e-9)", hint: hint)
            }
        }
        // One gate used again and again, as a graph uses it: each backward must use the latest forward's cache.
        var reused = fresh()
        for point in points {
            let upstream = rng.uniform(-2, 2)
            _ = try attempt { try reused.forward(point) }
            let analytic = try attempt { try reused.backward(upstream) }
            let expected = reference.partials(point).map { $0 * upstream }
            guard analytic.count == expected.count else { break }
            if !(relativeError(Matrix(row: analytic), Matrix(row: expected)) < 1e-9) {
                fail(exercise, "one gate used for several forward passes: backward(\(format(upstream))) after forward\(point.map(format)) " +
                     "is \(analytic.map(format)), expected \(expected.map(format))",
                     hint: "store the cache on every forward pass, replacing the last one: backward must use the latest forward's values")
                break
            }
        }
        var gate = fresh()
        XCTAssertThrowsError(try gate.forward(Array(repeating: 1, count: gate.inputCount + 1))) { error in
            expectEqual(error as? BackpropError, .wrongInputCount(gate: gate.label, expected: gate.inputCount, got: gate.inputCount + 1),
                        exercise, "the error for one input too many")
        }
        XCTAssertThrowsError(try gate.forward(Array(repeating: .nan, count: gate.inputCount))) { error in
            expectEqual(error as? BackpropError, .nonFiniteInput(gate: gate.label, position: 0), exercise, "the error for a NaN input")
        }
        if caches {
            XCTAssertThrowsError(try fresh().backward(1), "backward before forward must be an error") { error in
                expectEqual(error as? BackpropError, .backwardBeforeForward(gate: gate.label), exercise, "the error for backward before forward")
            }
        }
    }

    /// Checks one backward rule: out = build(a) at a = `point`, with out.grad = 1.3 and a.grad = 0.4
    /// beforehand; after the rule, a.grad must be 0.4 + 1.3 * (numerical d out/d a).
    private func checkRule(_ exercise: String, at point: Double, build: (Value) -> Value, rule: (Value) throws -> Void) throws {
        let a = Value(point)
        let out = build(a)
        setGradients([a: 0.4, out: 1.3])
        try attempt { try rule(out) }
        let numerical = numericalGradient(of: { build(Value($0[0, 0])).data }, at: Matrix(row: [point]))[0, 0]
        let expected = 0.4 + 1.3 * numerical
        if !(relativeError(a.grad, expected) < 1e-9) {
            fail(exercise, "a.grad is \(format(a.grad)) after the rule at a = \(point) (out.grad 1.3, a.grad 0.4 before), " +
                 "expected \(format(expected)) from the numerical gradient",
                 hint: "add d(out)/da * out.grad to a.grad (+=); the output's value is `data`, its gradient `grad`")
        }
    }

    /// Sets the gradients of some Values (a rule reads out.grad and adds to its inputs' grad).
    private func setGradients(_ gradients: [Value: Double]) {
        for (value, gradient) in gradients { value.grad = gradient }
    }

    /// The lecture's sigmoid neuron at w = (2, -3, -3), x = (-1, -2): f and (dw0, dw1, dw2, dx0, dx1),
    /// against the lecture's four-digit numbers and against σ(1) exactly.
    private func checkSigmoidNeuron(_ f: Double, _ gradients: [Double], _ exercise: String, built: String,
                                    file: StaticString = #filePath, line: UInt = #line) {
        let lecture = [-0.1966, -0.3932, 0.1966, 0.3932, -0.5898]
        let sigma = 1 / (1 + Foundation.exp(-1.0))                    // w·x + w2 = 1 at this point
        let local = sigma * (1 - sigma)
        let exact = [-1, -2, 1, 2, -3].map { $0 * local }               // (x0, x1, 1, w0, w1) dσ
        // The lecture's digits first; once they match, all twelve.
        func check(_ actual: Double, lecture: Double, exact: Double, _ what: String) {
            if abs(actual - lecture) <= 1e-4 {
                expectClose(actual, exact, tolerance: 1e-12, exercise, "\(what) built \(built), to 12 digits", file: file, line: line)
            } else {
                expectClose(actual, lecture, tolerance: 1e-4, exercise, "\(what) built \(built)",
                            hint: "the lecture's values are f = 0.7311, dw = (-0.1966, -0.3932, 0.1966), dx = (0.3932, -0.5898)",
                            file: file, line: line)
            }
        }
        check(f, lecture: 0.7311, exact: sigma, "the neuron's output")
        for (k, name) in ["dw0", "dw1", "dw2", "dx0", "dx1"].enumerated() {
            check(gradients[k], lecture: lecture[k], exact: exact[k], name)
        }
    }
}

private extension Gate {
    /// The output of a forward pass on a copy, leaving `self` as it was.
    func forwardOnCopy(_ inputs: [Double]) throws -> Double {
        var copy = self
        return try copy.forward(inputs)
    }
}
