import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Pictures

/// The computational-graph drawing of `swift run gates`: well-formed SVG with the lecture's labels.
final class GraphDrawingTests: XCTestCase {
    /// f = (x + y) z at x = -2, y = 5, z = -4, as the program describes it.
    private let addMultiply = GraphDrawing(
        nodes: [.init(label: "x", isInput: true), .init(label: "y", isInput: true), .init(label: "z", isInput: true),
                .init(label: "+", isInput: false), .init(label: "*", isInput: false)],
        edges: [.init(from: 0, to: 3, value: "-2.00", gradient: "-4.00"), .init(from: 1, to: 3, value: "5.00", gradient: "-4.00"),
                .init(from: 3, to: 4, value: "3.00", gradient: "-4.00"), .init(from: 2, to: 4, value: "-4.00", gradient: "3.00")],
        output: (4, "-12.00", "1.00"),
        title: "f = (x + y) z & <friends>")

    func testIsWellFormedXMLWithEveryLabel() throws {
        let texts = try parse(addMultiply.makeSVG()).texts
        for label in ["x", "y", "z", "+", "*", "-2.00", "5.00", "3.00", "-12.00", "1.00", "f = (x + y) z & <friends>"] {
            XCTAssertTrue(texts.contains { $0.content == label }, "the drawing shows \(label)")
        }
        XCTAssertEqual(texts.filter { $0.content == "-4.00" }.count, 4, "-4.00: the value of z, and the gradient on three wires")
    }

    func testValuesAreGreenAboveAndGradientsRedBelow() throws {
        let texts = try parse(addMultiply.makeSVG()).texts
        // The output wire carries the value -12.00 and the gradient 1.00, and is horizontal.
        let value = try XCTUnwrap(texts.first { $0.content == "-12.00" })
        let gradient = try XCTUnwrap(texts.first { $0.content == "1.00" })
        XCTAssertEqual(value.fill, GraphDrawing.valueColor, "values are drawn in the value colour")
        XCTAssertEqual(gradient.fill, GraphDrawing.gradientColor, "gradients are drawn in the gradient colour")
        XCTAssertLessThan(value.y, gradient.y, "the value is drawn above the wire, the gradient below")
    }

    func testGatesAreLaidOutLeftToRightByDepth() throws {
        let circles = try parse(addMultiply.makeSVG()).circles
        XCTAssertEqual(circles.count, 2, "one circle per gate, none for inputs")
        XCTAssertLessThan(circles[0].x, circles[1].x, "the + (depth 1) is left of the * (depth 2)")
        let texts = try parse(addMultiply.makeSVG()).texts
        let x = try XCTUnwrap(texts.first { $0.content == "x" }), plus = try XCTUnwrap(texts.first { $0.content == "+" })
        XCTAssertLessThan(x.x, plus.x, "inputs are left of the gates that read them")
    }

    // MARK: helpers

    private struct Parsed { var texts: [(content: String, x: Double, y: Double, fill: String)] = []; var circles: [(x: Double, y: Double)] = [] }

    /// Parses the SVG with XMLParser, failing on malformed XML, and collects its texts and circles.
    private func parse(_ svg: String) throws -> Parsed {
        final class Collector: NSObject, XMLParserDelegate {
            var parsed = Parsed()
            private var open: (x: Double, y: Double, fill: String)?
            private var content = ""
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                let x = Double(attributes["x"] ?? attributes["cx"] ?? "") ?? .nan
                let y = Double(attributes["y"] ?? attributes["cy"] ?? "") ?? .nan
                if name == "text" { (open, content) = ((x, y, attributes["fill"] ?? ""), "") }
                if name == "circle" { parsed.circles.append((x, y)) }
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { content += string }
            func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
                if name == "text", let o = open { parsed.texts.append((content, o.x, o.y, o.fill)); open = nil }
            }
        }
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        guard parser.parse() else {
            XCTFail("the SVG is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "unknown error")")
            return Parsed()
        }
        return collector.parsed
    }
}
