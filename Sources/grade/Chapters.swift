import Foundation
import GradientCheck

/// A chapter's graded suite: the XCTest class `WorkbookTests.<suite>` and its tests.
struct Chapter {
    /// The chapters we know by number and program name; a new suite without an entry still gets graded,
    /// numbered by its test folder (`Tests/WorkbookTests/04-neural-networks/` is chapter 4).
    static let known: [(suite: String, number: Int, program: String, title: String)] = [
        ("KNNTests", 1, "knn", "k-nearest neighbours"),
        ("LinearClassifierTests", 2, "linear-classifier", "linear classifiers"),
        ("GatesTests", 3, "gates", "backpropagation"),
        ("NeuralNetworkTests", 4, "two-layer-net", "neural networks"),
        ("DropoutTests", 5, "dropout", "dropout and batch normalization"),
        ("ConvolutionalNetworkTests", 6, "cnn", "convolutional networks"),
    ]

    let suite: String
    let tests: [String]
    /// The chapter folder of the file that declares the suite's class (`04-neural-networks`), if known.
    var folder: String? = nil

    var info: (number: Int, program: String, title: String)? {
        if let entry = Chapter.known.first(where: { $0.suite == suite }) { return (entry.number, entry.program, entry.title) }
        guard let folder, let (number, slug) = Chapter.numberedFolder(folder) else { return nil }
        return (number, slug, slug.replacingOccurrences(of: "-", with: " "))
    }
    var name: String { info?.program ?? suite }
    var title: String { info.map { "\($0.number) \($0.title)" } ?? suite }

    /// The chapter's exercises, in test order.
    var exercises: [String] {
        var seen: [String] = []
        for test in tests where !seen.contains(ChapterResult.exercise(of: test)) { seen.append(ChapterResult.exercise(of: test)) }
        return seen
    }

    func matches(_ query: String) -> Bool {
        [suite, name, folder ?? "", info.map { String($0.number) } ?? ""].contains { $0.lowercased() == query.lowercased() }
    }

    /// The limit for the tests after a first endless loop: a quarter of the limit, at least 10 s.
    static func shorterLimit(_ limit: Double) -> Double {
        min(limit, max(10, limit / 4))
    }

    /// "04-neural-networks" is (4, "neural-networks").
    static func numberedFolder(_ folder: String) -> (Int, String)? {
        let parts = folder.split(separator: "-", maxSplits: 1)
        guard parts.count == 2, let number = Int(parts[0]) else { return nil }
        return (number, String(parts[1]))
    }

    /// Whether `query` can name a chapter, answered before anything is built: a known chapter's number,
    /// program or suite, or a suite class or numbered chapter folder that the test files declare.
    /// - Returns: nil if it can, else the chapters there are, for the message.
    static func unknownChapterChoices(_ query: String, declared: DeclarationOrder) -> [String]? {
        let q = query.lowercased()
        let number = Int(query)
        for entry in known where [entry.suite.lowercased(), entry.program, String(entry.number)].contains(q) { return nil }
        // Suites: classes in a numbered chapter folder, or named …Tests (not the helpers in Support/).
        let suites = declared.folders.filter { numberedFolder($0.value) != nil || $0.key.hasSuffix("Tests") }
        for (suite, folder) in suites {
            let numbered = numberedFolder(folder)
            if suite.lowercased() == q || folder.lowercased() == q || numbered.map({ $0.1 == q || $0.0 == number }) ?? false {
                return nil
            }
        }
        var choices = known.map { "\($0.number) (\($0.program))" }
        for (suite, folder) in suites.sorted(by: { $0.value < $1.value }) where !known.contains(where: { $0.suite == suite }) {
            choices.append(numberedFolder(folder).map { "\($0.0) (\(suite))" } ?? suite)
        }
        return choices
    }

    /// The chapters' suites found in the built tests, in chapter order, each with its tests in the order
    /// the test files declare them (`swift test list` sorts them by name).
    static func discover(using runner: PackageRunner, declared: DeclarationOrder) throws -> [Chapter] {
        let listing = try runner.run(["test", "list", "--skip-build"])
        guard listing.status == 0 else {
            throw GradeError.manifestMessages(in: listing.output).map(GradeError.manifest) ?? GradeError.listing(listing.output)
        }
        var bySuite: [String: [String]] = [:]
        for line in listing.output.split(separator: "\n") where line.hasPrefix("WorkbookTests.") {
            let parts = line.dropFirst("WorkbookTests.".count).split(separator: "/")
            guard parts.count == 2 else { continue }
            bySuite[String(parts[0]), default: []].append(String(parts[1]))
        }
        let chapters = bySuite.keys.map {
            Chapter(suite: $0, tests: declared.sorted(bySuite[$0]!, suite: $0), folder: declared.folders[$0])
        }
        return chapters.sorted { ($0.info?.number ?? Int.max, $0.suite) < ($1.info?.number ?? Int.max, $1.suite) }
    }

    /// Runs the suite in its own process; after a crash or a time-out, again without the tests that have
    /// an outcome, until every test has one.
    ///
    /// Once a test has timed out, the other tests of the exercise it looped in (the backtrace's, else its
    /// own) are not run (they would most likely loop as well, each costing the full limit): they are
    /// reported as not run, once, naming the test that timed out. A test of another exercise stopped in
    /// that loop is not charged with it: it is ``TestOutcome/blocked(exercise:why:)``, and its exercise
    /// waits for the one that loops. The tests after a first loop get a shorter limit
    /// (``shorterLimit(_:)``); one stopped there counts as a loop only if it stopped in an exercise that
    /// already looped, and is otherwise run again with the full limit, so slow correct code is not failed.
    /// - Parameters:
    ///   - timeLimit: seconds one test may run before it is stopped as an endless loop.
    ///   - progress: told as each test starts and ends.
    func grade(timeLimit: Double, using runner: PackageRunner, progress: GradeProgress? = nil) throws -> ChapterResult {
        var outcomes: [String: TestOutcome] = [:]
        let known = Set(tests)
        // Exercises known to loop, each with the test that found it. Once there is one, later tests get
        // a shorter limit; a test stopped there counts only if it, too, was stopped in a known loop, and
        // is otherwise run again with the full limit (it may only be slow).
        var loops: [String: String] = [:]
        var fullLimitNext = false
        while tests.contains(where: { outcomes[$0] == nil }) {
            var arguments = ["test", "--skip-build", "--filter", "^WorkbookTests\\.\(suite)/"]
            for test in tests where outcomes[test] != nil { arguments += ["--skip", "WorkbookTests\\.\(suite)/\(test)$"] }
            let shortened = !loops.isEmpty && !fullLimitNext
            let seconds = shortened ? Chapter.shorterLimit(timeLimit) : timeLimit
            fullLimitNext = false
            let limit = TimeLimit(seconds: seconds) { TestLog.testCaseLine($0)?.1 == "started" }
            var graded = outcomes.count
            var stub = false            // the running test skipped as not implemented
            let run = try runner.run(arguments, timeLimit: limit) { line in
                if line.contains(" : Test skipped - \(TestLog.notImplementedPrefix)") { stub = true }
                guard let (test, event) = TestLog.testCaseLine(line), known.contains(test) else { return }
                if event == "started" {
                    stub = false
                    progress?.started(test, index: graded + 1, of: tests.count)
                } else {
                    graded += 1
                    // A stub's test is "not implemented", as the scorecard says, not XCTest's "skipped".
                    progress?.finished(test, event: event == "skipped" && stub ? "not implemented" : event, seconds: TestLog.seconds(in: line))
                }
            }
            let parsed = TestLog(run.output)
            let before = outcomes.count
            for (test, outcome) in parsed.outcomes where known.contains(test) && outcomes[test] == nil {
                outcomes[test] = outcome
            }
            if let started = parsed.unfinished, known.contains(started), outcomes[started] == nil {
                let stoppedAt = run.timedOut ? parsed.stoppedFrame(for: started, exercises: exercises, findLine: NearestLine.find) : nil
                // The exercise where it looped (the stopped frame's), else the test's own.
                let looping = stoppedAt.flatMap { $0.exercise(among: exercises) } ?? ChapterResult.exercise(of: started)
                if run.timedOut && shortened && loops[looping] == nil {
                    fullLimitNext = true
                    progress?.retrying(started, why: "stopped after \(TestLog.format(seconds: seconds)), the shorter limit after an endless loop; again with the full limit")
                    continue
                }
                let own = ChapterResult.exercise(of: started)
                guard run.timedOut else {
                    let why = parsed.crashReason(for: started) ?? "the test process stopped (exit status \(run.status))"
                    outcomes[started] = .crashed(why)
                    progress?.stopped(started, outcome: .crashed(why))
                    continue
                }
                let place = stoppedAt.map { ": stopped in \($0)" } ?? "; stopped"
                let earlier = loops[looping]
                let outcome: TestOutcome
                if looping == own {
                    outcome = .timedOut(TestLog.loopMessagePrefix + "\(TestLog.format(seconds: seconds)) (an endless loop?)" + place
                                       + (earlier.map { ", where it already looped in \($0)" } ?? ""))
                } else {
                    // Another exercise's loop: this test's exercise waits for that one, as for its stub.
                    outcome = .blocked(exercise: looping, why: "stopped after \(TestLog.format(seconds: seconds)) in the endless loop of \(looping)"
                                       + (earlier.map { ", as in \($0)" } ?? stoppedAt.map { ", in \($0)" } ?? ""))
                }
                outcomes[started] = outcome
                progress?.stopped(started, outcome: outcome)
                // The other tests of the exercise where it looped would most likely loop as well: not run,
                // and said once.
                loops[looping] = earlier ?? started
                let rest = tests.filter { outcomes[$0] == nil && ChapterResult.exercise(of: $0) == looping }
                let why = "\(looping) loops (stopped in \(loops[looping]!))"
                for test in rest { outcomes[test] = .notRun(why) }
                if !rest.isEmpty { progress?.notRun(rest, exercise: looping, why: why) }
            }
            if outcomes.count == before {
                // Nothing new ran and nothing is unfinished: the process failed before its first test.
                for test in tests where outcomes[test] == nil {
                    outcomes[test] = .crashed("the test process failed before this test ran (exit status \(run.status))")
                }
            }
        }
        return ChapterResult(chapter: self, outcomes: outcomes)
    }
}

/// What the scorecard says while a chapter runs: one line per test, "started" then its outcome.
protocol GradeProgress: AnyObject {
    func started(_ test: String, index: Int, of count: Int)
    func finished(_ test: String, event: String, seconds: Double?)
    func stopped(_ test: String, outcome: TestOutcome)
    /// `tests`, the rest of `exercise`'s, are not run: said once for them all.
    func notRun(_ tests: [String], exercise: String, why: String)
    /// The test was stopped at the shorter limit away from any known loop, and is run again.
    func retrying(_ test: String, why: String)
}

/// Prints the progress lines on standard output, each test's name as it starts (so that a long or endless
/// test is on the screen while it runs) and its outcome on the same line when it ends.
final class PrintedProgress: GradeProgress {
    private var open = false

    func started(_ test: String, index: Int, of count: Int) {
        close()
        print("  [\(index)/\(count)] \(test) … ", terminator: "")
        fflush(stdout)
        open = true
    }

    func finished(_ test: String, event: String, seconds: Double?) {
        let time = seconds.map { " (\(TestLog.format(seconds: $0)))" } ?? ""
        end(event == "skipped" ? "skipped" : event + time)
    }

    func stopped(_ test: String, outcome: TestOutcome) {
        if case let .crashed(why) = outcome { end("crashed: " + why) }
        if case let .timedOut(why) = outcome { end(why) }
        if case let .blocked(_, why) = outcome { end(why) }
    }

    func notRun(_ tests: [String], exercise: String, why: String) {
        close()
        let count = tests.count
        print("  \(exercise) loops: its other \(count == 1 ? "test is" : "\(count) tests are") not run: \(tests.joined(separator: ", "))")
        fflush(stdout)
    }

    func retrying(_ test: String, why: String) {
        end(why)
    }

    private func end(_ text: String) {
        if open { print(text) }
        open = false
        fflush(stdout)
    }

    private func close() {
        if open { print() }
        open = false
    }
}

/// The order in which the test files declare each suite's tests: the file with the suite's `class` first,
/// then the files that `extend` it, by file name, each from top to bottom.
///
/// The scorecard lists a chapter's exercises in this order, which is the order of the chapter's guide
/// (each chapter folder's README.md): an exercise's place is that of its first test. Only the test files are read, so
/// the order holds for either track and for the student copy.
struct DeclarationOrder {
    /// Each suite's test names, in declaration order.
    private(set) var tests: [String: [String]] = [:]
    /// The chapter folder of the file that declares each suite's class ("01-knn"), for files in one.
    private(set) var folders: [String: String] = [:]

    /// Reads the Swift files of a test folder and its chapter folders (`01-knn/KNNTests.swift`, by path);
    /// a folder that cannot be read gives no order.
    init(folder: URL) {
        self.init(files: ExerciseFiles.read(folder).map { ($0.path, $0.text) })
    }

    /// Reads Swift sources given as (file name, text).
    init(files: [(name: String, text: String)]) {
        var classTests: [String: [String]] = [:]
        var extensionTests: [String: [String]] = [:]
        for file in files.sorted(by: { $0.name < $1.name }) {
            var suite: String?
            var isClass = false
            for line in file.text.split(separator: "\n", omittingEmptySubsequences: false) {
                let words = line.split { " \t(:{".contains($0) }
                let trimmed = line.drop { $0 == " " || $0 == "\t" }
                if line.first.map({ $0 != " " && $0 != "\t" }) ?? false, !line.hasPrefix("//"),
                   let k = words.firstIndex(where: { ["class", "extension", "struct", "enum", "actor"].contains($0) }),
                   k + 1 < words.count {
                    suite = String(words[k + 1])          // a top-level type: the tests below belong to it
                    isClass = words[k] == "class"
                    if isClass, file.name.contains("/"), folders[suite!] == nil {
                        folders[suite!] = String(file.name.prefix { $0 != "/" })
                    }
                } else if let suite, trimmed.hasPrefix("func test"), words.count >= 2 {
                    let name = String(words[words.firstIndex(of: "func")! + 1])
                    if isClass { classTests[suite, default: []].append(name) } else { extensionTests[suite, default: []].append(name) }
                }
            }
        }
        for suite in Set(classTests.keys).union(extensionTests.keys) {
            tests[suite] = (classTests[suite] ?? []) + (extensionTests[suite] ?? [])
        }
    }

    /// `names` (tests of `suite`) in declaration order; any the files do not declare come last, by name.
    func sorted(_ names: [String], suite: String) -> [String] {
        let position = Dictionary((tests[suite] ?? []).enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return names.sorted { (position[$0] ?? Int.max, $0) < (position[$1] ?? Int.max, $1) }
    }
}

/// Why nothing could be graded. Not a `ValidationError`, which ArgumentParser follows with the usage line.
enum GradeError: Error, CustomStringConvertible, Equatable {
    /// The compiler's errors, which `grade` prints before this message.
    case doesNotCompile(errors: [String])
    /// Package.swift stopped with its own message (a `WORKBOOK` that is not a track, …).
    case manifest([String])
    case listing(String)
    case noSuchChapter(String, choices: [String])

    var description: String {
        switch self {
        case .doesNotCompile:
            return "the workbook does not compile: fix the errors above; nothing can be graded until it builds"
        case let .manifest(messages):
            return "Package.swift stopped before anything was built:\n" + messages.joined(separator: "\n")
        case let .listing(output):
            return "could not list the graded tests (build them with `swift build --build-tests`):\n\(output)"
        case let .noSuchChapter(chapter, choices):
            return "no chapter '\(chapter)' among the built suites: choose one of \(choices.joined(separator: ", "))"
        }
    }

    /// The whole story for a report file, which has no "above": the compiler's errors, then the message.
    var report: String {
        if case let .doesNotCompile(errors) = self { return (errors + [description]).joined(separator: "\n") }
        return description
    }

    /// The messages of a manifest that stopped, from SwiftPM's output: the lines after its "Invalid
    /// manifest" line, each once (SwiftPM evaluates the manifest more than once). Nil if the manifest
    /// did not stop.
    static func manifestMessages(in output: String) -> [String]? {
        let lines = output.split(separator: "\n").map(String.init)
        guard lines.contains(where: { $0.contains("Invalid manifest") }) else { return nil }
        var seen = Set<String>()
        let messages = lines.filter { !$0.contains("Invalid manifest") && $0.hasPrefix("error: ") && seen.insert($0).inserted }
            .map { String($0.dropFirst("error: ".count)) }
            .filter { !$0.hasPrefix("no tests found") && !$0.hasPrefix("ExitCode(") }   // SwiftPM's own lines
        return messages.isEmpty ? ["(no message; run `swift build` to see SwiftPM's output)"] : messages
    }

    /// The compiler's errors in a failed build, each once (it reports each twice: module and object).
    static func compilerErrors(in output: String) -> [String] {
        var seen = Set<Substring>()
        return output.split(separator: "\n").filter { $0.contains("error:") && seen.insert($0).inserted }.map(String.init)
    }
}
