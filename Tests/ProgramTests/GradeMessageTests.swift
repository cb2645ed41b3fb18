import ArgumentParser
import XCTest
@testable import grade

/// What `grade` prints when it cannot grade.
final class GradeMessageTests: XCTestCase {
    /// The compiler's errors are the point: no usage line after the message that follows them.
    func testCompileFailureIsNotFollowedByUsage() {
        let message = Grade.fullMessage(for: GradeError.doesNotCompile(errors: ["Exercises/01-knn/KNearestNeighbor.swift:3:1: error: expected expression"]))
        XCTAssertEqual(message, "Error: the workbook does not compile: fix the errors above; nothing can be graded until it builds")
        XCTAssertFalse(message.contains("Usage"))
    }

    /// Issue: the exit status was undocumented. `--help` gives each code, and they are the codes grade
    /// returns: 1 for an exercise that did not pass or another status than `--expect`'s and for nothing
    /// graded, 64 (ArgumentParser's for a validation error) for a wrong command line.
    func testTheExitStatusIsDocumentedAsReturned() throws {
        let help = Grade.helpMessage(columns: 200)
        for line in ["Exit status:", "  0    every exercise passed (with --expect STATUS: every exercise has", "  1    some exercise did not pass",
                     "  64   the command line is wrong", "  130  interrupted by Ctrl-C"] {
            XCTAssertTrue(help.contains(line), "\(line) in:\n\(help)")
        }
        XCTAssertEqual(Grade.exitCode(for: ValidationError("--time-limit must be a positive number of seconds, got 0")).rawValue, 64)
        XCTAssertEqual(Grade.exitCode(for: GradeError.doesNotCompile(errors: [])).rawValue, 1, "nothing graded")
        XCTAssertEqual(Grade.exitCode(for: ExitCode.failure).rawValue, 1)
        XCTAssertThrowsError(try Grade.parse(["--expect", "crash"])) { XCTAssertEqual(Grade.exitCode(for: $0).rawValue, 64) }
        XCTAssertThrowsError(try Grade.parse(["--time-limit", "0"])) { XCTAssertEqual(Grade.exitCode(for: $0).rawValue, 64) }
    }
}
