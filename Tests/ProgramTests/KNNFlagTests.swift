import XCTest
@testable import knn

/// `knn`'s flags as the program parses them: the presets fill in only the counts that are not given.
final class KNNFlagTests: XCTestCase {
    func testDefaultsAreTheCoursesSubsample() throws {
        let run = try KNN.parse([])
        XCTAssertEqual([run.trainCount, run.testCount, run.compareCount, run.folds], [5_000, 500, 500, 5])
    }

    func testSmokeTestFillsInTheCountsNotGiven() throws {
        let run = try KNN.parse(["--smoke-test"])
        XCTAssertEqual([run.trainCount, run.testCount, run.compareCount, run.folds], [500, 50, 20, 3])
    }

    func testCountsGivenWinOverSmokeTest() throws {
        let run = try KNN.parse(["--smoke-test", "--train-count", "2000", "--folds", "4"])
        XCTAssertEqual([run.trainCount, run.testCount, run.compareCount, run.folds], [2_000, 50, 20, 4])
        // The flag's place on the command line does not matter.
        let reordered = try KNN.parse(["--test-count", "80", "--compare-count", "30", "--smoke-test"])
        XCTAssertEqual([reordered.trainCount, reordered.testCount, reordered.compareCount], [500, 80, 30])
    }

    func testCountsGivenWinOverFull() throws {
        let all = try KNN.parse(["--full"])
        XCTAssertEqual([all.trainCount, all.testCount], [50_000, 10_000])
        XCTAssertEqual(all.compareCount, 20, "two loops over 500 x 50,000 would take minutes: --full times 20 test images")
        let small = try KNN.parse(["--full", "--train-count", "3000", "--k", "7"])
        XCTAssertEqual([small.trainCount, small.testCount], [3_000, 10_000])
    }

    func testSmokeTestAndFullTogetherAreRefused() {
        XCTAssertThrowsError(try KNN.parse(["--smoke-test", "--full"])) { error in
            XCTAssertTrue(KNN.message(for: error).contains("choose one"), KNN.message(for: error))
        }
    }

    func testHelpSaysWhichWins() {
        let help = KNN.helpMessage(columns: 1_000)
        XCTAssertTrue(help.contains("--train-count, --test-count, --folds and --compare-count, if given, win"), help)
        XCTAssertTrue(help.contains("500 with --smoke-test"), help)
    }
}
