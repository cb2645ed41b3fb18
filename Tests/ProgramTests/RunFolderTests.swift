@testable import ChapterSupport
import Foundation
import GradientCheck
import Pictures
import XCTest

/// A run's output folder holds one complete run, the last: a run that fails or is interrupted leaves it
/// as it was and keeps its own partial report, with the reason at its end, beside it.
final class RunFolderTests: XCTestCase {
    private var scratch: URL!
    private var output: URL { scratch.appendingPathComponent("out/knn") }

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("RunFolderTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: scratch)
    }

    private func notebook(_ title: String) throws -> Notebook {
        try Notebook(title: title, program: "knn", track: "exercises", options: try ProgramOptions.parse(["--output", output.path]),
                     chapterTests: "KNNTests")
    }

    /// One complete run: a cell that writes `picture`.
    private func completeRun(_ title: String, picture: String) throws {
        let notebook = try notebook(title)
        try notebook.cell("Pictures") { cell in
            try cell.picture(RGBImage(width: 2, height: 2, color: .black), file: picture, caption: "a picture")
        }
        try notebook.finish()
    }

    private func contents(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted()
    }

    private func report(_ folder: URL) throws -> String {
        try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
    }

    struct NoData: Error, CustomStringConvertible { var description: String { "CIFAR-10 not found: there is no directory at /nope." } }

    func testAFailedRunLeavesTheLastCompleteRunAndKeepsItsOwnReportBeside() throws {
        try completeRun("First run", picture: "first.png")
        let good = try report(output)
        let second = try notebook("Second run")
        try second.cell("Pictures") { cell in
            try cell.picture(RGBImage(width: 2, height: 2, color: .black), file: "second.png", caption: "a picture")
        }
        XCTAssertThrowsError(try second.cell("Load CIFAR-10") { _ in throw NoData() })
        XCTAssertEqual(try report(output), good, "the failed run did not touch the last complete run's report")
        XCTAssertEqual(try contents(output), ["first.png", "report.md"], "nor mixed its pictures in")
        let failed = scratch.appendingPathComponent("out/knn.failed")
        XCTAssertEqual(second.failedDirectory.path, failed.path)
        XCTAssertEqual(try contents(failed), ["report.md", "second.png"])
        let partial = try report(failed)
        XCTAssertTrue(partial.hasPrefix("# Second run"), partial)
        XCTAssertTrue(partial.trimmingCharacters(in: .whitespacesAndNewlines)
            .hasSuffix("✗ The run stopped in cell 2. Load CIFAR-10: CIFAR-10 not found: there is no directory at /nope."), partial)
        XCTAssertNoThrow(try second.finish(), "a stopped run cannot finish")
        XCTAssertEqual(try report(output), good)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.appendingPathComponent("out").path).sorted(),
                       ["knn", "knn.failed"], "no working folder is left behind")
    }

    func testAStoppedRunsLastLineNamesTheFilesItKeeps() throws {
        let run = try notebook("A run with a checkpoint")
        try run.cell("Train") { _ in
            try Data([1, 2, 3]).write(to: run.fileURL("net.safetensors"))
            _ = run.fileURL("weights.safetensors")           // asked for, never written: not named
        }
        XCTAssertThrowsError(try run.cell("Load CIFAR-10") { _ in throw NoData() })
        let failed = scratch.appendingPathComponent("out/knn.failed")
        XCTAssertEqual(try contents(failed), ["net.safetensors", "report.md"])
        XCTAssertEqual(run.stopMessage, "The run stopped; its partial report is \(failed.path)/report.md (no complete run is in "
                       + "\(output.path)); kept with it: \(failed.path)/net.safetensors.")
    }

    /// Issue: a run that stopped before writing its checkpoint (a --resume refused for another
    /// architecture) replaced the earlier stopped run's partial report. That folder now stays whole, report
    /// and checkpoint, and the new partial report goes beside it, the last line naming both.
    func testAStopBeforeTheCheckpointKeepsTheEarlierStoppedRunWhole() throws {
        let first = try notebook("Stopped with a checkpoint")
        try first.cell("Train") { _ in try Data([7, 8, 9]).write(to: first.fileURL("net.safetensors")) }
        XCTAssertThrowsError(try first.cell("Load CIFAR-10") { _ in throw NoData() })
        let second = try notebook("Refused at its start")
        XCTAssertThrowsError(try second.cell("Train") { _ in
            _ = second.fileURL("net.safetensors")
            throw NoData()
        })
        let failed = scratch.appendingPathComponent("out/knn.failed"), last = scratch.appendingPathComponent("out/knn.failed-last")
        XCTAssertEqual(second.lastFailedDirectory.path, last.path)
        XCTAssertEqual(try contents(failed), ["net.safetensors", "report.md"])
        XCTAssertEqual(try Data(contentsOf: failed.appendingPathComponent("net.safetensors")), Data([7, 8, 9]), "the earlier checkpoint, unchanged")
        XCTAssertTrue(try report(failed).hasPrefix("# Stopped with a checkpoint"), "the earlier partial report, unchanged")
        XCTAssertEqual(try contents(last), ["report.md"])
        XCTAssertTrue(try report(last).hasPrefix("# Refused at its start"))
        XCTAssertEqual(second.stopMessage, "The run stopped; its partial report is \(last.path)/report.md (no complete run is in \(output.path)); "
                       + "\(failed.path) still holds the run stopped before, with its report and \(failed.path)/net.safetensors.")

        // Ctrl-C before any checkpoint in a run that asked for none keeps it whole too, and replaces the older partial report.
        let third = try notebook("Interrupted early")
        try third.cell("Load CIFAR-10") { cell in cell.say("loading") }
        third.stop(reason: "interrupted by Ctrl-C (SIGINT)")
        XCTAssertTrue(try report(failed).hasPrefix("# Stopped with a checkpoint"))
        XCTAssertTrue(try report(last).hasPrefix("# Interrupted early"))

        // A run that writes its own checkpoint and stops replaces the stopped run; the partial report beside it goes.
        let fourth = try notebook("Stopped with a newer checkpoint")
        try fourth.cell("Train") { _ in try Data([1]).write(to: fourth.fileURL("net.safetensors")) }
        fourth.stop(reason: "interrupted by Ctrl-C (SIGINT)")
        XCTAssertEqual(try Data(contentsOf: failed.appendingPathComponent("net.safetensors")), Data([1]))
        XCTAssertFalse(FileManager.default.fileExists(atPath: last.path), "older than the stopped run now kept")

        // A complete run that does not carry the stopped run on keeps it (for its checkpoint), and no partial report beside it.
        let fifth = try notebook("Refused again")
        fifth.stop(reason: "refused")
        XCTAssertTrue(FileManager.default.fileExists(atPath: last.path))
        let complete = try notebook("Complete, without the checkpoint")
        try complete.cell("Train") { _ in _ = complete.fileURL("net.safetensors") }
        try complete.finish()
        XCTAssertEqual(try contents(scratch.appendingPathComponent("out")), ["knn", "knn.failed"])
    }

    /// A run that stubs kept from finishing every cell.
    private func stubbedRun(_ title: String) throws -> Notebook {
        let run = try notebook(title)
        try run.cell("Pictures") { cell in
            try cell.picture(RGBImage(width: 2, height: 2, color: .black), file: "stubbed.png", caption: "a picture")
        }
        try run.cell("Train") { _ in throw NotImplemented(function: "train(x:y:)", filePath: "/w/Exercises/01-knn/KNearestNeighbor.swift") }
        run.cellNotRun("Test", needs: "the trained classifier")
        XCTAssertThrowsError(try run.finish()) { error in
            XCTAssertTrue("\(error)".hasPrefix("2 cells did not run: train(x:y:) in Exercises/01-knn/KNearestNeighbor.swift is not implemented yet"), "\(error)")
        }
        return run
    }

    /// Issue: on the stub track, knn replaced a complete earlier run with one whose cells a stub kept
    /// from running. Such a run goes into place only over another such run (or none); over a complete run
    /// it goes to `<output>.failed`, like a stopped run.
    func testARunWithCellsNotRunKeepsTheLastCompleteRun() throws {
        _ = try stubbedRun("First, with a stub")
        XCTAssertEqual(try contents(output), ["report.md", "stubbed.png"], "no complete run to keep: in place")
        _ = try stubbedRun("Second, with a stub")
        XCTAssertTrue(try report(output).hasPrefix("# Second, with a stub"), "a run with stubs replaces one with stubs")
        try completeRun("Complete", picture: "first.png")
        let good = try report(output)
        let failed = scratch.appendingPathComponent("out/knn.failed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: failed.path))

        _ = try stubbedRun("Third, with a stub")
        XCTAssertEqual(try report(output), good, "the complete run stays")
        XCTAssertEqual(try contents(output), ["first.png", "report.md"])
        XCTAssertEqual(try contents(failed), ["report.md", "stubbed.png"])
        let partial = try report(failed)
        XCTAssertTrue(partial.hasPrefix("# Third, with a stub"), partial)
        XCTAssertTrue(partial.contains("2 cells did not run, so this run did not replace the last complete run in \(output.path)."), partial)
        try completeRun("Complete again", picture: "again.png")
        XCTAssertFalse(FileManager.default.fileExists(atPath: failed.path), "an older run with stubs would mislead")
    }

    func testACompleteRunReplacesTheWholeFolderAndTheOldFailure() throws {
        try completeRun("First run", picture: "first.png")
        let failing = try notebook("Failing run")
        _ = try? failing.cell("Load") { _ in throw NoData() }
        XCTAssertTrue(FileManager.default.fileExists(atPath: failing.failedDirectory.path))
        try completeRun("Third run", picture: "third.png")
        XCTAssertEqual(try contents(output), ["report.md", "third.png"], "no picture of an earlier run is left beside the report")
        XCTAssertTrue(try report(output).hasPrefix("# Third run"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: failing.failedDirectory.path), "an older failure would mislead")
        XCTAssertEqual(try contents(scratch.appendingPathComponent("out")), ["knn"], "no hidden folder is left either")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.appendingPathComponent("out").path), ["knn"])
    }

    /// What Ctrl-C does (the SIGINT handler calls `interrupted(by:)`), and what leaving `run()` without `finish()` does.
    func testAnInterruptedOrAbandonedRunKeepsItsPartialReport() throws {
        try completeRun("First run", picture: "first.png")
        let good = try report(output)
        let interrupted = try notebook("Interrupted run")
        try interrupted.cell("Something long") { cell in cell.say("halfway") }
        interrupted.interrupted(by: "Ctrl-C (SIGINT)")
        XCTAssertEqual(try report(output), good)
        XCTAssertEqual(interrupted.stopMessage, "The run stopped in cell 1. Something long: interrupted by Ctrl-C (SIGINT). Its partial report is "
                       + "\(interrupted.failedDirectory.path)/report.md (\(output.path) still holds the last complete run).",
                       "the console's last line says what the report says")
        XCTAssertTrue(try report(interrupted.failedDirectory).contains("halfway\n\n✗ The run stopped in cell 1. Something long: interrupted by Ctrl-C (SIGINT)"))

        do {
            let abandoned = try notebook("Abandoned run")
            try abandoned.cell("Only cell") { cell in cell.say("done") }
        }
        XCTAssertEqual(try report(output), good)
        XCTAssertTrue(try report(output.deletingLastPathComponent().appendingPathComponent("knn.failed"))
            .contains("✗ The run stopped in cell 1. Only cell: the program stopped before the end of its run"))
    }

    /// The process id of a process that has ended (so that no live run owns a folder named after it).
    private func endedProcessID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exit 0"]
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    /// A folder as a run leaves it: `report.md` starting with `heading`, and `checkpoint`'s bytes in
    /// model.safetensors when given.
    @discardableResult
    private func runFolder(_ path: String, heading: String, checkpoint: [UInt8]? = nil) throws -> URL {
        let folder = scratch.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "# \(heading)\n".write(to: folder.appendingPathComponent("report.md"), atomically: true, encoding: .utf8)
        if let checkpoint { try Data(checkpoint).write(to: folder.appendingPathComponent("model.safetensors")) }
        return folder
    }

    func testARunKilledOutrightIsRecoveredAsAStoppedRunWithItsCheckpoint() throws {
        try completeRun("First run", picture: "first.png")
        let good = try report(output)
        // What a run killed by SIGKILL after writing its checkpoint leaves: its working folder.
        let abandoned = try runFolder("out/.knn.running-\(try endedProcessID())", heading: "Killed run", checkpoint: [1, 2, 3])
        let next = try notebook("Next run")
        let failed = scratch.appendingPathComponent("out/knn.failed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: abandoned.path), "the abandoned folder moved")
        XCTAssertEqual(try contents(failed), ["model.safetensors", "report.md"], "its checkpoint is where --resume looks")
        XCTAssertEqual(try Data(contentsOf: failed.appendingPathComponent("model.safetensors")), Data([1, 2, 3]))
        let recovered = try report(failed)
        XCTAssertTrue(recovered.hasPrefix("# Killed run") && recovered.contains("ended here without stopping"), recovered)
        XCTAssertEqual(try report(output), good, "the last complete run is untouched")
        next.stop(reason: "test over")
    }

    func testAKilledRunDoesNotReplaceAnEarlierStoppedRunsCheckpoint() throws {
        let failed = try runFolder("out/knn.failed", heading: "Stopped run", checkpoint: [9])
        try runFolder("out/.knn.running-\(try endedProcessID())", heading: "Killed run")
        let next = try notebook("Next run")
        XCTAssertEqual(try Data(contentsOf: failed.appendingPathComponent("model.safetensors")), Data([9]))
        XCTAssertTrue(try report(scratch.appendingPathComponent("out/knn.failed-last")).hasPrefix("# Killed run"))
        next.stop(reason: "test over")
    }

    func testTheNewerOfTwoStoppedCheckpointsIsWhereResumeLooksAndNeitherIsLost() throws {
        let failed = try runFolder("out/knn.failed", heading: "Stopped run", checkpoint: [1])
        let last = scratch.appendingPathComponent("out/knn.failed-last")
        try runFolder("out/.knn.running-\(try endedProcessID())", heading: "Killed run", checkpoint: [2])
        let next = try notebook("Next run")
        XCTAssertEqual(try Data(contentsOf: failed.appendingPathComponent("model.safetensors")), Data([2]), "the killed, newer run")
        XCTAssertEqual(try Data(contentsOf: last.appendingPathComponent("model.safetensors")), Data([1]), "the older stopped run")
        try next.finish()
        XCTAssertEqual(try Data(contentsOf: last.appendingPathComponent("model.safetensors")), Data([1]), "a finished run keeps it")
    }

    func testARunKilledWhileReplacingTheLastCompleteRunGetsItBack() throws {
        try completeRun("First run", picture: "first.png")
        let good = try report(output)
        let aside = scratch.appendingPathComponent("out/.knn.previous-\(try endedProcessID())")
        try FileManager.default.moveItem(at: output, to: aside)
        let next = try notebook("Next run")
        XCTAssertEqual(try report(output), good)
        XCTAssertFalse(FileManager.default.fileExists(atPath: aside.path))
        next.stop(reason: "test over")
    }

    func testAFolderOfOtherFilesIsNeverReplaced() throws {
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: output.appendingPathComponent("notes.txt"))
        XCTAssertThrowsError(try notebook("Run")) { error in
            XCTAssertTrue("\(error)".contains("holds files no workbook program wrote"), "\(error)")
        }
        XCTAssertEqual(try contents(output), ["notes.txt"])
    }

    // MARK: Where the default folder is

    private var package: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func testThePackageFolderIsFoundFromInsideIt() throws {
        XCTAssertEqual(ProgramOptions.packageDirectory(from: package.appendingPathComponent("Exercises/01-knn").path)?.path,
                       package.standardizedFileURL.path)
        XCTAssertEqual(ProgramOptions.packageDirectory(from: package.path)?.path, package.standardizedFileURL.path)
        // From outside, the folder the program was built from.
        XCTAssertEqual(ProgramOptions.packageDirectory(from: "/")?.path, package.standardizedFileURL.path)
        XCTAssertNil(ProgramOptions.packageDirectory(from: "/", builtFrom: "/nowhere/Sources/ChapterSupport/ProgramOptions.swift"))
    }

    func testTracksAndPresetsHaveTheirOwnFolders() throws {
        let options = try ProgramOptions.parse([])
        let out = package.standardizedFileURL.appendingPathComponent("out").path
        XCTAssertEqual(try options.outputDirectory(program: "knn", track: "exercises").path, out + "/knn")
        XCTAssertEqual(try options.outputDirectory(program: "knn", track: "solutions").path, out + "/knn-reference")
        XCTAssertEqual(try options.outputDirectory(program: "knn", track: "solutions", preset: "full").path, out + "/knn-reference-full")
        XCTAssertEqual(try options.outputDirectory(program: "knn", track: "exercises", preset: "smoke-test").path, out + "/knn-smoke-test")
        // Unless asked: --output is the folder whatever the preset.
        let asked = try ProgramOptions.parse(["--output", "/tmp/x"])
        XCTAssertEqual(try asked.outputDirectory(program: "knn", track: "solutions", preset: "full").path, "/tmp/x")
    }

    func testNoOutputGoesInsideTheSourceFolders() throws {
        for folder in ["Exercises/out", "Sources/knn/out", "Solutions", "Tests/x"] {
            let options = try ProgramOptions.parse(["--output", package.appendingPathComponent(folder).path])
            XCTAssertThrowsError(try options.outputDirectory(program: "knn", track: "exercises")) { error in
                XCTAssertTrue("\(error)".contains("a folder SwiftPM builds from"), "\(error)")
            }
        }
        let fine = try ProgramOptions.parse(["--output", package.appendingPathComponent("out/mine").path])
        XCTAssertNoThrow(try fine.outputDirectory(program: "knn", track: "exercises"))
    }
}

/// The allocator setting every program makes before its first cell (ChapterSupport's MemoryPolicy).
final class MemoryPolicyTests: XCTestCase {
    /// On Linux (glibc) both settings must take: a build that compiled the no-op twin there (the C
    /// file tested `__GLIBC__` before any header had defined it) made a convnet step 1.6 times slower.
    func testTheAllocatorKeepsFreedMemoryOnLinux() {
        #if os(Linux)
        XCTAssertTrue(keepFreedMemoryForReuse(), "glibc's mallopt did not take M_MMAP_THRESHOLD 32 MB and M_TRIM_THRESHOLD 1 GB")
        #endif
    }
}
