import XCTest
@testable import linear_classifier

/// `linear-classifier`'s flags as the program parses them: --quick fills in only the numbers not given.
final class LinearClassifierFlagTests: XCTestCase {
    func testDefaults() throws {
        let run = try LinearClassifierProgram.parse([])
        XCTAssertEqual([run.iterations, run.searchSize, run.randomSearchTries], [1_500, 12, 1_000])
    }

    func testQuickFillsInTheNumbersNotGiven() throws {
        for flag in ["--quick", "--smoke-test"] {
            let run = try LinearClassifierProgram.parse([flag])
            XCTAssertEqual([run.iterations, run.searchSize, run.randomSearchTries], [100, 3, 50], flag)
        }
    }

    func testNumbersGivenWinOverQuick() throws {
        let run = try LinearClassifierProgram.parse(["--quick", "--iterations", "300", "--random-search-tries", "0"])
        XCTAssertEqual([run.iterations, run.searchSize, run.randomSearchTries], [300, 3, 0])
        let reordered = try LinearClassifierProgram.parse(["--search-size", "5", "--smoke-test"])
        XCTAssertEqual([reordered.iterations, reordered.searchSize, reordered.randomSearchTries], [100, 5, 50])
    }

    func testMinibatchLargerThanTheTrainingSetIsRefused() throws {
        XCTAssertEqual(try LinearClassifierProgram.parse(["--quick", "--batch-size", "2000"]).batchSize, 2_000)
        XCTAssertThrowsError(try LinearClassifierProgram.parse(["--quick", "--batch-size", "2001"])) { error in
            let message = LinearClassifierProgram.message(for: error)
            XCTAssertTrue(message.contains("larger than the 2000 training images"), message)
        }
        XCTAssertEqual(try LinearClassifierProgram.parse(["--batch-size", "49000"]).batchSize, 49_000)
    }

    func testHelpSaysWhichWins() {
        let help = LinearClassifierProgram.helpMessage(columns: 1_000)
        XCTAssertTrue(help.contains("--iterations, --search-size and --random-search-tries, if given, win"), help)
        XCTAssertTrue(help.contains("100 with --quick"), help)
    }
}
