import XCTest
@testable import cnn

/// `cnn`'s flags as the program parses them: presets fill in only what is not given; impossible
/// settings are refused before anything runs.
final class CNNFlagTests: XCTestCase {
    func testDefaultsAndSmokeTest() throws {
        let run = try CNNProgram.parse([])
        XCTAssertEqual([run.compareCount, run.filters, run.filterSize], [10, 32, 7])
        XCTAssertEqual(try CNNProgram.parse(["--smoke-test"]).compareCount, 2)
        XCTAssertEqual(try CNNProgram.parse(["--compare-count", "5", "--smoke-test"]).compareCount, 5, "a count given wins over the preset")
    }

    func testImpossibleSettingsAreRefused() {
        for (arguments, expected) in [(["--filter-size", "4"], "--filter-size 4 is even"),
                                      (["--filter-size", "33"], "larger than a CIFAR-10 image"),
                                      (["--compare-count", "0"], "--compare-count"),
                                      (["--filters", "0"], "--filters")] {
            XCTAssertThrowsError(try CNNProgram.parse(arguments), "\(arguments)") { error in
                let message = CNNProgram.message(for: error)
                XCTAssertTrue(message.contains(expected), message)
            }
        }
    }
}
