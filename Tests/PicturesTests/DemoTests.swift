import Foundation
import XCTest
import Pictures

/// The module in one go: a labelled, bordered grid, a line plot and a report linking both.
///
/// The files go to a temporary directory that is removed afterwards; to look at them, run
///
///     PICTURES_DEMO_OUTPUT=out/pictures-demo swift test --filter PicturesTests.DemoTests
final class DemoTests: XCTestCase {
    func testDemoWritesAGridAPlotAndAReport() throws {
        let directory = try ProcessInfo.processInfo.environment["PICTURES_DEMO_OUTPUT"] ?? makeTemporaryDirectory(for: self)

        // Four 8 x 8 stand-ins for CIFAR-10 images, HWC bytes: one hue per class, brighter to the right.
        let names = ["cat", "dog", "ship", "frog"]
        let hues: [(UInt8, UInt8, UInt8)] = [(220, 120, 40), (150, 90, 60), (40, 90, 200), (60, 170, 60)]
        let images = hues.map { hue in
            RGBImage(width: 8, height: 8, bytes: (0 ..< 64).flatMap { pixel -> [UInt8] in
                let shade = 0.4 + 0.6 * Double(pixel % 8) / 7
                return [hue.0, hue.1, hue.2].map { UInt8(Double($0) * shade) }
            })
        }
        var grid = ImageGrid(scale: 4, columnTitles: ["query", "1st", "2nd", "3rd"])
        for (query, neighbours) in [(0, [0, 1, 0]), (2, [2, 2, 3])] {
            let cells = neighbours.map { GridCell(images[$0], border: $0 == query ? .green : .red, caption: names[$0]) }
            grid.addRow([GridCell(images[query])] + cells, label: names[query])
        }
        var plot = LinePlot(title: "Training loss", xLabel: "iteration", yLabel: "loss")
        plot.addSeries("loss", y: (0 ..< 200).map { 2.3 * exp(-Double($0) / 40) + 0.6 })
        var report = MarkdownReport(title: "Pictures demo")
        report.addImage("neighbours.png", description: "Nearest neighbours, green when the class matches")
        report.addImage("loss.svg", description: "Training loss")

        try report.write(to: directory + "/report.md")  // creates the directory
        try grid.write(to: directory + "/neighbours.png")
        try plot.write(to: directory + "/loss.svg")
        for file in ["report.md", "neighbours.png", "loss.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/" + file), file)
        }
    }
}
