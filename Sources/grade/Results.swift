import ArgumentParser
import GradientCheck
import Foundation

/// What happened to one test.
enum TestOutcome: Equatable {
    case passed
    case failed([String])
    case skipped(String)
    case crashed(String)
    /// Stopped at the time limit in its own exercise's code: most likely an endless loop.
    case timedOut(String)
    /// Not run, on purpose: another test of the same exercise timed out (the exercise loops).
    case notRun(String)
    /// Stopped in the endless loop of another exercise, `exercise`: this test's own exercise waits for
    /// that one, and is not charged with the loop.
    case blocked(exercise: String, why: String)
}

/// What an exercise is, from the outcomes of its tests (`test_<exercise>_<what>`).
///
/// The raw values are the ids `--expect` takes (CI and `instructor student-copy --verify` use them);
/// ``label`` is what the student reads.
enum ExerciseStatus: String, ExpressibleByArgument, CaseIterable {
    case passed
    case failed
    case notImplemented = "not-implemented"
    case crashed
    /// A test was stopped at `--time-limit` in the exercise's own code (an endless loop, or code too slow
    /// for the limit): a state of its own, so that a loop is never called a crash.
    case timedOut = "timed-out"
    /// Its own code runs, but some of its tests wait for another exercise (a stub, or one that loops).
    case skipped

    /// The scorecard's words: "not implemented" for a stub, everywhere, and "waiting" for an exercise
    /// whose tests wait for another one (a different state from a stub, so a different word).
    var label: String {
        switch self {
        case .notImplemented: return "not implemented"
        case .timedOut: return "timed out"
        case .skipped: return "waiting"
        default: return rawValue
        }
    }
}

struct ExerciseResult {
    let name: String
    let tests: [(name: String, outcome: TestOutcome)]
    /// The other exercises of the chapter, to tell a stub of this exercise from one of an exercise it uses.
    var otherExercises: Set<String> = []

    /// A crash outranks a time-out, which outranks a failure, which outranks "not implemented": the worst
    /// outcome is the status.
    ///
    /// An exercise is "not implemented" only when its own body is a stub (a test skips naming it), or when
    /// none of its tests could reach it. One whose tests pass except those that wait for another
    /// exercise (its stub, or its endless loop) is "skipped" (shown as "waiting"): its code runs, and it
    /// scores once the other exercise is written.
    var status: ExerciseStatus {
        let outcomes = tests.map(\.outcome)
        if outcomes.contains(where: { if case .crashed = $0 { return true }; return false }) { return .crashed }
        if outcomes.contains(where: { if case .timedOut = $0 { return true }; if case .notRun = $0 { return true }; return false }) {
            return .timedOut
        }
        if outcomes.contains(where: { if case .failed = $0 { return true }; return false }) { return .failed }
        let missing = missingFunctions
        if !missing.isEmpty {
            let ownStub = missing.contains { !isOtherExercise($0) }
            if ownStub { return .notImplemented }
            return outcomes.contains(.passed) || !loopsWaitedFor.isEmpty ? .skipped : .notImplemented
        }
        if outcomes.allSatisfy({ $0 == .passed }) { return .passed }
        return .skipped
    }

    /// The other exercises in whose endless loop some of this exercise's tests were stopped, in test order.
    var loopsWaitedFor: [String] {
        var names: [String] = []
        for test in tests { if case let .blocked(exercise, _) = test.outcome, !names.contains(exercise) { names.append(exercise) } }
        return names
    }

    /// The functions that the skipped tests name as not implemented, in test order
    /// ("train(x:y:) in Exercises/01-knn/KNearestNeighbor.swift").
    var missingFunctions: [String] {
        tests.compactMap { test in
            guard case let .skipped(why) = test.outcome, why.hasPrefix("not implemented: ") else { return nil }
            return String(why.dropFirst("not implemented: ".count))
        }
    }

    /// Whether a missing function ("AddGate.forward(_:) in …") belongs to another exercise of the chapter
    /// rather than to this one.
    func isOtherExercise(_ missing: String) -> Bool {
        let names = missing.prefix { $0 != "(" && $0 != " " }.split(separator: ".").map(String.init)
        return !names.contains(name) && names.contains { otherExercises.contains($0) }
    }

    /// The message of the first skipped test, e.g. "not implemented: train(x:y:) in Exercises/01-knn/KNearestNeighbor.swift".
    var firstSkip: String? {
        for test in tests { if case let .skipped(why) = test.outcome { return why } }
        return nil
    }

    /// What the scorecard says after the status: ": write train(x:y:) in …", " (needs … first)", or for
    /// a skipped exercise which tests pass and which wait.
    var statusNote: String {
        switch status {
        case .notImplemented:
            let missing = missingFunctions
            if let own = missing.first(where: { !isOtherExercise($0) }) { return ": write \(own)" }
            return missing.first.map { " (needs \($0) first)" } ?? ""
        case .timedOut:
            return " (an endless loop?)"
        case .skipped:
            let passed = tests.filter { $0.outcome == .passed }.count
            let waits = (missingFunctions.first.map { ["need \($0) first"] } ?? [])
                + (loopsWaitedFor.first.map { ["stopped in the endless loop of \($0)"] } ?? [])
            let waiting = waits.joined(separator: " or ")
            if passed == 0 && !waiting.isEmpty { return " (its tests \(waiting))" }
            return " (\(passed) of \(tests.count) tests pass\(waiting.isEmpty ? "" : "; the others " + waiting))"
        default:
            return ""
        }
    }

    /// One line per test that did not pass, indented by `indent`: every message and hint of a failure,
    /// a crash's reason, where a test that timed out stopped, a skip's reason; the tests not run for one reason (their exercise loops) share
    /// one line.
    func details(indent: String, includeFailures: Bool, includeSkips: Bool) -> [String] {
        var lines: [String] = []
        var notRun: [(reason: String, tests: [String])] = []
        for test in tests {
            switch test.outcome {
            case .passed: break
            case let .skipped(why): if includeSkips { lines.append("\(indent)\(test.name): \(why)") }
            case let .crashed(why): lines.append("\(indent)\(test.name): crashed: \(why)")
            case let .timedOut(why): lines.append("\(indent)\(test.name): \(why)")
            case let .blocked(_, why): lines.append("\(indent)\(test.name): \(why)")
            case let .notRun(why):
                if let k = notRun.firstIndex(where: { $0.reason == why }) { notRun[k].tests.append(test.name) } else { notRun.append((why, [test.name])) }
            case let .failed(messages):
                guard includeFailures else { break }
                lines.append(messages.map { indent + $0.replacingOccurrences(of: "\n", with: "\n" + indent.dropLast(2)) }.joined(separator: "\n"))
            }
        }
        for group in notRun {
            let count = group.tests.count
            lines.append("\(indent)not run (\(count) test\(count == 1 ? "" : "s")): \(group.reason): \(group.tests.joined(separator: ", "))")
        }
        return lines
    }

    /// The first failure, briefly, for the scorecard without `--verbose`: its first line (what came back
    /// and what was expected) and its hint, each cut to about `width` characters, then how many more
    /// failures `--verbose` shows. A long "… is X, expected Y" keeps the start of both X and Y.
    func briefFailure(indent: String, width: Int = 200) -> [String] {
        let failures = tests.compactMap { test -> [String]? in if case let .failed(messages) = test.outcome { return messages }; return nil }
        guard let first = failures.first?.first else { return [] }
        func cut(_ line: String, _ width: Int = width) -> String {
            guard line.count > width else { return line }
            if let expected = line.range(of: ", expected ", options: .backwards) {
                return cut(String(line[..<expected.lowerBound]), width / 2) + ", expected " + cut(String(line[expected.upperBound...]), width / 2)
            }
            return String(line.prefix(width - 1)) + "…"
        }
        let lines = first.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        var brief = [indent + cut(lines.first ?? "")]
        if let hint = lines.dropFirst().first(where: { $0.hasPrefix("hint:") }) { brief.append(indent + "  " + cut(hint)) }
        let more = failures.map(\.count).reduce(0, +) - 1
        if more > 0 { brief.append(indent + "(\(more) more failure message\(more == 1 ? "" : "s"): --verbose shows them)") }
        return brief
    }

    /// One point per graded test, earned when every test of the exercise passes.
    var points: Int { status == .passed ? tests.count : 0 }
    var possiblePoints: Int { tests.count }
}

struct ChapterResult {
    let chapter: Chapter
    let exercises: [ExerciseResult]

    init(chapter: Chapter, outcomes: [String: TestOutcome]) {
        self.chapter = chapter
        var order: [String] = []
        var byExercise: [String: [(String, TestOutcome)]] = [:]
        for test in chapter.tests {
            let exercise = ChapterResult.exercise(of: test)
            if byExercise[exercise] == nil { order.append(exercise) }
            byExercise[exercise, default: []].append((test, outcomes[test] ?? .crashed("did not run")))
        }
        exercises = order.map { name in
            ExerciseResult(name: name, tests: byExercise[name]!.map { (name: $0.0, outcome: $0.1) },
                           otherExercises: Set(order).subtracting([name]))
        }
    }

    /// `test_computeDistancesNoLoops_matchesReference` is graded under `computeDistancesNoLoops`.
    static func exercise(of test: String) -> String {
        let parts = test.split(separator: "_", omittingEmptySubsequences: true)
        return parts.count >= 2 && parts[0] == "test" ? String(parts[1]) : test
    }

    func count(_ status: ExerciseStatus) -> Int { exercises.filter { $0.status == status }.count }
}

/// Parses XCTest's console output (Linux `Test Case 'Suite.test' passed` and macOS
/// `Test Case '-[Module.Suite test]' passed` forms).
struct TestLog {
    private(set) var outcomes: [String: TestOutcome] = [:]
    /// A test that started and never finished: the process died in it.
    private(set) var unfinished: String?
    private var lines: [Substring]

    init(_ output: String) {
        lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        var messages: [String: [String]] = [:]
        var current: String?
        var lastMessageTest: String?
        for line in lines {
            if let (test, event) = TestLog.testCaseLine(line) {
                switch event {
                case "started": current = test
                case "passed": outcomes[test] = .passed; current = nil
                case "failed": outcomes[test] = .failed(messages[test] ?? ["failed"]); current = nil
                case "skipped":
                    outcomes[test] = .skipped(messages[test]?.first ?? "skipped"); current = nil
                default: break
                }
                lastMessageTest = nil
            } else if let test = current, let range = line.range(of: "\(test) : ") {
                var message = String(line[range.upperBound...])
                for prefix in ["Test skipped - ", "failed - "] where message.hasPrefix(prefix) {
                    message = String(message.dropFirst(prefix.count))
                }
                messages[test, default: []].append(message)
                lastMessageTest = test
            } else if let test = lastMessageTest, line.hasPrefix("  "), !line.trimmingCharacters(in: .whitespaces).isEmpty {
                messages[test]![messages[test]!.count - 1] += "\n" + line
            } else {
                lastMessageTest = nil
            }
        }
        unfinished = current
    }

    /// Where the process stopped inside `test`: in the backtrace, the first frame of the workbook's code
    /// that is one of `exercises`, on any thread (the crashed thread's first), else the crashed thread's
    /// first frame of the workbook's code.
    /// - Parameter findLine: asked for the line of a frame printed without one, given its address, its
    ///   file as printed and the backtrace's images (``NearestLine/find(address:file:images:)``).
    func stoppedFrame(for test: String, exercises: [String],
                      findLine: (UInt64, String, [BacktraceImage]) -> Int? = { _, _, _ in nil }) -> StoppedFrame? {
        guard lines.contains(where: { TestLog.testCaseLine($0).map { $0.0 == test && $0.1 == "started" } ?? false }) else {
            return nil
        }
        let frames = CrashReport.workbookFrames(lines)
        guard let frame = frames.first(where: { StoppedFrame($0)?.exercise(among: exercises) != nil }) ?? frames.first(where: \.isInWorkbookFile)
        else { return nil }
        let line = frame.line ?? findLine(frame.address, frame.file, BacktraceImage.all(in: lines))
        return StoppedFrame(frame, line: line)
    }

    /// The duration XCTest gives at the end of a finished test's line, "… passed (0.012 seconds)".
    static func seconds(in line: Substring) -> Double? {
        guard let open = line.lastIndex(of: "("), line.hasSuffix(" seconds)") else { return nil }
        return Double(line[line.index(after: open)...].prefix { $0 != " " })
    }

    /// How XCTest's skip message of a stub's test starts (``NotImplemented``'s description).
    static let notImplementedPrefix = "not implemented: "

    /// How the reason of a test stopped at the time limit starts.
    static let loopMessagePrefix = "did not finish within "

    /// "0.01 s", "12 s", "2 min 5 s".
    static func format(seconds: Double) -> String {
        if seconds < 10 { return String(format: "%.2g s", seconds) }
        if seconds < 120 { return "\(Int(seconds.rounded())) s" }
        let whole = Int(seconds.rounded())
        return "\(whole / 60) min \(whole % 60) s"
    }

    /// Why and where the process stopped inside `test` (a Swift runtime trap), if the runtime said.
    func crashReason(for test: String) -> String? {
        guard lines.contains(where: { TestLog.testCaseLine($0).map { $0.0 == test && $0.1 == "started" } ?? false }) else {
            return nil
        }
        return CrashReport(lines: lines).summary
    }

    /// (test name, event) for `Test Case '…' <event>` lines; names are returned without the suite.
    static func testCaseLine(_ line: Substring) -> (String, String)? {
        guard line.hasPrefix("Test Case '"), let close = line.dropFirst(11).firstIndex(of: "'") else { return nil }
        var name = line[line.index(line.startIndex, offsetBy: 11) ..< close]
        if name.hasPrefix("-[") {                                     // macOS: -[Module.Suite test]
            name = name.dropFirst(2).dropLast()
            name = name.split(separator: " ").last ?? name
        } else if let dot = name.lastIndex(of: ".") {                 // Linux: Suite.test
            name = name[name.index(after: dot)...]
        }
        // macOS ends the line with a full stop: "Test Case '-[M.S test]' started."
        let event = line[line.index(after: close)...].split(separator: " ").first.map { String($0.prefix { $0 != "." }) } ?? ""
        return (String(name), event)
    }
}

/// A function and line of the workbook's code where a test process stopped (the line, when the
/// backtrace gives one).
struct StoppedFrame: CustomStringConvertible {
    let symbol: String
    let file: String
    let line: Int?

    /// - Parameter line: the frame's line if the backtrace gives none (found by ``NearestLine``).
    init?(_ frame: BacktraceFrame, line: Int? = nil) {
        guard frame.isInWorkbookFile else { return nil }
        symbol = frame.symbol
        file = NotImplemented.trackRelative(frame.file)
        self.line = frame.line ?? line
    }

    /// "KNearestNeighbor.computeDistancesNoLoops(_:) at Exercises/01-knn/KNearestNeighbor.swift:127", or
    /// without a line, "makeFolds(count:folds:) in Exercises/01-knn/CrossValidation.swift (no line: …)".
    var description: String {
        line.map { "\(symbol) at \(file):\($0)" }
            ?? "\(symbol) in \(file) (no line: the backtrace gives none for the instruction where it stopped)"
    }

    /// The exercise among `exercises` that the function is, or is inside: the most specific name in the
    /// symbol that is one, parameter labels left out. "closure #1 in
    /// KNearestNeighbor.computeDistancesNoLoops(_:)" is computeDistancesNoLoops, "Value.addBackward()" is
    /// addBackward (not Value), "AddGate.forward(_:)" is AddGate.
    func exercise(among exercises: [String]) -> String? {
        var depth = 0
        let names = symbol.filter { c in
            if c == "(" { depth += 1 } else if c == ")" { depth -= 1; return false }
            return depth == 0
        }
        return names.split { !($0.isLetter || $0.isNumber || $0 == "_") }.reversed()
            .first { exercises.contains(String($0)) }.map(String.init)
    }
}

/// The table the student reads.
struct Scorecard {
    let results: [ChapterResult]
    let track: String

    func render(verbose: Bool) -> String {
        text(verbose: verbose, table: true)
    }

    /// The table (unless `table` is false) and, chapter by chapter, every exercise that has not passed.
    func text(verbose: Bool, table: Bool = true) -> String {
        // "Timed out" and "Waiting" (tests that wait for another exercise) only when some exercise is.
        let showTimedOut = results.contains { $0.count(.timedOut) > 0 }
        let showSkipped = results.contains { $0.count(.skipped) > 0 }
        var rows: [[String]] = [["Chapter", "Exercises", "Passed", "Not implemented", "Failed", "Crashed"]
                                + (showTimedOut ? ["Timed out"] : []) + (showSkipped ? ["Waiting"] : []) + ["Points"]]
        for r in results {
            let points = r.exercises.map(\.points).reduce(0, +)
            let possible = r.exercises.map(\.possiblePoints).reduce(0, +)
            rows.append([r.chapter.title, "\(r.exercises.count)", "\(r.count(.passed))", "\(r.count(.notImplemented))",
                         "\(r.count(.failed))", "\(r.count(.crashed))"]
                        + (showTimedOut ? ["\(r.count(.timedOut))"] : [])
                        + (showSkipped ? ["\(r.count(.skipped))"] : []) + ["\(points) / \(possible)"])
        }
        let widths = (0 ..< rows[0].count).map { c in rows.map { $0[c].count }.max()! }
        var text = ""
        if table {
            text += "Scorecard (WORKBOOK=\(track))\n"
            for (i, row) in rows.enumerated() {
                text += row.enumerated().map { c, cell in
                    c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                           : String(repeating: " ", count: widths[c] - cell.count) + cell
                }.joined(separator: "  ") + "\n"
                if i == 0 { text += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
            }
        }
        // Said once, not in every stopped test's line.
        let looped = results.flatMap(\.exercises).flatMap(\.tests).contains { test in
            if case .timedOut = test.outcome { return true }
            if case .blocked = test.outcome { return true }
            return false
        }
        if looped {
            text += "\nA test that runs longer than --time-limit seconds is stopped as an endless loop "
                + "(`swift run grade --time-limit 600` gives a slow machine longer).\n"
        }
        for r in results {
            let open = r.exercises.filter { $0.status != .passed }
            guard !open.isEmpty else { continue }
            text += "\n\(r.chapter.title):\n"
            for exercise in open {
                text += "  \(symbol(exercise.status)) \(exercise.name): \(exercise.status.label)\(exercise.statusNote)\n"
                var details = exercise.details(indent: "      ", includeFailures: verbose, includeSkips: verbose)
                if !verbose { details = exercise.briefFailure(indent: "      ") + details }
                text += details.isEmpty ? "" : details.joined(separator: "\n") + "\n"
            }
        }
        return text
    }

    private func symbol(_ status: ExerciseStatus) -> String {
        switch status {
        case .passed: return "✓"
        case .failed: return "✗"
        case .notImplemented: return "·"
        case .crashed: return "💥"
        case .timedOut: return "⏱"
        case .skipped: return "-"
        }
    }
}
