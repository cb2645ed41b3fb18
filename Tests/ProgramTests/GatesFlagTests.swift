import XCTest
@testable import gates

/// `gates`'s flags as the program parses them.
final class GatesFlagTests: XCTestCase {
    /// 100,000 hidden units overflowed the stack; now the limit is checked before anything runs.
    func testHiddenUnitsHaveAMaximum() throws {
        XCTAssertEqual(GatesProgram.maximumHiddenUnits, 100)
        XCTAssertEqual(try GatesProgram.parse(["--hidden-units", "100"]).hiddenUnits, 100)
        XCTAssertEqual(try GatesProgram.parse([]).hiddenUnits, 4, "the lecture's network")
        for units in ["101", "100000"] {
            XCTAssertThrowsError(try GatesProgram.parse(["--hidden-units", units])) { error in
                let message = GatesProgram.message(for: error)
                XCTAssertTrue(message.hasPrefix("--hidden-units must be at most 100, got \(units): "), message)
            }
        }
    }
}
