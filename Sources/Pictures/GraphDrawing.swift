import Foundation

/// A computational graph drawn as SVG in the lecture's style: graph inputs are named wires on the left,
/// gates are circles labelled with their operation, laid out left to right by topological depth; each
/// wire carries its forward value above it in green and its gradient below it in red.
///
/// The drawing knows nothing about gates or autograd: it takes a plain list of nodes and edges with
/// their labels already written, so any graph (of gates, of `Value`s) can be drawn.
public struct GraphDrawing: SVGPlot, Sendable {
    /// A graph input (drawn as its name at the start of its wire) or a gate (a circle with its label).
    public struct Node: Sendable {
        public var label: String
        public var isInput: Bool

        public init(label: String, isInput: Bool) {
            self.label = label
            self.isInput = isInput
        }
    }

    /// A wire from node `from` to node `to` (indices into ``nodes``), with the texts to print on it.
    public struct Edge: Sendable {
        public var from: Int
        public var to: Int
        public var value: String
        public var gradient: String

        public init(from: Int, to: Int, value: String, gradient: String) {
            (self.from, self.to, self.value, self.gradient) = (from, to, value, gradient)
        }
    }

    public var nodes: [Node]
    public var edges: [Edge]
    /// The wire leaving the output node to the right, with its value and gradient; `nil` for none.
    public var output: (node: Int, value: String, gradient: String)?
    public var title: String

    public init(nodes: [Node], edges: [Edge], output: (node: Int, value: String, gradient: String)?, title: String) {
        (self.nodes, self.edges, self.output, self.title) = (nodes, edges, output, title)
    }

    public static let valueColor = "#1a7f37"
    public static let gradientColor = "#c62828"

    // Geometry, in SVG user units (pixels).
    private let columnWidth = 150.0, rowHeight = 90.0, radius = 20.0
    private let left = 60.0, top = 60.0, outputWire = 110.0

    /// The SVG document.
    /// - Precondition: every edge joins two existing nodes, from an earlier node to a later one (the
    ///   order of ``nodes`` is topological).
    public func makeSVG() -> String {
        for edge in edges {
            precondition(nodes.indices.contains(edge.from) && nodes.indices.contains(edge.to) && edge.from < edge.to,
                         "GraphDrawing: edge \(edge.from) -> \(edge.to) does not join an earlier node to a later one of \(nodes.count)")
        }
        let position = layout()
        let width = (position.map(\.x).max() ?? left) + (output == nil ? 60 : outputWire + 60)
        let height = (position.map(\.y).max() ?? top) + 90
        var body: [String] = []
        body.append(text(title, x: 16, y: 26, size: 16, anchor: "start", weight: "bold"))
        for edge in edges {
            let (start, end) = (wireStart(edge.from, position), position[edge.to])
            let end0 = (x: end.x - radius, y: end.y)
            body.append(line(from: start, to: end0))
            body.append(contentsOf: labels(edge.value, edge.gradient, from: start, to: end0))
        }
        if let output {
            let start = (x: position[output.node].x + (nodes[output.node].isInput ? 0 : radius), y: position[output.node].y)
            let end = (x: start.x + outputWire, y: start.y)
            body.append(line(from: start, to: end))
            body.append(contentsOf: labels(output.value, output.gradient, from: start, to: end))
        }
        for (i, node) in nodes.enumerated() {
            let p = position[i]
            if node.isInput {
                body.append(text(node.label, x: p.x - 8, y: p.y + 5, size: 15, anchor: "end", weight: "bold"))
            } else {
                body.append(##"<circle cx="\##(number(p.x))" cy="\##(number(p.y))" r="\##(number(radius))" fill="#ffffff" stroke="#222222" stroke-width="1.5"/>"##)
                body.append(text(node.label, x: p.x, y: p.y + 5, size: node.label.count > 3 ? 11 : 14, anchor: "middle", weight: "normal"))
            }
        }
        let legendY = height - 20
        body.append(text("forward values above the wires", x: 16, y: legendY, size: 12, anchor: "start", weight: "normal", color: Self.valueColor))
        body.append(text("gradients of the output below", x: 230, y: legendY, size: 12, anchor: "start", weight: "normal", color: Self.gradientColor))
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(number(width))" height="\(number(height))" \
            viewBox="0 0 \(number(width)) \(number(height))" font-family="Helvetica, Arial, sans-serif">
            <rect width="100%" height="100%" fill="#ffffff"/>
            \(body.joined(separator: "\n"))
            </svg>

            """
    }

    // MARK: Layout

    /// Node centres. Column = topological depth (inputs 0, a gate one more than its deepest input).
    /// Inputs are stacked in order; a gate sits at the mean height of its inputs, pushed down when it
    /// would overlap a node above it in its column.
    private func layout() -> [(x: Double, y: Double)] {
        var depth = [Int](repeating: 0, count: nodes.count)
        var y = [Double](repeating: 0, count: nodes.count)
        var inputRow = 0
        var lowestInColumn: [Int: Double] = [:]
        for i in nodes.indices {
            let sources = edges.filter { $0.to == i }.map(\.from)
            if nodes[i].isInput || sources.isEmpty {
                y[i] = top + Double(inputRow) * rowHeight
                inputRow += 1
            } else {
                depth[i] = 1 + sources.map { depth[$0] }.max()!
                y[i] = sources.map { y[$0] }.reduce(0, +) / Double(sources.count)
            }
            if let lowest = lowestInColumn[depth[i]] { y[i] = max(y[i], lowest + rowHeight) }
            lowestInColumn[depth[i]] = y[i]
        }
        return nodes.indices.map { (x: left + Double(depth[$0]) * columnWidth, y: y[$0]) }
    }

    /// Where a wire leaving `node` starts: an input's wire starts at its name, a gate's at its circle's edge.
    private func wireStart(_ node: Int, _ position: [(x: Double, y: Double)]) -> (x: Double, y: Double) {
        (x: position[node].x + (nodes[node].isInput ? 0 : radius), y: position[node].y)
    }

    // MARK: SVG pieces

    private func line(from a: (x: Double, y: Double), to b: (x: Double, y: Double)) -> String {
        ##"<line x1="\##(number(a.x))" y1="\##(number(a.y))" x2="\##(number(b.x))" y2="\##(number(b.y))" stroke="#555555" stroke-width="1.5"/>"##
    }

    /// The value above and the gradient below a wire, a third of the way along it: wires that meet at
    /// a gate are furthest apart near their start, so their labels do not collide. On a sloping wire
    /// both move along the perpendicular, so that they stay on their own sides.
    private func labels(_ value: String, _ gradient: String, from a: (x: Double, y: Double), to b: (x: Double, y: Double)) -> [String] {
        let middle = (x: a.x + (b.x - a.x) * 0.36, y: a.y + (b.y - a.y) * 0.36)
        let length = max(((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot(), 1)
        let normal = (x: (b.y - a.y) / length, y: -(b.x - a.x) / length)     // points up for a wire going right
        let above = (x: middle.x + 12 * normal.x, y: middle.y + 12 * normal.y - 2)
        let below = (x: middle.x - 12 * normal.x, y: middle.y - 12 * normal.y + 12)
        return [text(value, x: above.x, y: above.y, size: 13, anchor: "middle", weight: "normal", color: Self.valueColor),
                text(gradient, x: below.x, y: below.y, size: 13, anchor: "middle", weight: "normal", color: Self.gradientColor)]
    }

    private func text(_ content: String, x: Double, y: Double, size: Double, anchor: String, weight: String,
                      color: String = "#222222") -> String {
        ##"<text x="\##(number(x))" y="\##(number(y))" font-size="\##(number(size))" text-anchor="\##(anchor)" font-weight="\##(weight)" fill="\##(color)">\##(escaped(content))</text>"##
    }

    private func number(_ x: Double) -> String { String(format: "%.1f", x) }

    private func escaped(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
