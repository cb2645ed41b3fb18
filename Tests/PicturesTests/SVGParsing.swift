import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// An SVG document parsed with Foundation's XMLParser: every element in document order, with its
/// attributes and the text directly inside it.
struct ParsedSVG {
    struct Element {
        let name: String
        let attributes: [String: String]
        var text: String
    }

    let elements: [Element]

    /// Parses `text`, failing the test (and throwing) if it is not well-formed XML.
    init(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let collector = Collector()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = collector
        guard parser.parse() else {
            let reason = parser.parserError.map { "\($0)" } ?? "unknown error"
            XCTFail("not well-formed XML: \(reason)\n\(text.prefix(2000))", file: file, line: line)
            throw SVGParseFailure()
        }
        elements = collector.elements
    }

    /// The elements with this `class` attribute.
    func elements(class name: String) -> [Element] { elements.filter { $0.attributes["class"] == name } }

    /// The (x, y) pairs of a polyline's `points` attribute.
    static func points(of polyline: Element) -> [(x: Double, y: Double)] {
        (polyline.attributes["points"] ?? "").split(separator: " ").map { pair in
            let numbers = pair.split(separator: ",").compactMap { Double($0) }
            return (numbers[0], numbers[1])
        }
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var elements: [Element] = []
        private var open: [Int] = []

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            open.append(elements.count)
            elements.append(Element(name: elementName, attributes: attributes, text: ""))
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            open.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let index = open.last { elements[index].text += string }
        }
    }
}

struct SVGParseFailure: Error {}
