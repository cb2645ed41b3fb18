import Foundation
import XCTest
import Pictures

final class MarkdownReportTests: XCTestCase {
    func testReportHasHeadingsTableRowsImageLinksAndCode() {
        var report = MarkdownReport(title: "k-nearest neighbours")
        report.addParagraph("Accuracy on 500 test images.")
        report.addHeading("Cross-validation")
        report.addTable(header: ["k", "accuracy"], rows: [["1", "0.274"], ["10", "0.282"], ["a|b", "two\nlines"]])
        report.addImage("cross-validation.svg", description: "Accuracy for each k")
        report.addImage("nearest neighbours (k=5).png", description: "Neighbours [green: same class]")
        report.addCodeBlock("swift run knn --output out/knn\n", language: "sh")

        XCTAssertEqual(report.markdown, """
            # k-nearest neighbours

            Accuracy on 500 test images.

            ## Cross-validation

            | k | accuracy |
            | --- | --- |
            | 1 | 0.274 |
            | 10 | 0.282 |
            | a\\|b | two lines |

            ![Accuracy for each k](cross-validation.svg)

            ![Neighbours \\[green: same class\\]](nearest%20neighbours%20%28k=5%29.png)

            ```sh
            swift run knn --output out/knn
            ```

            """)
    }

    func testCodeBlockFenceIsLongerThanAnyBackticksInside() {
        var report = MarkdownReport()
        report.addCodeBlock("let fence = \"````\"")
        XCTAssertEqual(report.blocks, ["`````\nlet fence = \"````\"\n`````"])
    }

    func testWriteCreatesTheDirectoryAndWritesTheDocument() throws {
        let directory = try makeTemporaryDirectory(for: self)
        var report = MarkdownReport(title: "Report")
        report.addImage("grid.png", description: "grid")
        let path = directory + "/out/knn/report.md"
        try report.write(to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), report.markdown)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory + "/out/knn"), ["report.md"])
    }

    func testWritingUnderAFileThrowsWriteErrorNamingThePath() throws {
        let directory = try makeTemporaryDirectory(for: self)
        let file = directory + "/file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let path = file + "/sub/report.md"
        XCTAssertThrowsError(try MarkdownReport(title: "x").write(to: path)) { error in
            guard let error = error as? WriteError else { return XCTFail("expected a WriteError, got \(error)") }
            XCTAssertEqual(error.path, path)
            XCTAssertTrue(error.description.contains(path), error.description)
            XCTAssertTrue(error.reason.contains("Not a directory"), error.reason)
        }
    }
}
