import ArgumentParser
import Foundation

/// `swift run grade`: the scorecard.
///
/// Builds the workbook with its graded suites once, then runs each chapter's suite
/// (`WorkbookTests.<Chapter>Tests`) in a process of its own, so a crash in one chapter cannot hide the
/// grades of the others. A test that crashes or runs past `--time-limit` is marked and the chapter is
/// run again without the tests that have an outcome, so no number of crashes and loops hides the rest
/// of its chapter either (Chapters.swift). Each test is named as it runs. `--json` and `--junit` write
/// the same scorecard for course platforms (Reports.swift); SwiftPM is run through `PackageRunner`
/// (SwiftPM.swift), which the tests replace with recorded output.
@main
struct Grade: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grade the workbook chapter by chapter.",
        discussion: """
            Grades the track that WORKBOOK selects: your code in Exercises/ (the default) or, with \
            WORKBOOK=solutions, the reference code. Each exercise is passed, failed (with the first line \
            of each failure and its hint; --verbose shows every message), not implemented (its function \
            still throws NotImplemented), crashed, timed out (stopped at --time-limit: an endless loop, or \
            code too slow for the limit) or waiting (some of its \
            tests need another exercise first: its stub, or its endless loop). An exercise scores one \
            point per graded test when all of its tests pass. Each test is named as it runs; one that runs \
            longer than --time-limit seconds is stopped, and the other tests of the exercise it looped in \
            are not run.

            Examples:
              swift run grade                     every chapter
              swift run grade --chapter knn       chapter 1 only (also: --chapter 1)
              swift run grade --verbose           with every failure message and hint
              swift run grade --time-limit 30     stop an endless loop after 30 s, not 120
              swift run grade --json results.json Gradescope's autograder results
              swift run grade --junit grade.xml   JUnit XML, for GitHub Classroom and CI

            Exit status:
              0    every exercise passed (with --expect STATUS: every exercise has
                   STATUS), and every --json and --junit file was written
              1    some exercise did not pass (with --expect: some exercise has
                   another status; grade names them), a report file could not be
                   written, or nothing could be graded (the workbook does not
                   compile, Package.swift stopped, the tests could not be listed)
              64   the command line is wrong (an unknown flag or status, a bad
                   --time-limit, a chapter that does not exist), or grade was not
                   run in the workbook's folder
              130  interrupted by Ctrl-C (143 by SIGTERM); its tests are stopped too
            """)

    @Option(name: .long, help: "Grade one chapter only: its number (1), its program name (knn) or its suite (KNNTests).")
    var chapter: String?

    @Flag(name: .long, help: "Show every failure message in full, and why each test that did not run was skipped.")
    var verbose = false

    @Flag(name: .long, help: "Do not build first; grade the tests built by the last `swift build --build-tests`.")
    var skipBuild = false

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Seconds one test may run before it is stopped as an endless loop; the exercise's other tests are then not run, and later tests get a quarter of the limit (a test that was only slow runs again with the full limit).",
        valueName: "seconds"))
    var timeLimit: Double = 120

    @Option(name: .long, help: ArgumentHelp(
        "Also write the scorecard as Gradescope's autograder results.json to this file.", valueName: "file"))
    var json: String?

    @Option(name: .long, help: ArgumentHelp(
        "Also write the scorecard as JUnit XML (one test case per exercise) to this file, for GitHub Classroom and CI.",
        valueName: "file"))
    var junit: String?

    @Option(name: .long, help: ArgumentHelp(
        "Build and test in this folder instead of .build (SwiftPM's --scratch-path).", valueName: "dir"))
    var scratchPath: String?

    @Option(name: .long, help: ArgumentHelp(
        "For CI: exit 0 only if every exercise has this status: passed, failed, not-implemented, crashed, timed-out or skipped (shown as waiting).",
        valueName: "status"))
    var expect: ExerciseStatus?

    /// How SwiftPM is run; the tests replace it with recorded output.
    var runner: PackageRunner? = nil
    /// Where the tests are declared (their order and chapter folders).
    var testsFolder = URL(fileURLWithPath: "Tests/WorkbookTests", isDirectory: true)

    enum CodingKeys: CodingKey {
        case chapter, verbose, skipBuild, timeLimit, json, junit, scratchPath, expect
    }

    func validate() throws {
        guard timeLimit > 0, timeLimit.isFinite else { throw ValidationError("--time-limit must be a positive number of seconds, got \(String(format: "%g", timeLimit))") }
        for (flag, path) in [("--json", json), ("--junit", junit)] where path?.isEmpty == true {
            throw ValidationError("\(flag) needs a file name")
        }
    }

    func run() throws {
        let track = ProcessInfo.processInfo.environment["WORKBOOK"] ?? "exercises"
        guard runner != nil || FileManager.default.fileExists(atPath: "Package.swift") else {
            throw ValidationError("run grade from the workbook's folder (the one with Package.swift): \(FileManager.default.currentDirectoryPath) has none")
        }
        if runner == nil { RunningProcesses.stopRunsOnInterrupt() }
        let started = Date()
        let declared = DeclarationOrder(folder: testsFolder)
        // A chapter that cannot exist is named before minutes of building.
        if let chapter, let choices = Chapter.unknownChapterChoices(chapter, declared: declared) {
            throw ValidationError("no chapter '\(chapter)': choose one of \(choices.joined(separator: ", "))")
        }
        let swiftPM = runner ?? SwiftPM(scratchPath: scratchPath)
        let results: [ChapterResult]
        do {
            results = try grade(track: track, using: swiftPM, declared: declared)
        } catch let error as GradeError {
            // Nothing to grade: the course platform still gets a report that says why.
            writeReports(error: error.report, seconds: Date().timeIntervalSince(started))
            throw error
        }
        print()
        print(Scorecard(results: results, track: track).render(verbose: verbose))
        let written = writeReports(results: results, track: track, seconds: Date().timeIntervalSince(started))
        if let expect {
            let wrong = results.flatMap(\.exercises).filter { $0.status != expect }
            if !wrong.isEmpty {
                print("Expected every exercise to be \(expect.label); \(wrong.count) are not: \(wrong.map(\.name).joined(separator: ", "))")
                throw ExitCode.failure
            }
        } else if results.flatMap(\.exercises).contains(where: { $0.status != .passed }) {
            throw ExitCode.failure
        }
        if !written { throw ExitCode.failure }
    }

    /// Builds (unless `--skip-build`), finds the chapters and grades each, printing progress per test.
    private func grade(track: String, using swiftPM: PackageRunner, declared: DeclarationOrder) throws -> [ChapterResult] {
        if !skipBuild {
            print("Building the workbook and its graded suites (WORKBOOK=\(track))…")
            fflush(stdout)
            let build = try swiftPM.run(["build", "--build-tests"])
            guard build.status == 0 else {
                if let messages = GradeError.manifestMessages(in: build.output) { throw GradeError.manifest(messages) }
                let errors = Array(GradeError.compilerErrors(in: build.output).prefix(20))
                print(errors.joined(separator: "\n"))
                fflush(stdout)                  // the errors first: the message after them goes to standard error
                throw GradeError.doesNotCompile(errors: errors)
            }
        }
        let all = try Chapter.discover(using: swiftPM, declared: declared)
        var suites = all
        if let chapter {
            suites = all.filter { $0.matches(chapter) }
            guard !suites.isEmpty else {
                throw GradeError.noSuchChapter(chapter, choices: all.map(\.name))
            }
        }
        let progress = PrintedProgress()
        var results: [ChapterResult] = []
        for suite in suites {
            print("Grading chapter \(suite.title) (\(suite.tests.count) tests)…")
            results.append(try suite.grade(timeLimit: timeLimit, using: swiftPM, progress: progress))
        }
        return results
    }

    /// Writes `--json` and `--junit`, if asked; a file that cannot be written is reported on standard
    /// error, after the scorecard, and makes the exit status a failure.
    /// - Returns: whether every file asked for was written.
    @discardableResult
    private func writeReports(results: [ChapterResult]? = nil, track: String = "", error: String? = nil, seconds: Double) -> Bool {
        var ok = true
        func write(_ flag: String, _ path: String?, _ contents: () throws -> Data) {
            guard let path else { return }
            do {
                try contents().write(to: URL(fileURLWithPath: path))
            } catch {
                ok = false
                fflush(stdout)      // the scorecard first, also when both go to one pipe or file
                let message = ReportFile.message(flag: flag, path: path, error: error, afterScorecard: results != nil)
                FileHandle.standardError.write(Data((message + "\n").utf8))
            }
        }
        write("--json", json) {
            try (results.map { GradescopeResults(results: $0, track: track, seconds: seconds) }
                 ?? GradescopeResults(error: error ?? "", seconds: seconds)).json()
        }
        write("--junit", junit) {
            Data((results.map { JUnitReport.xml(results: $0, seconds: seconds) } ?? JUnitReport.xml(error: error ?? "", seconds: seconds)).utf8)
        }
        return ok
    }
}

/// Why a report file could not be written, in plain words, and what to do: Foundation's own message
/// ("The operation could not be completed. The file doesn't exist.") names neither the path nor the cause.
enum ReportFile {
    /// "error: --junit /proc/grade.xml cannot be written: … Give a path in a folder you can write, …".
    /// `afterScorecard`: whether a scorecard was printed (not when the build failed before any test ran).
    static func message(flag: String, path: String, error: Error, afterScorecard: Bool = true) -> String {
        "error: \(flag) \(path) cannot be written: \(reason(for: error, path: path)). Give a file in a folder you can write, "
            + "e.g. \(flag) out/\(flag == "--json" ? "results.json" : "grade.xml") (the folder must exist); "
            + (afterScorecard ? "the scorecard above is complete, and nothing else was lost."
                : "no test ran (see the error above), and nothing else was lost.")
    }

    static func reason(for error: Error, path: String) -> String {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            return "it is a folder; give a file name inside it"
        }
        // The kernel's own folders first: no mkdir makes a folder there.
        let full = URL(fileURLWithPath: path).standardizedFileURL.path
        for (root, what) in [("/proc", "processes"), ("/sys", "devices")] where full.hasPrefix(root + "/") {
            return "\(root) does not take new files: it is the kernel's view of its \(what), not an ordinary folder"
        }
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) {
            return "the folder \(folder) does not exist (`mkdir -p \(folder)` makes it)"
        }
        if !isFolder.boolValue { return "\(folder) is a file, not a folder" }
        // The system's own reason, from the error or, where Foundation keeps none (Linux), from trying to
        // open the file for writing once more.
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        var code = underlying?.domain == NSPOSIXErrorDomain ? underlying.map { Int32($0.code) } : nil
        if code == nil {
            let existed = FileManager.default.fileExists(atPath: path)
            let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            if descriptor >= 0 {
                close(descriptor)
                if !existed { unlink(path) }
            } else {
                code = errno
            }
        }
        switch code {
        case EACCES?, EPERM?:
            return FileManager.default.fileExists(atPath: path) ? "the file is read-only, or you may not write it (permission denied)"
                : "you may not create files in \(folder) (permission denied)"
        case EROFS?: return "\(folder) is on a read-only file system"
        case ENOSPC?: return "no space is left on the device"
        case EDQUOT?: return "your disk quota is used up"
        case ENOENT?: return "\(folder) does not take new files: it is not an ordinary folder"
        case let code?: return String(cString: strerror(code))
        case nil: return error.localizedDescription
        }
    }
}
