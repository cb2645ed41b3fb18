import ArgumentParser
import Foundation

/// `swift run grade`: the scorecard.
///
/// Builds the workbook with its graded suites once, then runs each chapter's suite
/// (`WorkbookTests.<Chapter>Tests`) in a process of its own, so a crash in one chapter cannot hide the
/// grades of the others. A test that crashes is marked and the chapter is run again without it, so
/// one crash does not hide the rest of its chapter either.
@main
struct Grade: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grade the workbook chapter by chapter.",
        discussion: """
            Grades the track that WORKBOOK selects: your code in Exercises/ (the default) or, with \
            WORKBOOK=solutions, the reference code. Each exercise is passed, failed, not implemented \
            (its function still throws NotImplemented) or crashed. An exercise scores one point per \
            graded test when all of its tests pass.

            Examples:
              swift run grade                     every chapter
              swift run grade --chapter knn       chapter 1 only (also: --chapter 1)
              swift run grade --verbose           with every failure message and hint
            """)

    @Option(name: .long, help: "Grade one chapter only: its number (1), its program name (knn) or its suite (KNNTests).")
    var chapter: String?

    @Flag(name: .long, help: "Show every failure message with its hint, and every skipped exercise's file.")
    var verbose = false

    @Flag(name: .long, help: "Do not build first; grade the tests built by the last `swift build --build-tests`.")
    var skipBuild = false

    @Option(name: .long, parsing: .unconditional, help: "Seconds a chapter's suite may run before the test in progress is stopped as an endless loop.")
    var timeLimit: Double = 120

    @Option(name: .long, help: ArgumentHelp(
        "Build and test in this folder instead of .build (SwiftPM's --scratch-path).", valueName: "dir"))
    var scratchPath: String?

    @Option(name: .long, help: ArgumentHelp(
        "For CI: exit 0 only if every exercise has this status (passed or not-implemented).",
        valueName: "status"))
    var expect: ExerciseStatus?

    func validate() throws {
        guard timeLimit > 0, timeLimit.isFinite else { throw ValidationError("--time-limit must be a positive number of seconds, got \(String(format: "%g", timeLimit))") }
    }

    func run() throws {
        let track = ProcessInfo.processInfo.environment["WORKBOOK"] ?? "exercises"
        guard FileManager.default.fileExists(atPath: "Package.swift") else {
            throw ValidationError("run grade from the workbook's folder (the one with Package.swift): \(FileManager.default.currentDirectoryPath) has none")
        }
        let swiftPM = SwiftPM(scratchPath: scratchPath)
        if !skipBuild {
            print("Building the workbook and its graded suites (WORKBOOK=\(track))…")
            let build = try swiftPM.run(["build", "--build-tests"])
            guard build.status == 0 else {
                var seen = Set<Substring>()       // the compiler reports each error twice (module and object)
                let errors = build.output.split(separator: "\n").filter { $0.contains("error:") && seen.insert($0).inserted }
                print(errors.prefix(20).joined(separator: "\n"))
                fflush(stdout)                  // the errors first: the message after them goes to standard error
                throw GradeError.doesNotCompile
            }
        }
        var suites = try Chapter.discover(using: swiftPM)
        if let chapter {
            suites = suites.filter { $0.matches(chapter) }
            guard !suites.isEmpty else {
                throw ValidationError("no chapter '\(chapter)': choose one of \(try Chapter.discover(using: swiftPM).map(\.name).joined(separator: ", "))")
            }
        }
        var results: [ChapterResult] = []
        for suite in suites {
            print("Grading chapter \(suite.title)…")
            results.append(try suite.grade(timeLimit: timeLimit, using: swiftPM))
        }
        print()
        print(Scorecard(results: results, track: track).render(verbose: verbose))
        if let expect {
            let wrong = results.flatMap(\.exercises).filter { $0.status != expect }
            if !wrong.isEmpty {
                print("Expected every exercise to be \(expect.rawValue); \(wrong.count) are not: \(wrong.map(\.name).joined(separator: ", "))")
                throw ExitCode.failure
            }
        } else if results.flatMap(\.exercises).contains(where: { $0.status != .passed }) {
            throw ExitCode.failure
        }
    }
}
