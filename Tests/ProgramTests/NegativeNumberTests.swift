import ArgumentParser
import ChapterSupport
import XCTest
@testable import gates
@testable import grade
@testable import knn
@testable import linear_classifier

/// A number with a leading minus is read as the flag's value (not as another option), so the programs'
/// own checks answer with the flag, the rule and the value, instead of the parser's "Missing value".
final class NegativeNumberTests: XCTestCase {
    func testKNNCountsMustBePositive() {
        expectError(KNN.self, ["--train-count", "-3"], "--train-count must be positive, got -3")
        expectError(KNN.self, ["--test-count", "0"], "--test-count must be positive, got 0")
        expectError(KNN.self, ["--compare-count", "-1"], "--compare-count must be positive, got -1")
        expectError(KNN.self, ["--smoke-test", "--train-count", "-3"], "--train-count must be positive, got -3")
        expectError(KNN.self, ["--folds", "-2"], "--folds -2 is impossible with 5000 training images: use 2 to 5000 folds")
        expectError(KNN.self, ["--full", "--k", "-1"], "--k -1 is impossible: k must be between 1 and 50000, the training images")
        expectError(KNN.self, ["--k-choices=-3"], "--k-choices must be positive, got -3")
    }

    func testSeedIsAWholeNumberZeroOrMore() throws {
        // Issue: a negative seed got the parser's generic "The value '-3' is invalid"; it now says which seeds there are.
        let invalid = { (value: String) in "The value '\(value)' is invalid for '--seed <seed>': a seed is a whole number from 0 to 18446744073709551615, e.g. --seed 3, and " }
        expectError(KNN.self, ["--seed", "-3"], invalid("-3") + "-3 is negative")
        expectError(KNN.self, ["--seed", "1.5"], invalid("1.5") + "1.5 is not a whole number")
        expectError(KNN.self, ["--seed", "18446744073709551616"], invalid("18446744073709551616") + "18446744073709551616 is too large")
        XCTAssertEqual(try KNN.parse(["--seed", "3"]).options.seed, 3)
        XCTAssertEqual(try KNN.parse(["--seed", "18446744073709551615"]).options.seed, .max)
        // The value after --seed is taken as it is: a forgotten value is an invalid seed, not a lost option.
        expectError(GatesProgram.self, ["--seed", "--max-steps", "5"], invalid("--max-steps") + "the value after --seed is not a number")
    }

    func testLinearClassifierNumbers() throws {
        expectError(LinearClassifierProgram.self, ["--learning-rate", "-1"], "--learning-rate must be a positive number, got -1")
        expectError(LinearClassifierProgram.self, ["--learning-rate", "inf"], "--learning-rate must be a positive number, got inf")
        expectError(LinearClassifierProgram.self, ["--reg", "-2.5"], "--reg must be a number, 0 or more, got -2.5")
        expectError(LinearClassifierProgram.self, ["--elastic-beta", "-1e4"], "--elastic-beta must be a number, 0 or more, got -10000")
        expectError(LinearClassifierProgram.self, ["--iterations", "-5"], "--iterations must be positive, got -5")
        expectError(LinearClassifierProgram.self, ["--quick", "--batch-size", "-200"], "--batch-size must be positive, got -200")
        expectError(LinearClassifierProgram.self, ["--search-size", "-1"], "--search-size cannot be negative, got -1")
        expectError(LinearClassifierProgram.self, ["--random-search-tries", "-1"], "--random-search-tries cannot be negative, got -1")
        XCTAssertEqual(try LinearClassifierProgram.parse(["--search-size", "0", "--reg", "0"]).searchSize, 0)
    }

    func testGatesNumbers() {
        expectError(GatesProgram.self, ["--learning-rate", "-1"], "--learning-rate must be a positive number, got -1")
        expectError(GatesProgram.self, ["--hidden-units", "-3"], "--hidden-units must be positive, got -3")
        expectError(GatesProgram.self, ["--target-loss", "-0.01"], "--target-loss must be a positive number, got -0.01")
        expectError(GatesProgram.self, ["--max-steps", "-1"], "--max-steps must be positive, got -1")
    }

    func testGradeTimeLimit() {
        expectError(Grade.self, ["--time-limit", "-1"], "--time-limit must be a positive number of seconds, got -1")
    }

    /// Parsing `arguments` fails with exactly `message` (ArgumentParser's first line of the error).
    private func expectError<Command: ParsableCommand>(_ command: Command.Type, _ arguments: [String], _ message: String,
                                                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try command.parse(arguments), file: file, line: line) { error in
            XCTAssertEqual(command.message(for: error), message, "\(arguments.joined(separator: " "))", file: file, line: line)
        }
    }
}

/// The list options take negative numbers to the programs' own checks too, once `main()` has attached
/// each value to its flag.
final class ListOptionTests: XCTestCase {
    func testValuesAreAttachedToTheirFlag() {
        XCTAssertEqual(attachingListValues(["--k-choices", "-3", "5", "--metric", "l1"], to: ["--k-choices"]),
                       ["--k-choices=-3", "--k-choices=5", "--metric", "l1"])
        XCTAssertEqual(attachingListValues(["--reg-range=1", "-2", "--seed", "3"], to: ["--reg-range"]),
                       ["--reg-range=1", "--reg-range=-2", "--seed", "3"])
        XCTAssertEqual(attachingListValues(["--k-choices", "--full"], to: ["--k-choices"]), ["--k-choices", "--full"])
        XCTAssertEqual(attachingListValues(["--k-choices"], to: ["--k-choices"]), ["--k-choices"])
        XCTAssertEqual(attachingListValues(["--seed", "3", "4"], to: ["--k-choices"]), ["--seed", "3", "4"])
    }

    func testNegativeListValuesReachTheChecks() {
        func message<Command: ParsableCommand>(_ command: Command.Type, _ arguments: [String]) -> String {
            do {
                _ = try command.parse(attachingListValues(arguments, to: (command as? ListOptions.Type)?.listOptions ?? []))
                return "no error"
            } catch {
                return command.message(for: error)
            }
        }
        XCTAssertEqual(message(KNN.self, ["--k-choices", "-3", "5"]), "--k-choices must be positive, got -3")
        XCTAssertEqual(message(KNN.self, ["--k-choices", "1", "-3"]), "--k-choices must be positive, got -3")
        XCTAssertEqual(message(LinearClassifierProgram.self, ["--reg-range", "-1", "5"]),
                       "--reg-range takes two positive numbers, low then high, e.g. --reg-range 1e3 3e4; got -1.0 5.0")
        XCTAssertEqual(message(LinearClassifierProgram.self, ["--learning-rate-range", "1e-7", "-1e-6"]),
                       "--learning-rate-range takes two positive numbers, low then high, e.g. --learning-rate-range 1e-7 1e-6; got 1e-07 -1e-06")
        XCTAssertEqual(try KNN.parse(attachingListValues(["--k-choices", "1", "3"], to: KNN.listOptions)).kChoices, [1, 3])
    }
}

protocol ListOptions { static var listOptions: Set<String> { get } }
extension KNN: ListOptions {}
extension LinearClassifierProgram: ListOptions {}
