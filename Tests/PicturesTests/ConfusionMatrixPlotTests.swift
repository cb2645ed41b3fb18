import XCTest
@testable import Pictures

final class ConfusionMatrixPlotTests: XCTestCase {
    func testCountsRowsAndRecall() throws {
        var plot = ConfusionMatrixPlot(classNames: ["cat", "dog", "ship"], title: "Test set")
        for (truth, guess) in [(0, 0), (0, 0), (0, 1), (1, 1), (2, 0), (2, 2), (2, 2), (2, 2), (5, 0), (0, -1)] {
            plot.add(truth: truth, predicted: guess)
        }
        XCTAssertEqual(plot.counts, [[2, 1, 0], [0, 1, 0], [1, 0, 3]], "labels outside 0 ..< 3 are not counted")
        let svg = try ParsedSVG(plot.makeSVG())
        XCTAssertEqual(svg.elements(class: "count").map(\.text), ["2", "1", "0", "0", "1", "0", "1", "0", "3"], "row by row")
        XCTAssertEqual(svg.elements(class: "recall").map(\.text), ["0.67", "1.00", "0.75"])
        XCTAssertEqual(svg.elements(class: "row-label").map(\.text), ["cat", "dog", "ship"])
        XCTAssertEqual(svg.elements(class: "cell diagonal").count, 3)
        // A full row share is the scale's top (yellow), an empty cell its bottom (indigo).
        let cells = svg.elements.filter { $0.attributes["class"]?.hasPrefix("cell") ?? false }
        XCTAssertEqual(cells[4].attributes["fill"], ColorScale.color(at: 1).hex, "dog's only image is on the diagonal")
        XCTAssertEqual(cells[2].attributes["fill"], ColorScale.color(at: 0).hex)
    }

    func testEmptyRowsShowNoRecall() throws {
        let svg = try ParsedSVG(ConfusionMatrixPlot(classNames: ["a", "b"]).makeSVG())
        XCTAssertEqual(svg.elements(class: "recall").map(\.text), ["–", "–"])
        XCTAssertEqual(svg.elements.first { $0.name == "title" }?.text, "confusion matrix")
    }

    /// The column labels were cut to six characters ("automo") and the margins were fixed: every label
    /// is whole, and its box (each character 0.6 em wide, 0.8 em above the baseline and 0.25 em below,
    /// turned by its `rotate`) lies inside the viewBox, for CIFAR-10's names and for a longer one.
    func testLabelsAreWholeAndInsideThePicture() throws {
        let cifar = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        for names in [cifar, Array(cifar.dropLast()) + ["a much longer class name"]] {
            let svg = try ParsedSVG(ConfusionMatrixPlot(classNames: names, title: "Test set: true class (rows) against prediction (columns)").makeSVG())
            XCTAssertEqual(svg.elements(class: "column-label").map(\.text), names, "whole names, not cut")
            XCTAssertEqual(svg.elements(class: "row-label").map(\.text), names)
            let root = try XCTUnwrap(svg.elements.first { $0.name == "svg" })
            let box = (root.attributes["viewBox"] ?? "").split(separator: " ").compactMap { Double($0) }
            XCTAssertEqual(box.count, 4)
            guard box.count == 4 else { return }
            for text in svg.elements where text.name == "text" {
                for corner in try Self.corners(of: text) {
                    XCTAssertTrue(corner.x >= box[0] && corner.x <= box[0] + box[2] && corner.y >= box[1] && corner.y <= box[1] + box[3],
                                  "\(text.attributes["class"] ?? "text") '\(text.text)' reaches (\(corner.x), \(corner.y)), outside the viewBox \(box)")
                }
            }
            // The upright labels do not overlap each other: each column is wider than a line of text.
            let columns = svg.elements(class: "column-label").compactMap { $0.attributes["x"].flatMap(Double.init) }
            for (a, b) in zip(columns, columns.dropFirst()) { XCTAssertGreaterThan(b - a, 10 * 1.05) }
        }
    }

    /// The estimated box of a text element: its four corners after its `rotate(angle cx cy)`, if any.
    private static func corners(of text: ParsedSVG.Element) throws -> [(x: Double, y: Double)] {
        let x = try XCTUnwrap(text.attributes["x"].flatMap(Double.init))
        let y = try XCTUnwrap(text.attributes["y"].flatMap(Double.init))
        let size = try XCTUnwrap(text.attributes["font-size"].flatMap(Double.init))
        let width = 0.6 * size * Double(text.text.count)
        let start: Double
        switch text.attributes["text-anchor"] {
        case "middle": start = x - width / 2
        case "end": start = x - width
        default: start = x
        }
        var corners = [(start, y - 0.8 * size), (start + width, y - 0.8 * size), (start, y + 0.25 * size), (start + width, y + 0.25 * size)]
        if let transform = text.attributes["transform"] {
            let numbers = transform.dropFirst("rotate(".count).dropLast().split(separator: " ").compactMap { Double($0) }
            XCTAssertEqual(numbers.count, 3, transform)
            let (angle, cx, cy) = (numbers[0] * .pi / 180, numbers[1], numbers[2])
            corners = corners.map { px, py in
                (cx + (px - cx) * cos(angle) - (py - cy) * sin(angle), cy + (px - cx) * sin(angle) + (py - cy) * cos(angle))
            }
        }
        return corners.map { (x: $0.0, y: $0.1) }
    }
}
