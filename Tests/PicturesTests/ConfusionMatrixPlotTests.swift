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
}
