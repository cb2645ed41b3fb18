import ArgumentParser
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import grade

/// Which exercise is "not implemented", and the scorecard as course platforms read it (`--json`, `--junit`).
final class GradeReportTests: XCTestCase {
    static let l1Missing = "not implemented: computeL1Distances(_:) in Exercises/01-knn/KNearestNeighbor.swift"

    /// A chapter with every kind of exercise: passed, failed, not implemented, waiting for another
    /// exercise, crashed, and timed out (one test stopped, the other not run).
    static var mixed: ChapterResult {
        ChapterResult(chapter: Chapter(suite: "KNNTests", tests: knnTests), outcomes: [
            "test_train_memorisesTheData": .passed,
            "test_computeDistancesTwoLoops_matchesReference": .failed(["✗ computeDistancesTwoLoops (Exercises/01-knn/KNearestNeighbor.swift): L2 distances: Frobenius difference 4.3e+06 <from the reference> & more\n  hint: take the square root"]),
            "test_computeDistancesOneLoop_matchesReference": .skipped("not implemented: computeDistancesOneLoop(_:) in Exercises/01-knn/KNearestNeighbor.swift"),
            "test_computeDistancesNoLoops_matchesReference": .timedOut("did not finish within 20 s (an endless loop?); stopped"),
            "test_computeDistancesNoLoops_duplicateImageIsZeroNotNaN": .notRun("timed out in test_computeDistancesNoLoops_matchesReference"),
            "test_computeL1Distances_lectureExample": .skipped(l1Missing),
            "test_computeL1Distances_matchesReference": .skipped(l1Missing),
            "test_predictLabels_tiesGoToTheSmallerLabel": .passed,
            "test_predictLabels_majorityVote": .passed,
            "test_predictLabels_oneNearestNeighbourOnTrainingDataIsPerfect": .skipped(l1Missing),
            "test_predictLabels_rejectsImpossibleK": .passed,
            "test_makeFolds_partitionsWithoutOverlap": .crashed("Fatal error: Index out of range in makeFolds(count:folds:) at Exercises/01-knn/CrossValidation.swift:17"),
            "test_crossValidate_matchesReference": .skipped("not implemented: makeFolds(count:folds:) in Exercises/01-knn/CrossValidation.swift"),
        ])
    }

    private func exercise(_ name: String, in result: ChapterResult = mixed) -> ExerciseResult {
        result.exercises.first { $0.name == name }!
    }

    // MARK: - Not implemented

    /// Issue 11: a `predictLabels` that passes three of its four tests showed as "not implemented (needs
    /// computeL1Distances first)". Its own body is not a stub: it is "waiting" (status id `skipped`),
    /// saying what it waits for.
    func testAPartlyPassingExerciseIsNotNotImplemented() {
        let predict = exercise("predictLabels")
        XCTAssertEqual(predict.status, .skipped)
        XCTAssertEqual(predict.statusNote, " (3 of 4 tests pass; the others need computeL1Distances(_:) in Exercises/01-knn/KNearestNeighbor.swift first)")
        XCTAssertEqual(predict.points, 0, "points only when every test passes")
        let card = Scorecard(results: [Self.mixed], track: "exercises").render(verbose: false)
        XCTAssertTrue(card.contains("predictLabels: waiting (3 of 4 tests pass"), card)
        XCTAssertFalse(card.contains("predictLabels: not implemented"), card)
        XCTAssertTrue(card.contains("Waiting"), "the table counts waiting exercises:\n\(card)")
    }

    /// Its own stub: "not implemented", "write …". Only another exercise's stub and nothing passing (as on
    /// the stub track, where nothing can pass): "not implemented (needs … first)".
    func testNotImplementedMeansItsOwnStubOrNothingRan() {
        XCTAssertEqual(exercise("computeL1Distances").status, .notImplemented)
        XCTAssertEqual(exercise("computeL1Distances").statusNote, ": write computeL1Distances(_:) in Exercises/01-knn/KNearestNeighbor.swift")
        XCTAssertEqual(exercise("crossValidate").status, .notImplemented)
        XCTAssertEqual(exercise("crossValidate").statusNote, " (needs makeFolds(count:folds:) in Exercises/01-knn/CrossValidation.swift first)")
        // A method of the exercise's own type is its own stub, whichever exercise it was reached through.
        let gate = ExerciseResult(name: "AddGate", tests: [("test_AddGate_forward", .passed),
                                                           ("test_AddGate_backward", .skipped("not implemented: AddGate.backward(_:) in Exercises/03-backpropagation/Gates.swift"))],
                                  otherExercises: ["MultiplyGate"])
        XCTAssertEqual(gate.status, .notImplemented)
        // A stub the chapter does not grade as an exercise counts as the exercise's own.
        let helper = ExerciseResult(name: "train", tests: [("test_train_a", .passed), ("test_train_b", .skipped("not implemented: helper() in X.swift"))],
                                    otherExercises: ["predictLabels"])
        XCTAssertEqual(helper.status, .notImplemented)
    }

    /// Issue: a wrong answer's message and hint showed only with --verbose. Without it, the first failure's
    /// first line (what was expected and what came back) and its hint; --verbose keeps every line.
    func testAFailureShowsItsFirstLineAndHintWithoutVerbose() {
        let message = "✗ makeFolds (Exercises/01-knn/CrossValidation.swift): fold 1 is [3, 4], expected [2, 3]\n  folds: [[0, 1], [3, 4]]\n  hint: the first `remainder` folds get one more"
        let folds = ExerciseResult(name: "makeFolds", tests: [("test_makeFolds_a", .failed([message, "second message"])),
                                                              ("test_makeFolds_b", .failed(["third message"]))])
        XCTAssertEqual(folds.briefFailure(indent: "  "), [
            "  ✗ makeFolds (Exercises/01-knn/CrossValidation.swift): fold 1 is [3, 4], expected [2, 3]",
            "    hint: the first `remainder` folds get one more",
            "  (2 more failure messages: --verbose shows them)",
        ])
        let card = Scorecard(results: [Self.mixed], track: "exercises").render(verbose: false)
        XCTAssertTrue(card.contains("  ✗ computeDistancesTwoLoops: failed\n      ✗ computeDistancesTwoLoops (Exercises/01-knn/KNearestNeighbor.swift): L2 distances: "
                                    + "Frobenius difference 4.3e+06 <from the reference> & more\n        hint: take the square root\n"), card)
        let verbose = Scorecard(results: [Self.mixed], track: "exercises").render(verbose: true)
        XCTAssertTrue(verbose.contains("hint: take the square root"), verbose)
        let long = ExerciseResult(name: "x", tests: [("test_x_a", .failed([String(repeating: "a", count: 300)]))])
        XCTAssertEqual(long.briefFailure(indent: "").first?.count, 200, "a long first line is cut")
        // A long got and expected (the folds of 23 images in 5) keep the start of each.
        let got = "[[0, 5, 10, 15, 20], [1, 6, 11, 16, 21], [2, 7, 12, 17, 22], [3, 8, 13, 18], [4, 9, 14, 19]]"
        let expected = "[[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11, 12, 13, 14], [15, 16, 17, 18], [19, 20, 21, 22]]"
        let folds2 = ExerciseResult(name: "makeFolds", tests: [("test_makeFolds_a", .failed([
            "✗ makeFolds (Exercises/01-knn/CrossValidation.swift): the folds of 23 examples in 5 is \(got), expected \(expected)"]))])
        let line = folds2.briefFailure(indent: "").first ?? ""
        XCTAssertTrue(line.contains(", expected [[0, 1, 2, 3, 4], [5, 6"), line)
        XCTAssertTrue(line.contains("in 5 is [[0, 5"), line)
        XCTAssertLessThanOrEqual(line.count, 200 + ", expected ".count, line)
    }

    /// Issue: "skipped", "not-implemented" and "not implemented" all named a stub. The student reads "not
    /// implemented" everywhere (the scorecard, the summary, the reports' text); `--expect` keeps its ids.
    func testAStubIsNotImplementedInEveryText() throws {
        let stubs = ChapterResult(chapter: Chapter(suite: "KNNTests", tests: Array(knnTests.prefix(3))), outcomes: Dictionary(uniqueKeysWithValues:
            knnTests.prefix(3).map { ($0, TestOutcome.skipped("not implemented: \(ChapterResult.exercise(of: $0))() in Exercises/01-knn/KNearestNeighbor.swift")) }))
        let card = Scorecard(results: [stubs], track: "exercises").render(verbose: false)
        XCTAssertTrue(card.contains("  · train: not implemented: write train() in Exercises/01-knn/KNearestNeighbor.swift\n"), card)
        for word in ["not-implemented", "skipped", "Skipped"] { XCTAssertFalse(card.contains(word), "\(word) in:\n\(card)") }
        let json = String(decoding: try GradescopeResults(results: [stubs], track: "exercises", seconds: 1).json(), as: UTF8.self)
        XCTAssertFalse(json.contains("not-implemented") || json.contains("skipped"), json)
        XCTAssertTrue(json.contains("not implemented: write train()"), json)
        let xml = JUnitReport.xml(results: [stubs], seconds: 1)
        XCTAssertTrue(xml.contains("<skipped>not implemented: write train()"), "JUnit's element is <skipped>; its text says not implemented:\n\(xml)")
        XCTAssertEqual(ExerciseStatus(argument: "not-implemented"), .notImplemented, "the id --expect takes is unchanged")
        XCTAssertEqual(ExerciseStatus.notImplemented.label, "not implemented")
        XCTAssertEqual(ReportText.summary(of: exercise("predictLabels")),
                       "waiting (3 of 4 tests pass; the others need computeL1Distances(_:) in Exercises/01-knn/KNearestNeighbor.swift first)")
    }

    /// Issue: an endless loop was headlined "crashed" while its detail line said it did not finish in
    /// time. It is "timed out" in the scorecard (headline and table), in both reports' text, as JUnit's
    /// error type and as an `--expect` id; a real crash keeps "crashed".
    func testALoopIsTimedOutNotCrashedInEveryText() throws {
        let loops = exercise("computeDistancesNoLoops"), crash = exercise("makeFolds")
        XCTAssertEqual(loops.status, .timedOut)
        XCTAssertEqual(crash.status, .crashed)
        let card = Scorecard(results: [Self.mixed], track: "exercises").render(verbose: false)
        XCTAssertTrue(card.contains("  ⏱ computeDistancesNoLoops: timed out (an endless loop?)\n"
                                    + "      test_computeDistancesNoLoops_matchesReference: did not finish within 20 s (an endless loop?); stopped\n"), card)
        XCTAssertFalse(card.contains("computeDistancesNoLoops: crashed"), card)
        XCTAssertTrue(card.contains("  💥 makeFolds: crashed\n"), card)
        XCTAssertTrue(card.contains("Failed  Crashed  Timed out  Waiting  Points\n"), "the table counts time-outs apart:\n\(card)")
        XCTAssertEqual(ReportText.summary(of: loops), "timed out in test_computeDistancesNoLoops_matchesReference (an endless loop?)")
        XCTAssertEqual(ReportText.summary(of: crash), "crashed in test_makeFolds_partitionsWithoutOverlap")
        let json = String(decoding: try GradescopeResults(results: [Self.mixed], track: "exercises", seconds: 1).json(), as: UTF8.self)
        XCTAssertTrue(json.contains("timed out in test_computeDistancesNoLoops_matchesReference"), json)
        let xml = JUnitReport.xml(results: [Self.mixed], seconds: 1)
        XCTAssertTrue(xml.contains("<error type=\"timed-out\" message=\"timed out in test_computeDistancesNoLoops_matchesReference (an endless loop?)\">"), xml)
        XCTAssertTrue(xml.contains("<error type=\"crashed\" message=\"crashed in test_makeFolds_partitionsWithoutOverlap\">"), xml)
        XCTAssertEqual(ExerciseStatus(argument: "timed-out"), .timedOut)
        XCTAssertEqual(ExerciseStatus(argument: "crashed"), .crashed, "the id --expect took before is unchanged")
        XCTAssertEqual(ExerciseStatus.allCases.map(\.rawValue), ["passed", "failed", "not-implemented", "crashed", "timed-out", "skipped"])
    }

    /// `--expect timed-out` accepts a chapter whose every exercise loops, and `--expect crashed` does not.
    func testExpectTellsATimeOutFromACrash() throws {
        let folder = try temporaryTestsFolder([("01-knn/KNNTests.swift", "final class KNNTests: XCTestCase {\n}\n")])
        defer { try? FileManager.default.removeItem(at: folder) }
        let tests = ["test_makeFolds_a", "test_makeFolds_b"]
        func run(_ expect: String) throws {
            var command = try Grade.parse(["--skip-build", "--time-limit", "5", "--expect", expect])
            command.runner = FakeSwiftTest(tests: tests, behaviour: ["test_makeFolds_a": .loop(in: "makeFolds(count:folds:)")])
            command.testsFolder = folder
            try command.run()
        }
        XCTAssertNoThrow(try run("timed-out"))
        XCTAssertThrowsError(try run("crashed")) { XCTAssertEqual(($0 as? ExitCode)?.rawValue, 1) }
    }

    // MARK: - Gradescope

    /// Gradescope's results.json, checked against the fields its specification defines
    /// (https://gradescope-autograders.readthedocs.io/en/latest/specs/, "Output format"): a numeric
    /// top-level `score` (required unless every test has one), and per test `score` and `max_score`
    /// (numbers), `name` and `output` (strings), `visibility` (one of four values), `status` ("passed" or
    /// "failed").
    func testGradescopeResultsHaveTheRequiredFields() throws {
        let results = GradescopeResults(results: [Self.mixed], track: "exercises", seconds: 12.4)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: try results.json()) as? [String: Any])
        let score = try XCTUnwrap(json["score"] as? Double, "a numeric top-level score")
        XCTAssertEqual(json["execution_time"] as? Int, 12)
        let tests = try XCTUnwrap(json["tests"] as? [[String: Any]])
        XCTAssertEqual(tests.count, Self.mixed.exercises.count, "one entry per exercise")
        var total = 0.0
        for test in tests {
            let name = try XCTUnwrap(test["name"] as? String)
            let testScore = try XCTUnwrap(test["score"] as? Double, name)
            let maxScore = try XCTUnwrap(test["max_score"] as? Double, name)
            XCTAssertTrue(["hidden", "after_due_date", "after_published", "visible"].contains(test["visibility"] as? String ?? ""), name)
            XCTAssertTrue(["passed", "failed"].contains(test["status"] as? String ?? ""), name)
            XCTAssertNotNil(test["output"] as? String, name)
            XCTAssertTrue(testScore >= 0 && testScore <= maxScore, name)
            total += testScore
        }
        XCTAssertEqual(score, total)
        func entry(_ exercise: String) -> [String: Any] { tests.first { ($0["name"] as! String).hasSuffix(": " + exercise) }! }
        XCTAssertEqual(entry("train")["name"] as? String, "Chapter 1 (k-nearest neighbours): train")
        XCTAssertEqual(entry("train")["score"] as? Double, 1)
        XCTAssertEqual(entry("train")["max_score"] as? Double, 1)
        XCTAssertEqual(entry("computeDistancesNoLoops")["max_score"] as? Double, 2, "the scorecard's own points: one per test")
        XCTAssertEqual(entry("computeDistancesNoLoops")["score"] as? Double, 0)
        let failed = try XCTUnwrap(entry("computeDistancesTwoLoops")["output"] as? String)
        XCTAssertTrue(failed.contains("Frobenius difference") && failed.contains("hint: take the square root"), failed)
        XCTAssertTrue((entry("computeDistancesOneLoop")["output"] as? String ?? "").hasPrefix("not implemented"))
        let timedOut = try XCTUnwrap(entry("computeDistancesNoLoops")["output"] as? String)
        XCTAssertTrue(timedOut.contains("did not finish within 20 s") && timedOut.contains("not run (1 test): timed out in"), timedOut)
        XCTAssertEqual(entry("train")["number"] as? String, "1.1")
    }

    // MARK: - JUnit

    /// JUnit XML, checked against the required attributes and the element order of the schema Jenkins
    /// reads (junit-4.xsd from Jenkins' dtkit-junit-model, as kept in github.com/bachp/junit-report-rs,
    /// tests/JUnit.xsd): `testsuite` needs `name` and `tests`, `testcase` needs `name`; a test case holds
    /// `skipped`, `error`s, `failure`s, `system-out` in that order, and `skipped` has no attributes.
    func testJUnitReportHasTheRequiredStructure() throws {
        let document = try JUnitDocument(JUnitReport.xml(results: [Self.mixed], seconds: 3))
        XCTAssertEqual(document.root?.name, "testsuites")
        let suites = document.root?.children ?? []
        XCTAssertEqual(suites.map(\.name), ["testsuite"])
        let suite = suites[0]
        XCTAssertEqual(suite.attributes["name"], "Chapter 1 (k-nearest neighbours)")
        XCTAssertEqual(suite.attributes["tests"], "\(Self.mixed.exercises.count)")
        XCTAssertEqual(suite.children.count, Self.mixed.exercises.count, "one test case per exercise")
        let order = ["skipped", "error", "failure", "system-out", "system-err"]
        var kinds: [String: String] = [:]
        for testcase in suite.children {
            XCTAssertEqual(testcase.name, "testcase")
            let name = try XCTUnwrap(testcase.attributes["name"])
            let positions = testcase.children.map { order.firstIndex(of: $0.name) ?? -1 }
            XCTAssertFalse(positions.contains(-1), "\(name): only schema elements")
            XCTAssertEqual(positions, positions.sorted(), "\(name): elements in the schema's order")
            for skipped in testcase.children where skipped.name == "skipped" { XCTAssertEqual(skipped.attributes, [:]) }
            kinds[name] = testcase.children.first { $0.name != "system-out" }?.name ?? "passed"
        }
        XCTAssertEqual(kinds["train"], "passed")
        XCTAssertEqual(kinds["computeDistancesTwoLoops"], "failure")
        XCTAssertEqual(kinds["computeDistancesOneLoop"], "skipped")
        XCTAssertEqual(kinds["computeDistancesNoLoops"], "error")
        XCTAssertEqual(kinds["makeFolds"], "error")
        XCTAssertEqual(suite.attributes["failures"], "1")
        XCTAssertEqual(suite.attributes["errors"], "2")
        let failure = suite.children.first { $0.attributes["name"] == "computeDistancesTwoLoops" }!.children[0]
        XCTAssertTrue(failure.text.contains("<from the reference> & more\n  hint: take the square root"), "escaped and read back: \(failure.text)")
    }

    func testControlCharactersCannotBreakTheXML() throws {
        let text = "bell \u{7}, escape \u{1B}, quote \" and ' and <tag>"
        XCTAssertEqual(JUnitReport.escape(text), "bell \u{FFFD}, escape \u{FFFD}, quote &quot; and &apos; and &lt;tag&gt;")
    }

    // MARK: - Written by a run

    /// The files are written by a run with a crash and a time-out, and agree with the scorecard.
    func testARunWithACrashAndALoopWritesBothFiles() throws {
        let folder = try temporaryTestsFolder([("01-knn/KNNTests.swift", "final class KNNTests: XCTestCase {\n}\n")])
        defer { try? FileManager.default.removeItem(at: folder) }
        let fake = FakeSwiftTest(tests: knnTests, behaviour: ["test_makeFolds_partitionsWithoutOverlap": .crash,
                                                               "test_computeL1Distances_lectureExample": .loop()])
        let json = folder.appendingPathComponent("results.json"), junit = folder.appendingPathComponent("junit.xml")
        var command = try Grade.parse(["--skip-build", "--json", json.path, "--junit", junit.path])
        command.runner = fake
        command.testsFolder = folder
        XCTAssertThrowsError(try command.run()) { XCTAssertEqual(($0 as? ExitCode)?.rawValue, 1, "not every exercise passed") }
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        XCTAssertEqual(results["score"] as? Double, 10, "13 points but computeL1Distances' 2 and makeFolds' 1")
        let document = try JUnitDocument(String(contentsOf: junit, encoding: .utf8))
        XCTAssertEqual(document.root?.children.first?.children.count, 8)
    }

    /// An unwritable path: a clear error on standard error and a failing exit status, after the scorecard;
    /// the other file is still written.
    func testAnUnwritablePathIsReportedAndTheOtherFileWritten() throws {
        let folder = try temporaryTestsFolder([("01-knn/KNNTests.swift", "final class KNNTests: XCTestCase {\n}\n")])
        defer { try? FileManager.default.removeItem(at: folder) }
        let fake = FakeSwiftTest(tests: ["test_train_memorisesTheData"])
        let junit = folder.appendingPathComponent("junit.xml")
        var command = try Grade.parse(["--skip-build", "--json", "/nonexistent-grade-folder/results.json", "--junit", junit.path])
        command.runner = fake
        command.testsFolder = folder
        XCTAssertThrowsError(try command.run()) { XCTAssertEqual(($0 as? ExitCode)?.rawValue, 1) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: junit.path))
        XCTAssertEqual(ReportFile.reason(for: CocoaError(.fileNoSuchFile), path: "/nonexistent-grade-folder/results.json"),
                       "the folder /nonexistent-grade-folder does not exist (`mkdir -p /nonexistent-grade-folder` makes it)")
        XCTAssertEqual(ReportFile.reason(for: CocoaError(.fileWriteUnknown), path: folder.path), "it is a folder; give a file name inside it")
    }

    /// Issue: `--junit` into a place the system refuses (here /proc, which even root cannot add files to)
    /// gave Foundation's "The operation could not be completed. The file doesn't exist.": the message
    /// names the flag, the path, why, and what to type instead.
    func testAnUnwritablePlaceIsExplainedInPlainWords() throws {
        let path = "/proc/grade-test-\(UUID().uuidString.prefix(8)).xml"
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/proc/self"), "needs Linux's /proc")
        XCTAssertThrowsError(try Data("x".utf8).write(to: URL(fileURLWithPath: path))) { error in
            let message = ReportFile.message(flag: "--junit", path: path, error: error)
            XCTAssertTrue(message.hasPrefix("error: --junit \(path) cannot be written: /proc does not take new files"), message)
            XCTAssertTrue(message.contains("e.g. --junit out/grade.xml"), message)
            XCTAssertTrue(message.contains("the scorecard above is complete"), message)
            XCTAssertFalse(message.contains("The operation could not be completed"), message)
            // When the build failed, no scorecard was printed to point at.
            let early = ReportFile.message(flag: "--junit", path: path, error: error, afterScorecard: false)
            XCTAssertTrue(early.hasSuffix("no test ran (see the error above), and nothing else was lost."), early)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        // A folder under /proc that does not exist: no mkdir can make it, so none is suggested.
        let deeper = "/proc/grade-test-\(UUID().uuidString.prefix(8))/grade.xml"
        XCTAssertThrowsError(try Data("x".utf8).write(to: URL(fileURLWithPath: deeper))) { error in
            let reason = ReportFile.reason(for: error, path: deeper)
            XCTAssertTrue(reason.hasPrefix("/proc does not take new files"), reason)
            XCTAssertFalse(reason.contains("mkdir"), reason)
        }
        // A read-only file: said as such (root may write any file, so the permission bits only count for others).
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grade-ro-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("results.json")
        try Data().write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: file.path)
        if getuid() != 0 {
            XCTAssertThrowsError(try Data("x".utf8).write(to: file)) { error in
                XCTAssertEqual(ReportFile.reason(for: error, path: file.path), "the file is read-only, or you may not write it (permission denied)")
            }
        }
    }

    /// A workbook that does not build still gets a results.json that says why, with score 0.
    func testABuildFailureStillWritesTheReports() throws {
        let folder = try temporaryTestsFolder([("01-knn/KNNTests.swift", "final class KNNTests: XCTestCase {\n}\n")])
        defer { try? FileManager.default.removeItem(at: folder) }
        let fake = FakeSwiftTest(tests: knnTests)
        let error = "/w/Exercises/01-knn/KNearestNeighbor.swift:3:1: error: expected expression"
        fake.build = (error + "\n", 1)
        let json = folder.appendingPathComponent("results.json"), junit = folder.appendingPathComponent("junit.xml")
        var command = try Grade.parse(["--json", json.path, "--junit", junit.path])
        command.runner = fake
        command.testsFolder = folder
        XCTAssertThrowsError(try command.run())
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        XCTAssertEqual(results["score"] as? Double, 0)
        XCTAssertTrue((results["output"] as? String ?? "").contains(error))
        let document = try JUnitDocument(String(contentsOf: junit, encoding: .utf8))
        XCTAssertEqual(document.root?.children.first?.children.first?.children.first?.name, "error")
    }
}

/// A JUnit file read back as a tree of elements with their attributes and text.
final class JUnitDocument: NSObject, XMLParserDelegate {
    final class Element {
        let name: String
        let attributes: [String: String]
        var children: [Element] = []
        var text = ""
        init(name: String, attributes: [String: String]) { self.name = name; self.attributes = attributes }
    }

    private(set) var root: Element?
    private var stack: [Element] = []

    init(_ xml: String) throws {
        super.init()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = self
        guard parser.parse() else {
            throw NSError(domain: "JUnitDocument", code: 1, userInfo: [NSLocalizedDescriptionKey: "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "")\n\(xml)"])
        }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        let element = Element(name: name, attributes: attributes)
        if let parent = stack.last { parent.children.append(element) } else { root = element }
        stack.append(element)
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        stack.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        stack.last?.text += string
    }
}
