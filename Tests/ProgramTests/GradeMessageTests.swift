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
}
