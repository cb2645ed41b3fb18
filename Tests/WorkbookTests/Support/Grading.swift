import XCTest
import LinearAlgebra
import GradientCheck

// How the graded suites talk to the student.
//
// Every graded test is named `test_<exercise>_<what it checks>`, so the scorecard can group tests by
// exercise. A test runs the student's code through `attempt`, which turns the stubs' `NotImplemented`
// into a skip that names the exercise and its file; every failure is reported through `fail`, which
// prints
//
//     ✗ computeDistancesNoLoops: Frobenius difference 3.2e+01 from computeDistancesTwoLoops (must be < 1e-06)
//       hint: did you clamp at 0 before the square root?
//
// and each check says what was expected and what came back.

/// Runs a student's exercise. An exercise that is not written yet skips the test with
/// "not implemented: <function> in <file>"; any other error fails it by propagating.
func attempt<T>(file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let missing as NotImplemented {
        throw XCTSkip(missing.description, file: file, line: line)
    }
}

/// Reports a failed check of `exercise` (naming the file that declares it), with an optional hint on
/// the usual cause.
func fail(_ exercise: String, _ message: String, hint: String? = nil,
          file: StaticString = #filePath, line: UInt = #line) {
    let place = ExerciseFiles.file(declaring: exercise, test: "\(file)").map { " (\($0))" } ?? ""
    var text = "✗ \(exercise)\(place): \(message)"
    if let hint { text += "\n  hint: \(hint)" }
    XCTFail(text, file: file, line: line)
}

/// Checks a scalar against its expected value within an absolute tolerance.
func expectClose(_ actual: Double, _ expected: Double, tolerance: Double, _ exercise: String, _ what: String,
                 hint: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
    guard !(abs(actual - expected) <= tolerance) else { return }
    fail(exercise, "\(what) is \(format(actual)), expected \(format(expected)) (tolerance \(format(tolerance)))",
         hint: hint, file: file, line: line)
}

/// Checks two values for equality.
func expectEqual<T: Equatable>(_ actual: T, _ expected: T, _ exercise: String, _ what: String,
                               hint: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
    guard actual != expected else { return }
    fail(exercise, "\(what) is \(actual), expected \(expected)", hint: hint, file: file, line: line)
}

/// Checks a matrix against a reference: first the shape, then the Frobenius norm of the difference,
/// reporting the first entry that differs by more than the tolerance.
func expectMatrix(_ actual: Matrix, matches expected: Matrix, frobeniusBelow tolerance: Double,
                  _ exercise: String, _ what: String, hint: String? = nil,
                  file: StaticString = #filePath, line: UInt = #line) {
    guard actual.rows == expected.rows && actual.cols == expected.cols else {
        fail(exercise, "\(what) has shape \(actual.shapeDescription), expected \(expected.shapeDescription)",
             hint: hint, file: file, line: line)
        return
    }
    let difference = (actual - expected).squared.sum().squareRoot()
    guard !(difference < tolerance) else { return }
    var message = "\(what): Frobenius difference \(format(difference)) from the reference (must be < \(format(tolerance)))"
    if let index = actual.storage.indices.first(where: { !(abs(actual.storage[$0] - expected.storage[$0]) <= tolerance) }) {
        let (i, j) = index.quotientAndRemainder(dividingBy: max(actual.cols, 1))
        message += "; first difference at [\(i), \(j)]: \(format(actual[i, j])) instead of \(format(expected[i, j]))"
    }
    fail(exercise, message, hint: hint, file: file, line: line)
}

/// Checks an inline question's answer without printing the right one (the tests ship to students).
func expectAnswer(_ isRight: Bool, _ exercise: String, yourAnswer: String, hint: String,
                  file: StaticString = #filePath, line: UInt = #line) {
    guard !isRight else { return }
    fail(exercise, "your answer \(yourAnswer) is not right", hint: hint, file: file, line: line)
}

/// Short scientific or plain formatting for messages.
func format(_ x: Double) -> String {
    if x == 0 || (abs(x) >= 1e-3 && abs(x) < 1e5) { return String(format: "%.6g", x) }
    return String(format: "%.2e", x)
}
