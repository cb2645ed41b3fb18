import Foundation

// The scorecard in the forms course platforms read: Gradescope's results.json (`--json`) and JUnit XML
// (`--junit`, for GitHub Classroom and CI). One entry per exercise, with the scorecard's own points.

/// Gradescope's autograder results, `/autograder/results/results.json`.
///
/// Source: Gradescope's "Autograder Specifications", section "Output format"
/// (https://gradescope-autograders.readthedocs.io/en/latest/specs/): a top-level `score` (required unless
/// every test has one), optional `execution_time`, `output`, `visibility`, `stdout_visibility`, and `tests`,
/// each with `score`, `max_score`, `status` ("passed" or "failed"), `name`, `number`, `output` and
/// `visibility` ("hidden", "after_due_date", "after_published" or "visible").
struct GradescopeResults: Encodable {
    struct Test: Encodable {
        let name: String
        /// "1.5": the chapter and the exercise's place in it, which Gradescope sorts by.
        let number: String
        let score: Double
        let max_score: Double
        let status: String
        let visibility: String
        let output: String
    }

    let score: Double
    let output: String
    let execution_time: Int?
    let tests: [Test]

    init(results: [ChapterResult], track: String, seconds: Double?) {
        var tests: [Test] = []
        for r in results {
            for (i, exercise) in r.exercises.enumerated() {
                tests.append(Test(
                    name: "\(ReportText.chapterName(r.chapter)): \(exercise.name)",
                    number: "\(r.chapter.info?.number ?? 0).\(i + 1)",
                    score: Double(exercise.points), max_score: Double(exercise.possiblePoints),
                    status: exercise.status == .passed ? "passed" : "failed",
                    visibility: "visible",
                    output: ReportText.output(of: exercise)))
            }
        }
        self.tests = tests
        score = tests.map(\.score).reduce(0, +)
        output = Scorecard(results: results, track: track).render(verbose: false)
        execution_time = seconds.map { Int($0.rounded()) }
    }

    /// Nothing could be graded (the workbook does not build): score 0 and the reason, so that the course
    /// platform shows the student why instead of "no results".
    init(error: String, seconds: Double?) {
        score = 0
        output = error
        tests = []
        execution_time = seconds.map { Int($0.rounded()) }
    }

    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

/// JUnit XML: `<testsuites>`, a `<testsuite>` per chapter, a `<testcase>` per exercise, with a `<failure>`
/// (failed), an `<error>` (crashed or timed out) or a `<skipped>` (not implemented, or waiting for another
/// exercise) inside it.
///
/// Source: the JUnit schema that Jenkins reads, junit-4.xsd from Jenkins' dtkit-junit-model
/// (https://svn.jenkins-ci.org/trunk/hudson/dtkit/dtkit-format/dtkit-junit-model/src/main/resources/com/thalesgroup/dtkit/junit/model/xsd/junit-4.xsd,
/// as kept in e.g. github.com/bachp/junit-report-rs, tests/JUnit.xsd): `testsuite` requires `name` and
/// `tests`; `testcase` requires `name`; inside a `testcase` come `skipped`, then `error`s, then `failure`s
/// (in that order), then `system-out`; `skipped` holds text only. Maven Surefire's report schema accepts
/// the same document.
enum JUnitReport {
    static func xml(results: [ChapterResult], seconds: Double?) -> String {
        var suites = ""
        var totals = (tests: 0, failures: 0, errors: 0, skipped: 0)
        for r in results {
            let failures = r.count(.failed), errors = r.count(.crashed) + r.count(.timedOut)
            let skipped = r.count(.notImplemented) + r.count(.skipped)
            totals.tests += r.exercises.count; totals.failures += failures; totals.errors += errors; totals.skipped += skipped
            suites += "  <testsuite name=\"\(escape(ReportText.chapterName(r.chapter)))\" tests=\"\(r.exercises.count)\""
                + " failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\">\n"
            for exercise in r.exercises {
                suites += "    <testcase name=\"\(escape(exercise.name))\" classname=\"WorkbookTests.\(escape(r.chapter.suite))\">\n"
                let output = escape(ReportText.output(of: exercise))
                let summary = escape(ReportText.summary(of: exercise))
                switch exercise.status {
                case .passed: break
                case .failed: suites += "      <failure type=\"failed\" message=\"\(summary)\">\(output)</failure>\n"
                case .crashed, .timedOut:
                    // The type is the `--expect` id: "crashed" or "timed-out".
                    suites += "      <error type=\"\(exercise.status.rawValue)\" message=\"\(summary)\">\(output)</error>\n"
                case .notImplemented, .skipped: suites += "      <skipped>\(output)</skipped>\n"
                }
                suites += "      <system-out>points: \(exercise.points) of \(exercise.possiblePoints)</system-out>\n"
                suites += "    </testcase>\n"
            }
            suites += "  </testsuite>\n"
        }
        return document(tests: totals.tests, failures: totals.failures, errors: totals.errors, skipped: totals.skipped,
                        seconds: seconds, body: suites)
    }

    /// Nothing could be graded: one suite with one test case in error, saying why.
    static func xml(error: String, seconds: Double?) -> String {
        let body = "  <testsuite name=\"build\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n"
            + "    <testcase name=\"the workbook builds\" classname=\"grade\">\n"
            + "      <error type=\"build\" message=\"\(escape(error.split(separator: "\n").first.map(String.init) ?? error))\">\(escape(error))</error>\n"
            + "    </testcase>\n  </testsuite>\n"
        return document(tests: 1, failures: 0, errors: 1, skipped: 0, seconds: seconds, body: body)
    }

    private static func document(tests: Int, failures: Int, errors: Int, skipped: Int, seconds: Double?, body: String) -> String {
        let time = seconds.map { " time=\"\(String(format: "%.1f", $0))\"" } ?? ""
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<testsuites name=\"DeepLearningWorkbook\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\"\(time)>\n"
            + body + "</testsuites>\n"
    }

    /// Text for an attribute or element: the five markup characters as entities, and the control
    /// characters XML 1.0 does not allow (a student's output may hold any) as U+FFFD.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// The words both reports use for an exercise.
enum ReportText {
    /// "Chapter 1 (k-nearest neighbours)", or the suite's name for a chapter we do not know.
    static func chapterName(_ chapter: Chapter) -> String {
        chapter.info.map { "Chapter \($0.number) (\($0.title))" } ?? chapter.suite
    }

    /// One line, in the scorecard's words: "passed", "not implemented: write …", "waiting (3 of 4 tests
    /// pass; …)", "crashed in test_…", "timed out in test_… (an endless loop?)", "failed: 2 of 4 tests fail".
    static func summary(of exercise: ExerciseResult) -> String {
        let status = exercise.status
        switch status {
        case .passed: return "passed"
        case .notImplemented, .skipped: return status.label + exercise.statusNote
        case .failed:
            let failed = exercise.tests.filter { if case .failed = $0.outcome { return true }; return false }.count
            return "failed: \(failed) of \(exercise.tests.count) tests fail"
        case .crashed:
            let first = exercise.tests.first { if case .crashed = $0.outcome { return true }; return false }
            return first.map { "crashed in \($0.name)" } ?? "crashed"
        case .timedOut:
            let first = exercise.tests.first { if case .timedOut = $0.outcome { return true }; return false }
            if let first { return "timed out in \(first.name) (an endless loop?)" }
            // Found looping through another exercise's test: none of its own ran.
            for test in exercise.tests { if case let .notRun(why) = test.outcome { return "timed out: \(why)" } }
            return "timed out"
        }
    }

    /// The summary, then every failure message with its hint, crash reason and skip reason.
    static func output(of exercise: ExerciseResult) -> String {
        let details = exercise.details(indent: "  ", includeFailures: true, includeSkips: exercise.status != .notImplemented)
        return ([summary(of: exercise)] + details).joined(separator: "\n")
    }
}
