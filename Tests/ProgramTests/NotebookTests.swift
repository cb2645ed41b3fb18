import ChapterSupport
import Foundation
import GradientCheck
import Pictures
import XCTest

/// The notebook the programs share: a picture that cannot be written is reported, and the cells after
/// it still run.
final class NotebookTests: XCTestCase {
    func testAnUnwritablePictureStopsNothingButIsReportedAtTheEnd() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("NotebookTests-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let options = try ProgramOptions.parse(["--output", folder.path])
        let notebook = try Notebook(title: "Test", program: "test", track: "exercises", options: options, chapterTests: "None")
        // A folder where the picture should go: the write fails.
        try FileManager.default.createDirectory(at: notebook.workingDirectory.appendingPathComponent("blocked.png"),
                                                withIntermediateDirectories: true)
        let picture = RGBImage(width: 2, height: 2, color: .black)
        try notebook.cell("First") { cell in
            try cell.picture(picture, file: "blocked.png", caption: "cannot be written")
            try cell.picture(picture, file: "fine.png", caption: "can be written")
        }
        let second = try notebook.cell("Second") { _ in 42 }
        XCTAssertEqual(second, 42, "the cell after the failed picture runs")
        XCTAssertTrue(FileManager.default.fileExists(atPath: notebook.workingDirectory.appendingPathComponent("fine.png").path))
        XCTAssertThrowsError(try notebook.finish()) { error in
            XCTAssertEqual("\(error)", "cannot write \(folder.path)/blocked.png: Is a directory. Choose another folder with --output DIR.")
        }
        let report = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("2. Second") && report.contains("⚠ cannot write"), report)
    }
}

/// Issue: on the stub track, cnn's last cell vanished when the training cell before it could not run. A
/// cell that needs what a stub stopped still appears, naming the cell and the exercise it waits for, and
/// counts once among the cells that did not run (a cell with two stubs in it counts once too).
final class NotebookStubTests: XCTestCase {
    func testACellThatNeedsAStoppedCellSaysWhichStub() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("NotebookStubTests-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let notebook = try Notebook(title: "Test", program: "test", track: "exercises", options: try ProgramOptions.parse(["--output", folder.path]),
                                    chapterTests: "ConvolutionalNetworkTests")
        try notebook.cell("Two parts") { cell in
            notebook.note(NotImplemented(function: "convForwardNaive(_:_:_:stride:padding:)", filePath: "/w/Exercises/06/Convolution.swift"), in: cell)
            notebook.note(NotImplemented(function: "maxPoolForwardNaive(_:)", filePath: "/w/Exercises/06/MaxPooling.swift"), in: cell)
        }
        let trained: Int? = try notebook.cell("Train with the Solver") { _ in
            throw NotImplemented(function: "ThreeLayerConvNet.loss(_:labels:)", filePath: "/w/Exercises/06/ThreeLayerConvNet.swift")
        }
        XCTAssertNil(trained)
        notebook.cellNotRun("The trained net: test accuracy and pictures", needs: "the trained net")
        XCTAssertThrowsError(try notebook.finish()) { error in
            XCTAssertTrue("\(error)".hasPrefix("3 cells did not run: "), "\(error)")
        }
        let report = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("3. The trained net: test accuracy and pictures"), report)
        XCTAssertTrue(report.contains("Not run: this needs the trained net from cell 2 (Train with the Solver), which needs "
                                      + "ThreeLayerConvNet.loss(_:labels:) from Exercises/06/ThreeLayerConvNet.swift, not implemented yet"), report)
    }
}

/// The terminal's tables: columns of numbers right-aligned, columns of names (even "+1") left-aligned.
final class TerminalTableTests: XCTestCase {
    func testAlignmentIsByColumn() {
        let lines = Cell.terminalLines(["node", "value", "gradient"], [["x", "-2", "-4"], ["+1", "3", "—"], ["*", "-12", "1"]])
        XCTAssertEqual(lines, [
            "  node  value  gradient",
            "  ----  -----  --------",
            "  x        -2        -4",
            "  +1        3         —",
            "  *       -12         1",
        ])
    }
}

/// Issue: large counts printed as "31467520". Counts are grouped by threes, as the course writes them.
final class CountFormatTests: XCTestCase {
    func testCountsAreGroupedByThrees() {
        XCTAssertEqual([0, 760, 1_000, 49_000, 31_467_520, -1_234_567, Int.min].map { format(count: $0) },
                       ["0", "760", "1,000", "49,000", "31,467,520", "-1,234,567", "-9,223,372,036,854,775,808"])
    }
}

/// Issue: an epoch table printed "10.00 s" beside "10.5 s". A duration's digits follow its rounded value.
final class SecondsFormatTests: XCTestCase {
    func testDurationsKeepThreeDigitsAcrossTheRoundingEdges() {
        XCTAssertEqual([0.004, 0.42, 9.994, 9.996, 10.5, 119.94, 119.96, 125, 3_725].map { format(seconds: $0) },
                       ["0.00 s", "0.42 s", "9.99 s", "10.0 s", "10.5 s", "119.9 s", "2 min 00 s", "2 min 05 s", "62 min 05 s"])
    }
}
