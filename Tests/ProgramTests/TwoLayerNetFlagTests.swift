import ArgumentParser
import XCTest
@testable import two_layer_net

/// `two-layer-net`'s flags as the program parses them: --quick fills in only the numbers not given, and
/// impossible values are refused naming the flag and the value.
final class TwoLayerNetFlagTests: XCTestCase {
    private func numbers(_ run: TwoLayerNetProgram) -> [Int] {
        [run.hiddenSize, run.epochs, run.searchTrials, run.fineTrials, run.searchEpochs, run.fineEpochs]
    }

    func testDefaults() throws {
        let run = try TwoLayerNetProgram.parse([])
        XCTAssertEqual(numbers(run), [200, 10, 8, 3, 2, 5])
        XCTAssertEqual(run.updateRule, .momentum)
        XCTAssertEqual(run.splitCounts.train, 49_000)
    }

    func testQuickFillsInTheNumbersNotGiven() throws {
        for flag in ["--quick", "--smoke-test"] {
            let run = try TwoLayerNetProgram.parse([flag])
            XCTAssertEqual(numbers(run), [50, 3, 2, 1, 1, 1], flag)
            XCTAssertEqual(run.splitCounts.train, 2_000, flag)
        }
        let given = try TwoLayerNetProgram.parse(["--quick", "--hidden-size", "80", "--search-trials", "0"])
        XCTAssertEqual(numbers(given), [80, 3, 0, 1, 1, 1])
        let reordered = try TwoLayerNetProgram.parse(["--epochs", "7", "--smoke-test"])
        XCTAssertEqual(numbers(reordered), [50, 7, 2, 1, 1, 1])
    }

    func testEveryUpdateRuleIsNamed() throws {
        XCTAssertEqual(try ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"].map { try TwoLayerNetProgram.parse(["--update-rule", $0]).updateRule },
                       UpdateRuleKind.allCases)
        XCTAssertThrowsError(try TwoLayerNetProgram.parse(["--update-rule", "adamw"])) { error in
            let message = TwoLayerNetProgram.message(for: error)
            XCTAssertTrue(message.hasPrefix("The value 'adamw' is invalid for '--update-rule <update-rule>'"), message)
            for name in ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"] { XCTAssertTrue(message.contains("- \(name)"), message) }
        }
    }

    func testImpossibleNumbersNameTheFlagAndTheValue() {
        expectError(["--hidden-size", "0"], "--hidden-size must be positive, got 0")
        expectError(["--hidden-size", "-5"], "--hidden-size must be positive, got -5")
        expectError(["--epochs", "-1"], "--epochs must be positive, got -1")
        expectError(["--learning-rate", "-1e-3"], "--learning-rate must be a positive number, got -0.001")
        expectError(["--learning-rate-decay", "1.5"], "--learning-rate-decay must be above 0 and at most 1, got 1.5")
        expectError(["--reg", "-1"], "--reg must be a number, 0 or more, got -1")
        expectError(["--weight-scale", "0"], "--weight-scale must be a positive number, got 0")
        expectError(["--search-trials", "-1"], "--search-trials cannot be negative, got -1")
        expectError(["--search-epochs", "0"], "--search-epochs must be positive, got 0")
        expectError(["--fine-epochs", "-2"], "--fine-epochs must be positive, got -2")
        expectError(["--fine-trials", "-1"], "--fine-trials cannot be negative, got -1")
        expectError(["--batch-size", "0"], "--batch-size must be positive, got 0")
    }

    func testABatchLargerThanTheTrainingSetIsRefused() throws {
        XCTAssertEqual(try TwoLayerNetProgram.parse(["--quick", "--batch-size", "2000"]).batchSize, 2_000)
        expectError(["--quick", "--batch-size", "2001"], """
            --batch-size 2001 is larger than the 2000 training images: a minibatch is a small part of the training set (the course uses 200)
            """)
        XCTAssertEqual(try TwoLayerNetProgram.parse(["--batch-size", "49000"]).batchSize, 49_000)
    }

    func testZeroEpochsOnlyEvaluatesALoadedNet() throws {
        XCTAssertEqual(try TwoLayerNetProgram.parse(["--load", "net.safetensors", "--epochs", "0"]).epochs, 0)
        expectError(["--epochs", "0"], "--epochs 0 only evaluates a checkpoint: give it with --load FILE, or train for at least one epoch")
    }

    func testHelpSaysWhichWins() {
        let help = TwoLayerNetProgram.helpMessage(columns: 1_000)
        XCTAssertTrue(help.contains("--search-epochs and --fine-epochs, if given, win"), help)
        XCTAssertTrue(help.contains("two_layer_net.safetensors"), help)
    }

    /// Parsing `arguments` fails with exactly `message` (ArgumentParser's first line of the error).
    private func expectError(_ arguments: [String], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try TwoLayerNetProgram.parse(arguments), file: file, line: line) { error in
            XCTAssertEqual(TwoLayerNetProgram.message(for: error), message, "\(arguments.joined(separator: " "))", file: file, line: line)
        }
    }
}
