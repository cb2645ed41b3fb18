import ArgumentParser
import ChapterSupport
import XCTest
@testable import dropout

/// `dropout`'s flags as the program parses them: --quick fills in only the numbers not given, and
/// impossible values are refused naming the flag and the value.
final class DropoutFlagTests: XCTestCase {
    func testDefaults() throws {
        let run = try DropoutProgram.parse([])
        XCTAssertEqual(run.hiddenSizes, [512, 256, 128])
        XCTAssertEqual([run.epochs, run.weightScaleCount, run.splitCounts.train], [10, 9, 49_000])
        XCTAssertTrue(run.batchNorm)
        XCTAssertEqual(run.keepProbability, 0.85)
    }

    func testQuickFillsInTheNumbersNotGiven() throws {
        for flag in ["--quick", "--smoke-test"] {
            let run = try DropoutProgram.parse([flag])
            XCTAssertEqual(run.hiddenSizes, [100, 50], flag)
            XCTAssertEqual([run.epochs, run.weightScaleCount, run.splitCounts.train], [2, 3, 2_000], flag)
        }
        let given = try DropoutProgram.parse(["--quick", "--hidden-sizes", "64", "32", "16", "--epochs", "4"])
        XCTAssertEqual(given.hiddenSizes, [64, 32, 16])
        XCTAssertEqual([given.epochs, given.weightScaleCount], [4, 3])
        let reordered = try DropoutProgram.parse(["--weight-scales", "5", "--smoke-test"])
        XCTAssertEqual([reordered.epochs, reordered.weightScaleCount], [2, 5])
    }

    func testBatchNormCanBeSwitchedOff() throws {
        XCTAssertFalse(try DropoutProgram.parse(["--no-batch-norm"]).batchNorm)
        XCTAssertTrue(try DropoutProgram.parse(["--batch-norm"]).batchNorm)
    }

    func testImpossibleValuesNameTheFlagAndTheValue() {
        expectError(["--hidden-sizes", "100", "0"], "--hidden-sizes must be positive, got 0")
        expectError(["--epochs", "0"], "--epochs must be positive, got 0")
        expectError(["--keep-probability", "0"], "--keep-probability is the probability of KEEPING a unit, above 0 and at most 1 (1: no dropout); got 0")
        expectError(["--keep-probability", "1.5"], "--keep-probability is the probability of KEEPING a unit, above 0 and at most 1 (1: no dropout); got 1.5")
        expectError(["--learning-rate", "-1e-3"], "--learning-rate must be a positive number, got -0.001")
        expectError(["--learning-rate-decay", "0"], "--learning-rate-decay must be above 0 and at most 1, got 0")
        expectError(["--reg", "-1"], "--reg must be a number, 0 or more, got -1")
        expectError(["--batch-size", "0"], "--batch-size must be positive, got 0")
        expectError(["--batch-size", "1"], "--batch-size 1 with batch normalization: the variance of one image is 0; use a larger minibatch or --no-batch-norm")
        expectError(["--weight-scales", "0"], "--weight-scales must be positive, got 0")
        XCTAssertEqual(try DropoutProgram.parse(["--batch-size", "1", "--no-batch-norm"]).batchSize, 1)
        // A negative size reaches the program's own check rather than stopping the parser (see attachingListValues).
        let negative = attachingListValues(["--hidden-sizes", "100", "-5"], to: DropoutProgram.listOptions)
        XCTAssertThrowsError(try DropoutProgram.parse(negative)) { error in
            XCTAssertEqual(DropoutProgram.message(for: error), "--hidden-sizes must be positive, got -5")
        }
    }

    func testABatchLargerThanTheTrainingSetIsRefused() throws {
        XCTAssertEqual(try DropoutProgram.parse(["--quick", "--batch-size", "2000"]).batchSize, 2_000)
        expectError(["--quick", "--batch-size", "2001"],
                    "--batch-size 2001 is larger than the 2000 training images: a minibatch is a small part of the training set (the course uses 200)")
    }

    func testHelpSaysWhichWins() {
        let help = DropoutProgram.helpMessage(columns: 1_000)
        XCTAssertTrue(help.contains("--hidden-sizes, --epochs and --weight-scales, if given, win"), help)
        XCTAssertTrue(help.contains("deep_net.safetensors"), help)
    }

    /// Parsing `arguments` fails with exactly `message` (ArgumentParser's first line of the error).
    private func expectError(_ arguments: [String], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try DropoutProgram.parse(arguments), file: file, line: line) { error in
            XCTAssertEqual(DropoutProgram.message(for: error), message, "\(arguments.joined(separator: " "))", file: file, line: line)
        }
    }
}
