import Foundation
@testable import grade

/// A stand-in for SwiftPM that answers `swift build`, `swift test list` and `swift test --filter … --skip …`
/// the way the real ones do (Swift 6.3, Linux), from a script of what each test does, so that the
/// scorecard's logic is tested without building the workbook a second time.
final class FakeSwiftTest: PackageRunner {
    enum Behaviour {
        case pass
        case fail(String)
        case skip(String)
        /// The process dies in the test with the runtime's index-out-of-range trap.
        case crash
        /// The test never ends: the watchdog stops the run, and the runtime prints where it stood, in a
        /// function of the workbook ("KNearestNeighbor.computeDistancesNoLoops(_:)") if one is given.
        case loop(in: String? = nil)
        /// A correct but slow test: it passes if the limit allows `seconds`, else the watchdog stops it
        /// (in a function that is no exercise).
        case takes(seconds: Double)
    }

    let suite: String
    let tests: [String]
    var behaviour: [String: Behaviour]
    /// What `swift build --build-tests` prints and its exit status.
    var build: (output: String, status: Int32) = ("Build complete!", 0)
    /// The arguments of every run, in order.
    private(set) var runs: [[String]] = []
    /// The time limits that the test runs were given.
    private(set) var limits: [TimeLimit] = []
    /// How many times each test was started.
    private(set) var starts: [String: Int] = [:]

    init(suite: String = "KNNTests", tests: [String], behaviour: [String: Behaviour] = [:]) {
        self.suite = suite
        self.tests = tests
        self.behaviour = behaviour
    }

    func run(_ arguments: [String], timeLimit: TimeLimit?, onLine: (Substring) -> Void) throws -> RunResult {
        runs.append(arguments)
        if arguments.first == "build" {
            return RunResult(status: build.status, output: build.output, timedOut: false)
        }
        if arguments.starts(with: ["test", "list"]) {
            let listing = tests.sorted().map { "WorkbookTests.\(suite)/\($0)" }.joined(separator: "\n")
            return RunResult(status: 0, output: "[0/1] Planning build\n" + listing + "\n", timedOut: false)
        }
        if let timeLimit { limits.append(timeLimit) }
        let skipped = Set(arguments.indices.filter { arguments[$0] == "--skip" }.map { index -> String in
            let pattern = arguments[index + 1]              // WorkbookTests\.KNNTests/test_x$
            return String(pattern.split(separator: "/").last!.dropLast())
        })
        var output: [String] = []
        func emit(_ line: String) {
            output.append(line)
            onLine(line[...])
        }
        func finish(_ status: Int32, timedOut: Bool = false) -> RunResult {
            RunResult(status: status, output: output.joined(separator: "\n"), timedOut: timedOut)
        }
        // As Swift 6.3 prints it on SIGQUIT (frame lines shortened).
        func emitBacktrace(in function: String, test: String) {
            emit("")
            emit("*** Signal 3: Backtracing from 0x56502d8dae99... done ***")
            emit("")
            emit("*** Program crashed: Terminated at 0x0000000000004404 ***")
            emit("")
            emit("Thread 0 \"DeepLearningWor\" crashed:")
            emit("")
            emit("  0               0x000056502d8dae99 \(function) + 793 in DeepLearningWorkbookPackageTests.xctest at /w/Exercises/01-knn/KNearestNeighbor.swift:127:101")
            emit("  1 [ra]          0x000056502d91f1c1 closure #1 in \(suite).\(test)() + 112 in DeepLearningWorkbookPackageTests.xctest at /w/Tests/WorkbookTests/01-knn/KNNTests.swift:36:71")
            emit("Backtrace took 0.72s")
            emit("error: Process '/w/.build/debug/DeepLearningWorkbookPackageTests.xctest WorkbookTests.\(suite)/\(test)' exited with unexpected signal code 3")
        }
        emit("[0/1] Planning build")
        emit("Test Suite 'Selected tests' started at 2026-12-01 20:40:00.000")
        emit("Test Suite '\(suite)' started at 2026-12-01 20:40:00.001")
        for test in tests where !skipped.contains(test) {
            starts[test, default: 0] += 1
            emit("Test Case '\(suite).\(test)' started at 2026-12-01 20:40:00.002")
            switch behaviour[test] ?? .pass {
            case .pass:
                emit("Test Case '\(suite).\(test)' passed (0.004 seconds)")
            case let .fail(message):
                emit("/w/Tests/WorkbookTests/01-knn/KNNTests.swift:30: error: \(suite).\(test) : failed - \(message)")
                emit("Test Case '\(suite).\(test)' failed (0.006 seconds)")
            case let .skip(message):
                emit("/w/Tests/WorkbookTests/01-knn/KNNTests.swift:31: \(suite).\(test) : Test skipped - \(message)")
                emit("Test Case '\(suite).\(test)' skipped (0.001 seconds)")
            case .crash:
                emit("Swift/ContiguousArrayBuffer.swift:692: Fatal error: Index out of range")
                emit("error: Process '/w/.build/debug/DeepLearningWorkbookPackageTests.xctest WorkbookTests.\(suite)/\(test)' exited with unexpected signal code 4")
                return finish(1)
            case let .takes(seconds) where timeLimit.map({ $0.seconds >= seconds }) ?? true:
                emit("Test Case '\(suite).\(test)' passed (\(seconds) seconds)")
            case .takes:
                emitBacktrace(in: "KNearestNeighbor.checkTestImages(_:)", test: test)
                return finish(1, timedOut: true)
            case let .loop(function):
                precondition(timeLimit != nil, "a test run without a time limit would never end")
                if let function { emitBacktrace(in: function, test: test) }
                return finish(1, timedOut: true)
            }
        }
        emit("Test Suite '\(suite)' passed at 2026-12-01 20:40:01.000")
        return finish(behaviour.values.contains { if case .fail = $0 { return true }; return false } ? 1 : 0)
    }
}

/// Records what the grader says while a chapter runs.
final class RecordedProgress: GradeProgress {
    private(set) var events: [String] = []
    func started(_ test: String, index: Int, of count: Int) { events.append("[\(index)/\(count)] \(test)") }
    func finished(_ test: String, event: String, seconds: Double?) { events.append("\(test) \(event)") }
    func stopped(_ test: String, outcome: TestOutcome) { events.append("\(test) stopped") }
    func notRun(_ tests: [String], exercise: String, why: String) { events.append("\(exercise): \(tests.joined(separator: ", ")) not run: \(why)") }
    func retrying(_ test: String, why: String) { events.append("\(test) again") }
}

/// Chapter 1's tests in their declared order, as the scorecard groups them.
let knnTests = [
    "test_train_memorisesTheData",
    "test_computeDistancesTwoLoops_matchesReference",
    "test_computeDistancesOneLoop_matchesReference",
    "test_computeDistancesNoLoops_matchesReference",
    "test_computeDistancesNoLoops_duplicateImageIsZeroNotNaN",
    "test_computeL1Distances_lectureExample",
    "test_computeL1Distances_matchesReference",
    "test_predictLabels_tiesGoToTheSmallerLabel",
    "test_predictLabels_majorityVote",
    "test_predictLabels_oneNearestNeighbourOnTrainingDataIsPerfect",
    "test_predictLabels_rejectsImpossibleK",
    "test_makeFolds_partitionsWithoutOverlap",
    "test_crossValidate_matchesReference",
]

/// A temporary test folder holding `files` (path inside the folder, text), removed by the caller.
func temporaryTestsFolder(_ files: [(String, String)]) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grade-tests-\(UUID().uuidString)")
    for (path, text) in files {
        let url = folder.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
    return folder
}
