import ArgumentParser
import ChapterSupport
import Foundation
import GradientCheck
import LinearAlgebra
import Pictures
import Workbook
import LectureNetworks

/// `swift run -c release gates`: chapter 3 as a notebook, with the Workbook's gates, graph and autograd.
@main
struct GatesProgram: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gates",
        abstract: "Chapter 3: backpropagation on computational graphs, with \(workbookTrack == "solutions" ? "the reference" : "your") gates and autograd.",
        discussion: """
            Runs the chapter as a notebook, cell by cell: the lecture's worked examples as tables (node, \
            forward value, gradient) and as SVG drawings in the lecture's style; every gate against its \
            numerical gradient; the same examples with the Value autograd; the lecture's tiny two-layer \
            sigmoid network trained with Value until its loss is below --target-loss. Writes report.md and \
            the pictures to --output. Needs no data set.

            Examples:
              swift run -c release gates
              swift run -c release gates --seed 3 --learning-rate 0.5
            """)

    @OptionGroup var options: ProgramOptions

    @Option(name: .long, parsing: .unconditional,
            help: "Hidden sigmoid units of the tiny network, 1 to \(GatesProgram.maximumHiddenUnits).")
    var hiddenUnits = 4

    /// The most hidden units --hidden-units accepts. The network is built one `Value` at a time: its loss
    /// graph has about 45 Values per hidden unit and is about as deep as there are units (each example's
    /// output sums the units one after the other). Measured with seed 0: 100 units train in 550 steps
    /// (under a second in a release build); from about 150 the output sigmoid starts saturated (the
    /// weights are uniform in [-1, 1), summed over the units), the loss stays at 1 or 2 and the 20,000
    /// steps run for nothing; from a few tens of thousands the recursive topological sort (in a debug
    /// build) and Swift freeing the long chain of Values overflow the stack.
    static let maximumHiddenUnits = 100

    @Option(name: .long, parsing: .unconditional, help: "Gradient descent's step size for the tiny network.")
    var learningRate = 1.0

    @Option(name: .long, parsing: .unconditional, help: "Training stops as soon as the network's loss is below this.")
    var targetLoss = 0.01

    @Option(name: .long, parsing: .unconditional, help: "Training gives up after this many steps.")
    var maxSteps = 20_000

    func validate() throws {
        try requirePositive(hiddenUnits, flag: "--hidden-units")
        guard hiddenUnits <= Self.maximumHiddenUnits else {
            throw ValidationError("""
                --hidden-units must be at most \(Self.maximumHiddenUnits), got \(hiddenUnits): with more units the tiny \
                network's output starts saturated and does not learn, each step is slower (it is built one Value at a \
                time), and tens of thousands overflow the stack
                """)
        }
        try requirePositive(learningRate, flag: "--learning-rate")
        try requirePositive(targetLoss, flag: "--target-loss")
        try requirePositive(maxSteps, flag: "--max-steps")
    }

    func run() throws {
        let notebook = try Notebook(
            title: "Chapter 3 · Backpropagation on computational graphs", program: "gates", track: workbookTrack, options: options,
            chapterTests: "GatesTests",
            introduction: "Every gate passes the gradient of the output back to its inputs: its local gradient times the " +
                "gradient that arrives from above (the chain rule). Values in green run forward, gradients in red run backward.")

        try notebook.cell("The lecture's first example: f(x, y, z) = (x + y) z") { cell in
            cell.say("At x = -2, y = 5, z = -4: q = x + y = 3 and f = q z = -12. The multiply gate swaps its inputs " +
                     "(df/dq = z = -4, df/dz = q = 3); the add gate hands df/dq to both x and y.")
            try show(LectureExample.addMultiply(), in: cell, file: "add_multiply.svg",
                     caption: "f = (x + y) z at x = -2, y = 5, z = -4")
        }

        try notebook.cell("Patterns in backward flow: f = 2 (x y + max(z, w))") { cell in
            cell.say("At x = 3, y = -4, z = 2, w = -1: the add gate distributes its gradient 2 to both inputs, the max " +
                     "gate routes it to the larger input z (w gets 0), and the multiply gate swaps: df/dx = y * 2, df/dy = x * 2.")
            try show(LectureExample.backwardFlowPatterns(), in: cell, file: "backward_flow_patterns.svg",
                     caption: "The add gate distributes, the max gate routes, the multiply gate swaps")
        }

        try notebook.cell("The sigmoid neuron f(w, x) = 1 / (1 + e^-(w0 x0 + w1 x1 + w2)), from elementary gates") { cell in
            cell.say("At w = (2, -3, -3), x = (-1, -2), with the sigmoid built from the gates *-1, exp, +1 and 1/x.")
            let elementary = try show(LectureExample.sigmoidNeuron(fusedSigmoid: false), in: cell, file: "sigmoid_neuron.svg",
                                      caption: "The sigmoid neuron from elementary gates")
            cell.say("The same neuron with one fused sigmoid gate, whose backward pass is σ (1 - σ) * upstream:")
            let fused = try show(LectureExample.sigmoidNeuron(fusedSigmoid: true), in: cell, file: "sigmoid_neuron_fused.svg",
                                 caption: "The sigmoid neuron with the fused sigmoid gate")
            let names = ["w0", "x0", "w1", "x1", "w2"]
            let difference = names.map { abs(elementary.gradients[elementary.index(of: $0)!] - fused.gradients[fused.index(of: $0)!]) }.max()!
            cell.say(String(format: "Largest difference between the two graphs' input gradients: %.1e.", difference))
        }

        try notebook.cell("Every gate against its numerical gradient") { cell in
            try gradientCheck(cell)
        }

        try notebook.cell("The same examples with the Value autograd") { cell in
            try autogradExamples(cell)
        }

        try notebook.cell("A two-layer sigmoid network trained with Value") { cell in
            try trainTinyNetwork(cell)
        }

        try notebook.finish()
    }

    // MARK: Cells

    /// Runs a graph forward and backward, prints its table and writes its drawing.
    @discardableResult
    private func show(_ example: (graph: ComputationalGraph, inputs: [String: Double]), in cell: Cell,
                      file: String, caption: String) throws -> ComputationalGraph {
        var graph = example.graph
        _ = try graph.forward(example.inputs)
        try graph.backward()
        cell.table(["node", "operation", "reads", "forward value", "gradient df/dnode"], graph.nodes.indices.map { i in
            let node = graph.nodes[i]
            return [node.name, node.gate?.label ?? "input", node.inputs.map { graph.nodes[$0].name }.joined(separator: ", "),
                    String(format: "%.4f", graph.values[i]), String(format: "%.4f", graph.gradients[i])]
        })
        try cell.plot(drawing(of: graph, title: caption), file: file, caption: caption)
        return graph
    }

    /// The graph as a plain drawing: each wire labelled with its value and the gradient it carries back.
    private func drawing(of graph: ComputationalGraph, title: String) throws -> GraphDrawing {
        let edgeGradients = try graph.edgeGradients()
        let nodes = graph.nodes.map { GraphDrawing.Node(label: $0.gate?.label ?? $0.name, isInput: $0.gate == nil) }
        var edges: [GraphDrawing.Edge] = []
        for (to, node) in graph.nodes.enumerated() {
            for (k, from) in node.inputs.enumerated() {
                edges.append(GraphDrawing.Edge(from: from, to: to, value: twoDecimals(graph.values[from]),
                                               gradient: twoDecimals(edgeGradients[to][k])))
            }
        }
        let last = graph.nodes.count - 1
        return GraphDrawing(nodes: nodes, edges: edges,
                            output: (last, twoDecimals(graph.values[last]), twoDecimals(graph.gradients[last])), title: title)
    }

    /// Each gate's backward pass (upstream 1, so the local gradient) against the centred difference of
    /// its forward pass, at a seeded point away from kinks and from 0.
    private func gradientCheck(_ cell: Cell) throws {
        let gates: [any Gate] = [AddGate(), MultiplyGate(), MaxGate(), ExpGate(), ReciprocalGate(), AddConstantGate(1),
                                 MultiplyConstantGate(-1), SigmoidGate(), TanhGate(), ReLUGate()]
        var rng = SeededGenerator(seed: options.seed)
        var rows: [[String]] = []
        for prototype in gates {
            let first = rng.uniform(0.5, 2) * (rng.uniform() < 0.5 ? -1 : 1)
            let point = prototype.inputCount == 1 ? [first] : [first, first + rng.uniform(0.5, 1.5) * (rng.uniform() < 0.5 ? -1 : 1)]
            var gate = prototype
            _ = try gate.forward(point)
            let analytic = try gate.backward(1)
            let numerical = try numericalGradient(of: { p in
                var fresh = prototype
                return try fresh.forward(p.storage)
            }, at: Matrix(row: point))
            let error = relativeError(Matrix(row: analytic), numerical)
            rows.append([prototype.label, point.map { String(format: "%.4f", $0) }.joined(separator: ", "),
                         analytic.map { String(format: "%.6f", $0) }.joined(separator: ", "),
                         numerical.storage.map { String(format: "%.6f", $0) }.joined(separator: ", "),
                         String(format: "%.1e", error)])
        }
        cell.table(["gate", "at", "backward(1)", "numerical", "relative error"], rows)
        cell.say("A relative error below 1e-7 means the backward pass is right (the tests ask for 1e-9 at points like these).")
    }

    /// The two worked examples again, written as expressions of `Value`s.
    private func autogradExamples(_ cell: Cell) throws {
        let x = Value(-2), y = Value(5), z = Value(-4)
        let f = (x + y) * z
        try f.backward()
        cell.say("let f = (x + y) * z at x = -2, y = 5, z = -4; try f.backward():")
        cell.table(["Value", "data", "grad"], [("x", x), ("y", y), ("z", z), ("f", f)].map { name, v in
            [name, String(format: "%.4f", v.data), String(format: "%.4f", v.grad)]
        })
        let w0 = Value(2), x0 = Value(-1), w1 = Value(-3), x1 = Value(-2), w2 = Value(-3)
        let neuron = (w0 * x0 + w1 * x1 + w2).sigmoid()
        try neuron.backward()
        cell.say("let f = (w0 * x0 + w1 * x1 + w2).sigmoid(); try f.backward(): \(try neuron.topologicalOrder().count) Values in the graph.")
        cell.table(["Value", "data", "grad"], [("w0", w0), ("x0", x0), ("w1", w1), ("x1", x1), ("w2", w2), ("f", neuron)].map { name, v in
            [name, String(format: "%.4f", v.data), String(format: "%.4f", v.grad)]
        })
    }

    /// The lecture's tiny network on its four 3-bit examples, trained until the loss is below the target.
    private func trainTinyNetwork(_ cell: Cell) throws {
        let network = TinySigmoidNetwork(hiddenUnits: hiddenUnits, seed: options.seed)
        cell.say("""
            Examples (0,0,1), (0,1,1), (1,0,1), (1,1,1) with targets 0, 1, 1, 0 (the third input is always 1 and acts \
            as a bias). Hidden layer: \(hiddenUnits) sigmoid units h = σ(x W1), W1 (3, \(hiddenUnits)); output ŷ = σ(h W2), \
            W2 (\(hiddenUnits), 1); loss Σ (ŷ - y)^2 over the four examples. Initial weights uniform in [-1, 1) with seed \
            \(options.seed); plain gradient descent with step size \(learningRate), every gradient from Value's backward().
            """)
        var history: [(step: Int, loss: Double)] = []
        do {
            let steps = try network.train(learningRate: learningRate, targetLoss: targetLoss, maxSteps: maxSteps) { step, loss in
                history.append((step, loss))
            }
            showLossHistory(history, cell)
            cell.say(String(format: "The loss is below %g after %d gradient steps: %.5f.", targetLoss, steps, history.last!.loss))
        } catch let error as BackpropError {
            showLossHistory(history, cell)
            cell.say("Training did not reach the target: \(error).")
        }
        let predictions = TinySigmoidNetwork.examples.map { network.predict($0).data }
        cell.table(["input", "target", "prediction"], zip(TinySigmoidNetwork.examples, zip(TinySigmoidNetwork.targets, predictions)).map {
            ["(\($0.map { String(Int($0)) }.joined(separator: ", ")))", String(Int($1.0)), String(format: "%.4f", $1.1)]
        })
    }

    /// The loss at steps 0, 1, 2, 5, 10, 20, 50, ... and at the last step.
    private func showLossHistory(_ history: [(step: Int, loss: Double)], _ cell: Cell) {
        guard let last = history.last else { return }
        let marks = Set([1, 2, 5].flatMap { m in (0 ..< 7).map { m * Int(pow(10, Double($0))) } } + [0, last.step])
        cell.table(["step", "loss"], history.filter { marks.contains($0.step) }.map { ["\($0.step)", String(format: "%.6f", $0.loss)] })
    }
}

/// A number as the lecture prints it on a wire: two decimals.
private func twoDecimals(_ x: Double) -> String { String(format: "%.2f", x) }
