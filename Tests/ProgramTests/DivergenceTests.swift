import ChapterSupport
import Datasets
import Foundation
import GradientCheck
import LinearAlgebra
import XCTest
@testable import linear_classifier

/// A diverging run keeps the library's explanation, and a search in which every setting diverges
/// chooses nothing (it used to test the first run as if the search had chosen it).
final class DivergenceTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("DivergenceTests-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
        try? FileManager.default.removeItem(at: folder.deletingLastPathComponent().appendingPathComponent(folder.lastPathComponent + ".failed"))
    }

    /// 60 images of 48 pixel values (about ±128) and the bias feature, ten classes, for every part.
    private func data() -> PreparedData {
        var rng = SeededGenerator(seed: 4)
        let part = LabeledImages(images: Matrix(rows: 60, cols: 49, (0 ..< 60 * 49).map { $0 % 49 == 48 ? 1 : rng.uniform(-128, 128) }),
                                 labels: (0 ..< 60).map { $0 % 10 })
        return PreparedData(train: part, validation: part, test: part, development: part, classNames: CIFAR10.standardClassNames)
    }

    private func run(_ arguments: [String], _ body: (LinearClassifierProgram, Notebook) throws -> Void) throws -> String {
        let program = try LinearClassifierProgram.parse(arguments + ["--output", folder.path, "--batch-size", "20", "--iterations", "20"])
        let notebook = try Notebook(title: "Test", program: "linear-classifier", track: "solutions", options: program.options,
                                    chapterTests: "LinearClassifierTests")
        do {
            try body(program, notebook)
        } catch let stub as NotImplemented {
            throw XCTSkip("needs the reference classifiers (WORKBOOK=solutions): \(stub)")
        }
        if !notebook.missing.isEmpty { throw XCTSkip("needs the reference classifiers (WORKBOOK=solutions)") }
        try? notebook.finish()
        return try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
    }

    func testADivergedRunSaysTheLearningRateIsLikelyTooLarge() throws {
        let report = try run(["--learning-rate", "1e9"]) { program, notebook in
            XCTAssertNil(try program.trainOnce(notebook, data()))
        }
        XCTAssertTrue(report.contains("training diverged, the learning rate is likely too large"), report)
        XCTAssertTrue(report.contains("Try a smaller --learning-rate"), report)
    }

    func testASearchInWhichEverySettingDivergesChoosesNothing() throws {
        let report = try run(["--search-size", "2", "--learning-rate-range", "1e3", "1e4"]) { program, notebook in
            let outcome = try program.searchHyperparameters(notebook, data())
            guard notebook.missing.isEmpty else { return }      // the exercises track: skipped below
            guard case .everySettingDiverged = outcome else {
                return XCTFail("a search of diverged settings must choose nothing")
            }
        }
        XCTAssertTrue(report.contains("Every one of the 2 settings diverged"), report)
        XCTAssertTrue(report.contains("the learning rate is likely too large"), report)
        XCTAssertFalse(report.contains("Best:"), report)
    }

    func testASearchWithOneGoodSettingChoosesIt() throws {
        _ = try run(["--search-size", "3", "--learning-rate-range", "1e-7", "1e-6"]) { program, notebook in
            let outcome = try program.searchHyperparameters(notebook, data())
            guard notebook.missing.isEmpty else { return }
            guard case let .best(model) = outcome else {
                return XCTFail("a search with settings that train must choose one")
            }
            XCTAssertTrue((1e-7 ... 1e-6).contains(model.learningRate))
        }
    }
}
