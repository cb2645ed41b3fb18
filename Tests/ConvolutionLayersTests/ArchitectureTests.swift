import XCTest
@testable import ConvolutionLayers

/// The written form of the lecture's pattern: parsing, expansion, shapes, and the errors.
final class ArchitectureTests: XCTestCase {
    func testParsesTheLecturesPattern() throws {
        let net = try NetworkArchitecture(parsing: "[conv32-relu]x2-pool-fc100-relu")
        XCTAssertEqual(net.layers, [.convolution(filters: 32, size: 3), .relu, .convolution(filters: 32, size: 3), .relu, .pool,
                                    .affine(units: 100), .relu])
        XCTAssertEqual(net.description, "conv32-relu-conv32-relu-pool-fc100-relu")
        XCTAssertEqual(try net.shapes(input: [3, 32, 32]), [[32, 32, 32], [32, 32, 32], [32, 32, 32], [32, 32, 32], [32, 16, 16], [100], [100]])
        let three = try NetworkArchitecture(parsing: "conv32k7-relu-pool-fc100-relu")
        XCTAssertEqual(three.layers.first, .convolution(filters: 32, size: 7))
        let nested = try NetworkArchitecture(parsing: "[[conv8-relu]x2-pool]x3 - fc10")
        XCTAssertEqual(nested.layers.filter { $0 == .pool }.count, 3)
        XCTAssertEqual(try nested.shapes(input: [3, 32, 32]).last, [10])
        XCTAssertEqual(try nested.shapes(input: [3, 32, 32])[nested.layers.count - 2], [8, 4, 4])
    }

    func testWritingThatDoesNotParseIsNamed() {
        let cases: [(String, ArchitectureError)] = [
            ("", .empty),
            ("conv32-sigmoid", .unknownLayer("sigmoid", offset: 7)),
            ("[conv32-relu-pool", .unbalancedBracket(offset: 0)),
            ("conv32-relu]x2", .unbalancedBracket(offset: 11)),
            ("[conv32-relu]-pool", .badNumber("[conv32-relu]", offset: 0, reason: "a group needs x<M> after it, e.g. [conv32-relu]x2")),
            ("[conv32]x0", .badNumber("x0", offset: 8, reason: "a group is repeated at least once")),
            ("conv0", .badNumber("conv0", offset: 0, reason: "the filters of conv must be a whole number of at least 1")),
            ("conv32k4", .badNumber("conv32k4", offset: 0, reason: "the filter side must be odd, so that padding (K - 1) / 2 keeps the size")),
            ("conv32--relu", .unknownLayer("-", offset: 7)),
            ("fc100-relu-conv32", .outOfPattern(layer: 3, name: "conv32", reason: "convolutions and pools come before the fully connected layers")),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try NetworkArchitecture(parsing: text), text) { error in
                XCTAssertEqual(error as? ArchitectureError, expected, text)
            }
        }
    }

    func testAFormThatDoesNotFitTheInputNamesTheLayer() throws {
        let pools = try NetworkArchitecture(parsing: "[conv16-relu-pool]x6-fc10")
        XCTAssertThrowsError(try pools.shapes(input: [3, 32, 32])) { error in
            XCTAssertEqual((error as? ArchitectureError).map { "\($0)" },
                           "layer 18 (pool) does not fit: 2 x 2 windows at stride 2 do not tile its 1 x 1 input maps: (N - F) / stride + 1 = (1 - 2) / 2 + 1 is not an integer")
        }
        let odd = try NetworkArchitecture(parsing: "conv8k9-pool-pool")
        XCTAssertThrowsError(try odd.shapes(input: [3, 30, 30])) { error in
            XCTAssertEqual(error as? ArchitectureError, .doesNotFit(layer: 3, name: "pool", reason:
                "2 x 2 windows at stride 2 do not tile its 15 x 15 input maps: (N - F) / stride + 1 = (15 - 2) / 2 + 1 is not an integer"))
        }
        XCTAssertEqual(try odd.shapes(input: [3, 4, 4]).first, [8, 4, 4], "padding (K - 1) / 2 fits a 9 x 9 filter even to 4 x 4 maps")
    }

    /// Nets too large for memory are refused before anything is allocated, naming the layer or the group.
    func testANetTooLargeForMemoryIsRefusedBeforeItRuns() throws {
        XCTAssertThrowsError(try NetworkArchitecture(parsing: "[conv8-relu]x100000")) { error in
            XCTAssertEqual(error as? ArchitectureError, .badNumber("x100000", offset: 12, reason: "the net would have more than 64 layers"))
        }
        XCTAssertThrowsError(try NetworkArchitecture(parsing: "[conv8-relu]x99999999999999999999")) { error in
            XCTAssertTrue("\(error)".hasPrefix("'x99999999999999999999' (at character 13)"), "\(error)")
        }
        XCTAssertThrowsError(try NetworkArchitecture(parsing: "conv99999999999999999999")) { error in
            XCTAssertEqual(error as? ArchitectureError, .badNumber("conv99999999999999999999", offset: 0,
                                                                   reason: "the filters of conv is far too large"))
        }
        XCTAssertThrowsError(try NetworkArchitecture(parsing: "conv8-fc10000").shapes(input: [3, 32, 32])) { error in
            XCTAssertEqual(error as? ArchitectureError, .doesNotFit(layer: 2, name: "fc10000",
                                                                    reason: "the net would have more than 50000000 weights (8.19e+07 so far)"))
        }
        XCTAssertThrowsError(try NetworkArchitecture(parsing: "conv10000-relu").shapes(input: [3, 32, 32])) { error in
            XCTAssertEqual(error as? ArchitectureError, .doesNotFit(layer: 1, name: "conv10000",
                                                                    reason: "its output [10000, 32, 32] has more than 8388608 entries per image"))
        }
        XCTAssertEqual(try NetworkArchitecture(parsing: "[conv32-relu]x2-pool-fc100-relu").shapes(input: [3, 32, 32]).last, [100])
    }
}
