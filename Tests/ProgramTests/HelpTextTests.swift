import ArgumentParser
import XCTest
@testable import cnn
@testable import dropout
@testable import knn
@testable import linear_classifier
@testable import two_layer_net

/// Issue: the `--help` examples wrapped at 80 columns, the continuation of a comment starting at the
/// left edge under the commands. Every example line fits in 80 columns as written.
final class HelpTextTests: XCTestCase {
    func testTheExamplesFitIn80Columns() {
        let helps: [(String, String)] = [("knn", KNN.helpMessage(columns: 80)), ("linear-classifier", LinearClassifierProgram.helpMessage(columns: 80)),
                                         ("two-layer-net", TwoLayerNetProgram.helpMessage(columns: 80)),
                                         ("dropout", DropoutProgram.helpMessage(columns: 80)), ("cnn", CNNProgram.helpMessage(columns: 80))]
        for (program, help) in helps {
            let lines = help.components(separatedBy: "\n")
            guard let start = lines.firstIndex(of: "Examples:") else { XCTFail("\(program) --help has no examples"); continue }
            let examples = lines[(start + 1)...].prefix { !$0.isEmpty }
            XCTAssertGreaterThanOrEqual(examples.count, 3, program)
            for line in examples {
                XCTAssertTrue(line.hasPrefix("  ") && line.count <= 80, "\(program): \"\(line)\" is a wrapped or too long example line")
            }
        }
    }
}
