import LinearAlgebra
import GradientCheck

// Chapter 3: backpropagation on computational graphs. This file: a graph of gates.
//
// A computational graph is a list of nodes: named inputs, and gates whose inputs are earlier nodes. The
// forward pass visits the nodes in topological order (every node after the nodes it reads), the
// backward pass in reverse order, so that a node's gradient is complete before it is passed on. A node
// that feeds several gates receives a gradient from each of them, and these add up: that is the
// multivariable chain rule, and why x * x gives 2x. Source: the lecture "Backpropagation and Neural
// Networks" (computational graphs, the forward/backward API of a graph, gradients add at branches).

/// A computational graph of scalar ``Gate``s with named inputs; its output is the last node added.
///
/// Nodes are numbered in the order they are added. A gate's inputs must already be in the graph, so
/// that order is a topological order: forward can visit the nodes first to last, backward last to first.
///
/// ```swift
/// var graph = ComputationalGraph()
/// let x = try graph.input("x"), y = try graph.input("y"), z = try graph.input("z")
/// let q = try graph.add(AddGate(), inputs: [x, y], name: "q")
/// _ = try graph.add(MultiplyGate(), inputs: [q, z], name: "f")
/// let f = try graph.forward(["x": -2, "y": 5, "z": -4])     // -12
/// try graph.backward()                                      // graph.gradients[x] is df/dx = -4
/// ```
public struct ComputationalGraph {
    /// One node: a named graph input (no gate), or a gate applied to earlier nodes.
    public struct Node {
        /// The node's name, unique in the graph.
        public let name: String
        /// The gate, or `nil` for a graph input. The forward pass leaves each gate's cache here.
        public internal(set) var gate: (any Gate)?
        /// The indices of the nodes the gate reads, in the gate's input order (empty for an input).
        public let inputs: [Int]
    }

    /// The nodes, in the order they were added (a topological order).
    public internal(set) var nodes: [Node] = []
    /// After ``forward(_:)``: the value of every node, indexed like ``nodes``; empty before.
    public internal(set) var values: [Double] = []
    /// After ``backward(upstream:)``: d(output)/d(node) for every node, indexed like ``nodes``
    /// (times `upstream` when it is not 1); empty before.
    public internal(set) var gradients: [Double] = []

    public init() {}

    // MARK: Given: building

    /// Adds a graph input named `name`, whose value ``forward(_:)`` takes from its dictionary.
    /// - Returns: the new node's index.
    /// - Throws: ``BackpropError/duplicateName(_:)``.
    @discardableResult
    public mutating func input(_ name: String) throws -> Int {
        try append(Node(name: name, gate: nil, inputs: []))
    }

    /// Adds `gate`, reading the nodes `inputs` (indices of nodes already in the graph).
    /// - Returns: the new node's index; the last node added is the graph's output.
    /// - Throws: ``BackpropError/duplicateName(_:)``, ``BackpropError/unknownNode(_:nodeCount:)``, or
    ///   ``BackpropError/wrongInputCount(gate:expected:got:)`` when `inputs.count != gate.inputCount`.
    @discardableResult
    public mutating func add(_ gate: any Gate, inputs: [Int], name: String) throws -> Int {
        guard inputs.count == gate.inputCount else {
            throw BackpropError.wrongInputCount(gate: gate.label, expected: gate.inputCount, got: inputs.count)
        }
        if let unknown = inputs.first(where: { !nodes.indices.contains($0) }) {
            throw BackpropError.unknownNode(unknown, nodeCount: nodes.count)
        }
        return try append(Node(name: name, gate: gate, inputs: inputs))
    }

    /// The index of the node named `name`, if there is one.
    public func index(of name: String) -> Int? { nodes.firstIndex { $0.name == name } }

    // MARK: Exercises

    /// The forward pass: computes every node's value, first to last, and returns the output's.
    ///
    /// Fills ``values`` (one per node) and leaves each gate's cache in ``nodes``, ready for
    /// ``backward(upstream:)``.
    ///
    /// - Parameter inputs: a value for every graph input, by name.
    /// - Returns: the value of the output (the last node).
    /// - Throws: ``BackpropError/emptyGraph``, ``BackpropError/missingInput(_:)``,
    ///   ``BackpropError/unexpectedInput(_:)``, or the errors of the gates' forward passes.
    public mutating func forward(_ inputs: [String: Double]) throws -> Double {
        try checkInputValues(inputs)
        // Start `values` and `gradients` empty. For each node i, first to last: a graph input (gate == nil)
        // takes inputs[nodes[i].name]; a gate takes the values of its nodes[i].inputs and runs forward.
        // Run it in place, `try nodes[i].gate!.forward(...)`: gates are values, and the cache of a copy would
        // be lost before backward. Append each value; return the last node's.
        throw NotImplemented(function: "ComputationalGraph.forward(_:)")
    }

    /// The backward pass: computes the gradient of the output with respect to every node, last to first.
    ///
    /// The output's gradient is `upstream`; each gate, visited in reverse order, passes its node's
    /// gradient back through its `backward` and *adds* the results to the gradients of its input nodes
    /// (a node read by several gates, or twice by one, collects the sum). Fills ``gradients``.
    ///
    /// - Parameter upstream: dL/d(output), 1 for the gradient of the output itself.
    /// - Throws: ``BackpropError/backwardBeforeForward(gate:)`` when ``forward(_:)`` has not run since
    ///   the graph last changed, or the errors of the gates' backward passes.
    public mutating func backward(upstream: Double = 1) throws {
        try checkForwardRan()
        // `gradients`: one 0 per node, then the last node's (the output's) is upstream. Visit the nodes from
        // last to first; a gate's backward(gradients[node]) gives one gradient per entry of nodes[node].inputs.
        // *Add* each to gradients[input] (+=): a node that feeds several gates, or one gate twice (x * x),
        // receives the sum of what they send back.
        throw NotImplemented(function: "ComputationalGraph.backward(upstream:)")
    }

    // MARK: Given: reading the results

    /// After ``backward(upstream:)``: the gradient each edge carries back, `edgeGradients[node][k]` for
    /// the edge from input `k` of `node` (empty for graph inputs). A node's gradient is the sum over the
    /// edges leaving it; drawings label each edge with its own share.
    /// - Throws: ``BackpropError/backwardBeforeForward(gate:)`` before ``backward(upstream:)``.
    public func edgeGradients() throws -> [[Double]] {
        guard gradients.count == nodes.count && !nodes.isEmpty else {
            throw BackpropError.backwardBeforeForward(gate: "the graph's edges")
        }
        return try nodes.indices.map { node in try nodes[node].gate?.backward(gradients[node]) ?? [] }
    }

    /// Throws unless the graph has nodes and `inputs` gives a value to exactly its graph inputs.
    func checkInputValues(_ inputs: [String: Double]) throws {
        guard !nodes.isEmpty else { throw BackpropError.emptyGraph }
        let names = Set(nodes.filter { $0.gate == nil }.map(\.name))
        if let missing = nodes.first(where: { $0.gate == nil && inputs[$0.name] == nil }) {
            throw BackpropError.missingInput(missing.name)
        }
        if let unexpected = inputs.keys.sorted().first(where: { !names.contains($0) }) {
            throw BackpropError.unexpectedInput(unexpected)
        }
    }

    /// Throws unless ``forward(_:)`` has filled ``values`` for the current nodes.
    func checkForwardRan() throws {
        guard !nodes.isEmpty else { throw BackpropError.emptyGraph }
        guard values.count == nodes.count else { throw BackpropError.backwardBeforeForward(gate: "the graph") }
    }

    /// Appends a node with a fresh name; results of earlier passes no longer describe the graph.
    private mutating func append(_ node: Node) throws -> Int {
        guard index(of: node.name) == nil else { throw BackpropError.duplicateName(node.name) }
        nodes.append(node)
        values = []
        gradients = []
        return nodes.count - 1
    }
}

// MARK: - Given: the lecture's worked examples

/// The lecture's worked examples as computational graphs, with the inputs it uses.
public enum LectureExample {
    /// f(x, y, z) = (x + y) z, built as q = x + y, f = q z; evaluated at x = -2, y = 5, z = -4, where
    /// f = -12 and (df/dx, df/dy, df/dz) = (-4, -4, 3).
    public static func addMultiply() throws -> (graph: ComputationalGraph, inputs: [String: Double]) {
        var graph = ComputationalGraph()
        let x = try graph.input("x"), y = try graph.input("y"), z = try graph.input("z")
        let q = try graph.add(AddGate(), inputs: [x, y], name: "q")
        try graph.add(MultiplyGate(), inputs: [q, z], name: "f")
        return (graph, ["x": -2, "y": 5, "z": -4])
    }

    /// The lecture's figure of the patterns in backward flow, f = 2 (x y + max(z, w)) at x = 3, y = -4,
    /// z = 2, w = -1, where f = -20: the add gate hands its gradient 2 to both inputs, the max gate routes
    /// it to z alone (dw = 0), and the multiply gate swaps its inputs (dx = -4 * 2 = -8, dy = 3 * 2 = 6).
    public static func backwardFlowPatterns() throws -> (graph: ComputationalGraph, inputs: [String: Double]) {
        var graph = ComputationalGraph()
        let x = try graph.input("x"), y = try graph.input("y"), z = try graph.input("z"), w = try graph.input("w")
        let product = try graph.add(MultiplyGate(), inputs: [x, y], name: "x*y")
        let larger = try graph.add(MaxGate(), inputs: [z, w], name: "max(z,w)")
        let sum = try graph.add(AddGate(), inputs: [product, larger], name: "sum")
        try graph.add(MultiplyConstantGate(2), inputs: [sum], name: "f")
        return (graph, ["x": 3, "y": -4, "z": 2, "w": -1])
    }

    /// The sigmoid neuron f(w, x) = 1 / (1 + e^-(w0 x0 + w1 x1 + w2)), evaluated at w = (2, -3, -3) and
    /// x = (-1, -2), where f = 0.7311, df/dw = (-0.1966, -0.3932, 0.1966) and df/dx = (0.3932, -0.5898).
    ///
    /// - Parameter fusedSigmoid: `false` builds the sigmoid from the elementary gates *-1, exp, +1, 1/x
    ///   as the lecture first does; `true` uses one ``SigmoidGate``.
    public static func sigmoidNeuron(fusedSigmoid: Bool) throws -> (graph: ComputationalGraph, inputs: [String: Double]) {
        var graph = ComputationalGraph()
        let w0 = try graph.input("w0"), x0 = try graph.input("x0")
        let w1 = try graph.input("w1"), x1 = try graph.input("x1")
        let w2 = try graph.input("w2")
        let a = try graph.add(MultiplyGate(), inputs: [w0, x0], name: "w0*x0")
        let b = try graph.add(MultiplyGate(), inputs: [w1, x1], name: "w1*x1")
        let c = try graph.add(AddGate(), inputs: [a, b], name: "w0x0+w1x1")
        let s = try graph.add(AddGate(), inputs: [c, w2], name: "w·x")
        if fusedSigmoid {
            try graph.add(SigmoidGate(), inputs: [s], name: "f")
        } else {
            let negated = try graph.add(MultiplyConstantGate(-1), inputs: [s], name: "-w·x")
            let exponential = try graph.add(ExpGate(), inputs: [negated], name: "exp(-w·x)")
            let denominator = try graph.add(AddConstantGate(1), inputs: [exponential], name: "1+exp(-w·x)")
            try graph.add(ReciprocalGate(), inputs: [denominator], name: "f")
        }
        return (graph, ["w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3])
    }
}
