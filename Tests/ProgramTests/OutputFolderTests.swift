import ChapterSupport
import Foundation
import XCTest

/// An output folder that cannot be made is reported in plain words, through the programs' own notebook.
final class OutputFolderTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("OutputFolderTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: scratch.path)
        try FileManager.default.removeItem(at: scratch)
    }

    /// The message the notebook throws for `--output folder`.
    private func message(output folder: String) throws -> String {
        let options = try ProgramOptions.parse(["--output", folder])
        do {
            _ = try Notebook(title: "Test", program: "test", track: "exercises", options: options, chapterTests: "KNNTests")
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testAFileInThePath() throws {
        let file = scratch.appendingPathComponent("afile")
        try Data("x".utf8).write(to: file)
        XCTAssertEqual(try message(output: file.appendingPathComponent("sub").path),
                       "cannot write \(file.path)/sub: \(file.path) is a file, not a folder. Choose another folder with --output DIR.")
        XCTAssertEqual(try message(output: file.path),
                       "cannot write \(file.path): \(file.path) is a file, not a folder. Choose another folder with --output DIR.")
    }

    func testAFolderWithoutWritePermission() throws {
        try XCTSkipIf(getuid() == 0, "root may write in any folder")
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: scratch.path)
        XCTAssertEqual(try message(output: scratch.appendingPathComponent("out/knn").path),
                       "cannot write \(scratch.path)/out/knn: permission denied: you may not write to \(scratch.path). Choose another folder with --output DIR.")
    }

    #if os(Linux)
    func testProc() throws {
        XCTAssertEqual(try message(output: "/proc/knnout"),
                       "cannot write /proc/knnout: /proc is the kernel's view of its processes, where no folders can be made. Choose another folder with --output DIR.")
    }
    #endif
}
