import ArgumentParser
import Foundation

/// What happened to one test.
enum TestOutcome: Equatable {
    case passed
    case failed([String])
    case skipped(String)
    case crashed(String)
}

/// What an exercise is, from the outcomes of its tests (`test_<exercise>_<what>`).
enum ExerciseStatus: String, ExpressibleByArgument, CaseIterable {
    case passed
    case failed
    case notImplemented = "not-implemented"
    case crashed
    case skipped
}

struct ExerciseResult {
    let name: String
    let tests: [(name: String, outcome: TestOutcome)]

    /// A crash outranks a failure, which outranks "not implemented": the worst outcome is the status.
    var status: ExerciseStatus {
        let outcomes = tests.map(\.outcome)
        if outcomes.contains(where: { if case .crashed = $0 { return true }; return false }) { return .crashed }
        if outcomes.contains(where: { if case .failed = $0 { return true }; return false }) { return .failed }
        if outcomes.contains(where: { if case let .skipped(why) = $0 { return why.hasPrefix("not implemented") }; return false }) {
            return .notImplemented
        }
        if outcomes.allSatisfy({ $0 == .passed }) { return .passed }
        return .skipped
    }

    /// The message of the first skipped test, e.g. "not implemented: train(x:y:) in Exercises/01-knn/KNearestNeighbor.swift".
    var firstSkip: String? {
        for test in tests { if case let .skipped(why) = test.outcome { return why } }
        return nil
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
        exercises = order.map { ExerciseResult(name: $0, tests: byExercise[$0]!.map { (name: $0.0, outcome: $0.1) }) }
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

    /// Why and where the process stopped inside `test` (a Swift runtime trap), if the runtime said.
    func crashReason(for test: String) -> String? {
        guard lines.contains(where: { TestLog.testCaseLine($0).map { $0.0 == test && $0.1 == "started" } ?? false }) else {
            return nil
        }
        return CrashReport(lines: lines).summary
    }

    /// (test name, event) for `Test Case '…' <event>` lines; names are returned without the suite.
    private static func testCaseLine(_ line: Substring) -> (String, String)? {
        guard line.hasPrefix("Test Case '"), let close = line.dropFirst(11).firstIndex(of: "'") else { return nil }
        var name = line[line.index(line.startIndex, offsetBy: 11) ..< close]
        if name.hasPrefix("-[") {                                     // macOS: -[Module.Suite test]
            name = name.dropFirst(2).dropLast()
            name = name.split(separator: " ").last ?? name
        } else if let dot = name.lastIndex(of: ".") {                 // Linux: Suite.test
            name = name[name.index(after: dot)...]
        }
        let event = line[line.index(after: close)...].split(separator: " ").first.map(String.init) ?? ""
        return (String(name), event)
    }
}

/// The table the student reads.
struct Scorecard {
    let results: [ChapterResult]
    let track: String

    func render(verbose: Bool) -> String {
        var rows: [[String]] = [["Chapter", "Exercises", "Passed", "Not implemented", "Failed", "Crashed", "Points"]]
        for r in results {
            let points = r.exercises.map(\.points).reduce(0, +)
            let possible = r.exercises.map(\.possiblePoints).reduce(0, +)
            rows.append([r.chapter.title, "\(r.exercises.count)", "\(r.count(.passed))", "\(r.count(.notImplemented))",
                         "\(r.count(.failed))", "\(r.count(.crashed))", "\(points) / \(possible)"])
        }
        let widths = (0 ..< rows[0].count).map { c in rows.map { $0[c].count }.max()! }
        var text = "Scorecard (WORKBOOK=\(track))\n"
        for (i, row) in rows.enumerated() {
            text += row.enumerated().map { c, cell in
                c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ") + "\n"
            if i == 0 { text += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        for r in results {
            let open = r.exercises.filter { $0.status != .passed }
            guard !open.isEmpty else { continue }
            text += "\n\(r.chapter.title):\n"
            for exercise in open {
                text += "  \(symbol(exercise.status)) \(exercise.name): \(exercise.status.rawValue)"
                let details = exercise.tests.compactMap { test -> String? in
                    switch test.outcome {
                    case .passed: return nil
                    case let .skipped(why): return verbose ? "      \(test.name): \(why)" : nil
                    case let .crashed(why): return "      \(test.name): crashed: \(why)"
                    case let .failed(messages):
                        return verbose ? messages.map { "      " + $0.replacingOccurrences(of: "\n", with: "\n    ") }.joined(separator: "\n") : nil
                    }
                }
                if exercise.status == .notImplemented, !verbose, let why = exercise.firstSkip {
                    let missing = why.replacingOccurrences(of: "not implemented: ", with: "")
                    let function = String(missing.prefix { $0 != "(" })
                    let isOtherExercise = function != exercise.name && r.exercises.contains { $0.name == function }
                    text += isOtherExercise ? " (needs \(missing) first)" : ": write \(missing)"
                }
                text += "\n" + (details.isEmpty ? "" : details.joined(separator: "\n") + "\n")
            }
            if !verbose && open.contains(where: { $0.status == .failed }) {
                text += "  (run with --verbose for the failure messages and hints)\n"
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
        case .skipped: return "-"
        }
    }
}
