import XCTest
@testable import instructor

/// `instructor check-api` also compares the tracks' files: the same Swift files in the same chapter
/// folders, a guide in every chapter folder of Exercises/, no exercise file outside a chapter folder.
final class LayoutTests: XCTestCase {
    func testMirroredTracksHaveNoProblems() {
        let exercises = ["01-knn/KNearestNeighbor.swift", "01-knn/README.md", "README.md", "Track.swift"]
        let solutions = ["01-knn/KNearestNeighbor.swift", "Track.swift"]
        XCTAssertEqual(CheckAPI.layoutProblems(exercises: exercises, solutions: solutions), [])
    }

    func testAFileInOneTrackOnlyIsNamed() {
        let problems = CheckAPI.layoutProblems(
            exercises: ["01-knn/KNearestNeighbor.swift", "01-knn/README.md", "01-knn/Extra.swift", "Track.swift"],
            solutions: ["01-knn/KNearestNeighbor.swift", "02-linear-classifiers/Softmax.swift", "Track.swift"])
        XCTAssertEqual(problems, [
            "only in Exercises/: the file 01-knn/Extra.swift (Solutions/ must hold the same files)",
            "only in Solutions/: the file 02-linear-classifiers/Softmax.swift (Exercises/ must hold the same files)",
        ])
    }

    func testTheSameFileInAnotherChapterFolderIsADifference() {
        let problems = CheckAPI.layoutProblems(exercises: ["01-knn/Softmax.swift", "01-knn/README.md"],
                                               solutions: ["02-linear-classifiers/Softmax.swift"])
        XCTAssertEqual(problems.count, 2, problems.joined(separator: "\n"))
    }

    func testAChapterFolderWithoutItsGuideAndAFileOutsideAChapterAreNamed() {
        let files = ["01-knn/KNearestNeighbor.swift", "KNNQuestions.swift", "Track.swift"]
        XCTAssertEqual(CheckAPI.layoutProblems(exercises: files, solutions: files), [
            "Exercises/01-knn/ has no README.md: each chapter folder holds its guide",
            "Exercises/KNNQuestions.swift is outside a chapter folder: put it in its chapter's folder (01-knn/, …)",
        ])
    }

    /// The repository's own tracks, read from disk.
    func testThisRepositorysTracksMirrorEachOther() throws {
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(package.path), "cannot enter \(package.path)")
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        let exercises = CheckAPI.files(in: "Exercises"), solutions = CheckAPI.files(in: "Solutions")
        XCTAssertTrue(exercises.contains("01-knn/KNearestNeighbor.swift") && exercises.contains("01-knn/README.md"), "\(exercises)")
        XCTAssertEqual(CheckAPI.layoutProblems(exercises: exercises, solutions: solutions), [])
    }

    /// The student copy leaves out what exists only beside Solutions/, these tests included.
    func testTheStudentCopyLeavesOutTheInstructorsTests() {
        XCTAssertTrue(StudentCopy.instructorOnly.contains("Tests/InstructorTests/"))
    }
}
