import Foundation
import XCTest
import Datasets

/// Checks on the real CIFAR-10 binary files, against the values the dataset's README documents.
/// Skipped, with a message saying how to get the data, when the folder is absent. Each test loads
/// only the records it needs.
final class RealCIFAR10Tests: XCTestCase {
    /// CIFAR10_DIR if set, else data/cifar-10-batches-bin in the package folder (found from this
    /// file's path, so the tests work from any current directory).
    private func realDataDirectory() throws -> URL {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let variable = ProcessInfo.processInfo.environment[CIFAR10.directoryVariable] ?? ""
        let path = variable.isEmpty ? packageRoot.appendingPathComponent(CIFAR10.defaultDirectory).path : variable
        let directory = URL(fileURLWithPath: path, isDirectory: true)
        guard FileManager.default.fileExists(atPath: directory.path) else {
            throw XCTSkip("CIFAR-10 not found at \(directory.path): set CIFAR10_DIR or run bash data/get_datasets.sh")
        }
        return directory
    }

    func testFirstTwoTrainingImagesMatchTheREADMESpotChecks() throws {
        let training = try CIFAR10.loadTrainingImages(from: realDataDirectory(), count: 2)
        // Red plane: channel 0 from (row 0, column 0); blue plane: channel 2 up to (row 31, column 31).
        func red(_ image: Int) -> [Double] {
            (0 ..< 3).map { training.images[image, CIFAR10.featureIndex(channel: 0, row: 0, column: $0)] }
        }
        func blue(_ image: Int) -> [Double] {
            (29 ..< 32).map { training.images[image, CIFAR10.featureIndex(channel: 2, row: 31, column: $0)] }
        }
        XCTAssertEqual(red(0), [59, 43, 50])
        XCTAssertEqual(blue(0), [140, 84, 72])
        XCTAssertEqual(red(1), [154, 126, 105])
        XCTAssertEqual(blue(1), [139, 142, 144])
        XCTAssertEqual(training.labels, [6, 9], "a frog, then a truck")
    }

    func testClassCountsOfTheFirstBatchAndTheTestBatch() throws {
        let directory = try realDataDirectory()
        let batch1 = try CIFAR10.loadTrainingImages(from: directory, count: 10_000)
        XCTAssertEqual(classCounts(batch1.labels, classes: 10), [1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981])
        let test = try CIFAR10.loadTestImages(from: directory)
        XCTAssertEqual(classCounts(test.labels, classes: 10), Array(repeating: 1000, count: 10))
        XCTAssertEqual(test.images.min(), 0)
        XCTAssertEqual(test.images.max(), 255)
    }

    func testClassNamesAreTheStandardOnes() throws {
        let directory = try realDataDirectory()  // outside the assertion, so that a skip is a skip
        XCTAssertEqual(try CIFAR10.loadClassNames(from: directory),
                       ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"])
    }
}
