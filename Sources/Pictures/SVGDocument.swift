import Foundation

/// An SVG picture built element by element, as text. Coordinates are in pixels from the top-left.
///
/// Every element may carry a `class` (e.g. "series", "point", "error-bar") so that tests and style
/// sheets can find the parts of a plot. All text and attribute values are escaped for XML.
struct SVGDocument {
    let width: Double
    let height: Double
    /// The document's `<title>`, shown by viewers as a tooltip and read by screen readers.
    let title: String
    private var definitions: [String] = []
    private var elements: [String] = []

    init(width: Double, height: Double, title: String) {
        self.width = width
        self.height = height
        self.title = title
    }

    /// The whole document, an XML declaration then one `<svg>` element on a white background.
    var xml: String {
        var lines = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(number(width))" height="\#(number(height))" "#
                + #"viewBox="0 0 \#(number(width)) \#(number(height))" font-family="Helvetica, Arial, sans-serif">"#,
            "<title>\(escapedForXML(title))</title>",
        ]
        if !definitions.isEmpty { lines += ["<defs>"] + definitions + ["</defs>"] }
        lines.append(##"<rect x="0" y="0" width="100%" height="100%" fill="#ffffff"/>"##)
        return (lines + elements + ["</svg>", ""]).joined(separator: "\n")
    }

    mutating func line(from start: (x: Double, y: Double), to end: (x: Double, y: Double), stroke: Color,
                       width: Double = 1, class name: String? = nil) {
        elements.append(element("line", [
            ("x1", number(start.x)), ("y1", number(start.y)), ("x2", number(end.x)), ("y2", number(end.y)),
            ("stroke", stroke.hex), ("stroke-width", number(width)), ("class", name),
        ]))
    }

    /// A line through `points` in order; needs at least two points to show.
    mutating func polyline(_ points: [(x: Double, y: Double)], stroke: Color, width: Double = 1.5, class name: String? = nil) {
        let coordinates = points.map { "\(number($0.x)),\(number($0.y))" }.joined(separator: " ")
        elements.append(element("polyline", [
            ("points", coordinates), ("fill", "none"), ("stroke", stroke.hex), ("stroke-width", number(width)),
            ("stroke-linejoin", "round"), ("class", name),
        ]))
    }

    /// Separate straight segments drawn as one `<path>` element (e.g. an error bar and its two caps).
    mutating func segments(_ segments: [(from: (x: Double, y: Double), to: (x: Double, y: Double))], stroke: Color,
                           width: Double = 1, class name: String? = nil) {
        let commands = segments.map { segment in
            "M\(number(segment.from.x)),\(number(segment.from.y)) L\(number(segment.to.x)),\(number(segment.to.y))"
        }
        elements.append(element("path", [
            ("d", commands.joined(separator: " ")), ("fill", "none"), ("stroke", stroke.hex),
            ("stroke-width", number(width)), ("class", name),
        ]))
    }

    /// A dot; `tooltip` becomes a `<title>` child that viewers show on hover.
    mutating func circle(at center: (x: Double, y: Double), radius: Double, fill: Color, opacity: Double = 1,
                         tooltip: String? = nil, class name: String? = nil) {
        let attributes = [
            ("cx", number(center.x)), ("cy", number(center.y)), ("r", number(radius)), ("fill", fill.hex),
            ("fill-opacity", opacity < 1 ? number(opacity) : nil), ("class", name),
        ]
        guard let tooltip else { return elements.append(element("circle", attributes)) }
        elements.append(element("circle", attributes, content: "<title>\(escapedForXML(tooltip))</title>"))
    }

    /// A circle's outline, unfilled, e.g. to mark one dot among many.
    mutating func ring(at center: (x: Double, y: Double), radius: Double, stroke: Color, width: Double = 1,
                       class name: String? = nil) {
        elements.append(element("circle", [
            ("cx", number(center.x)), ("cy", number(center.y)), ("r", number(radius)), ("fill", "none"),
            ("stroke", stroke.hex), ("stroke-width", number(width)), ("class", name),
        ]))
    }

    /// A rectangle; `fill` may be a colour's hex or a `url(#id)` of a definition; nil leaves it hollow.
    mutating func rectangle(x: Double, y: Double, width: Double, height: Double, fill: String?,
                            stroke: Color? = nil, class name: String? = nil) {
        elements.append(element("rect", [
            ("x", number(x)), ("y", number(y)), ("width", number(max(width, 0))), ("height", number(max(height, 0))),
            ("fill", fill ?? "none"), ("stroke", stroke?.hex), ("class", name),
        ]))
    }

    enum Anchor: String { case start, middle, end }

    /// One line of text with its baseline at `position`; `rotation` in degrees, clockwise, about `position`.
    mutating func text(_ content: String, at position: (x: Double, y: Double), size: Double = 12,
                       anchor: Anchor = .start, rotation: Double = 0, bold: Bool = false, color: Color = .black,
                       class name: String? = nil) {
        let transform = rotation == 0 ? nil : "rotate(\(number(rotation)) \(number(position.x)) \(number(position.y)))"
        elements.append(element("text", [
            ("x", number(position.x)), ("y", number(position.y)), ("font-size", number(size)),
            ("text-anchor", anchor.rawValue), ("transform", transform), ("font-weight", bold ? "bold" : nil),
            ("fill", color.hex), ("class", name),
        ], content: escapedForXML(content)))
    }

    /// A gradient through `colors`, evenly spaced from the bottom (first) to the top (last), usable as
    /// `fill: "url(#id)"`.
    mutating func defineUpwardGradient(id: String, colors: [Color]) {
        let stops = colors.enumerated().map { index, color in
            let offset = colors.count > 1 ? Double(index) / Double(colors.count - 1) : 0
            return #"  <stop offset="\#(number(offset))" stop-color="\#(color.hex)"/>"#
        }
        definitions += [#"<linearGradient id="\#(escapedForXML(id))" x1="0" y1="1" x2="0" y2="0">"#] + stops
            + ["</linearGradient>"]
    }

    private func element(_ name: String, _ attributes: [(String, String?)], content: String? = nil) -> String {
        let written = attributes.compactMap { key, value in value.map { #"\#(key)="\#(escapedForXML($0))""# } }
        let opening = "<\(name) " + written.joined(separator: " ")
        guard let content else { return opening + "/>" }
        return opening + ">" + content + "</\(name)>"
    }
}

/// `text` safe inside XML character data and attribute values: the five special characters become
/// entities, and characters XML 1.0 forbids (control characters other than tab, newline and return)
/// are dropped.
func escapedForXML(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
        case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: continue
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// A coordinate as SVG text: at most two decimals, no trailing zeros, never "-0" (e.g. 12, 3.5, 0.25).
/// - Precondition: `value` is finite; the plots skip non-finite data before computing any coordinate.
func number(_ value: Double) -> String {
    precondition(value.isFinite, "SVG coordinate \(value) is not finite")
    let rounded = (value * 100).rounded() / 100
    if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int(rounded)) }
    var text = String(format: "%.2f", rounded)
    while text.hasSuffix("0") { text.removeLast() }
    return text
}
