import ArgumentParser
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
        expectError(KNN.self, ["--seed", "-3"], "The value '-3' is invalid for '--seed <seed>'")
        XCTAssertEqual(try KNN.parse(["--seed", "3"]).options.seed, 3)
        // The value after --seed is taken as it is: a forgotten value is an invalid seed, not a lost option.
        expectError(GatesProgram.self, ["--seed", "--max-steps", "5"], "The value '--max-steps' is invalid for '--seed <seed>'")
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
