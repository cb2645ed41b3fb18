import Foundation
import XCTest
import LinearAlgebra
@testable import Datasets

/// The loader on small fake datasets (3 records per file): layout, subsampling, every error, the
/// directory resolution order and the conversion back to bytes.
final class CIFAR10LoaderTests: XCTestCase {
    // MARK: Layout

    func testLoadedPixelsEqualTheBytesWrittenAtChannelRowColumn() throws {
        let fake = try FakeCIFAR10(for: self)
        // 7 training records span files 1, 2 and the first record of file 3.
        let cifar = try CIFAR10(directory: fake.directory, trainCount: 7, testCount: 2, recordsPerFile: FakeCIFAR10.recordsPerFile)
        XCTAssertEqual(cifar.train.images.shapeDescription, "(7, 3072)")
        XCTAssertEqual(cifar.test.images.shapeDescription, "(2, 3072)")

        // Spot checks that name the coordinates: record 4 is the second record of data_batch_2.bin.
        XCTAssertEqual(cifar.train.images[4, CIFAR10.featureIndex(channel: 2, row: 31, column: 0)],
                       Double(FakeCIFAR10.pixel(record: 4, channel: 2, row: 31, column: 0)))
        XCTAssertEqual(cifar.train.images[0, CIFAR10.featureIndex(channel: 1, row: 3, column: 17)],
                       Double(FakeCIFAR10.pixel(record: 0, channel: 1, row: 3, column: 17)))
        XCTAssertEqual(CIFAR10.featureIndex(channel: 1, row: 2, column: 3), 1024 + 64 + 3)

        // Every pixel of every loaded record.
        for (set, first) in [(cifar.train, 0), (cifar.test, FakeCIFAR10.testRecordBase)] {
            for r in 0 ..< set.count {
                for c in 0 ..< 3 {
                    for i in 0 ..< 32 {
                        for j in 0 ..< 32 {
                            let expected = Double(FakeCIFAR10.pixel(record: first + r, channel: c, row: i, column: j))
                            let loaded = set.images[r, CIFAR10.featureIndex(channel: c, row: i, column: j)]
                            if loaded != expected {
                                return XCTFail("record \(first + r) (c \(c), i \(i), j \(j)): \(loaded), written \(expected)")
                            }
                        }
                    }
                }
            }
        }
    }

    func testLabelsAndClassNamesAreRead() throws {
        let fake = try FakeCIFAR10(for: self)
        let cifar = try CIFAR10(directory: fake.directory, trainCount: 15, testCount: 3, recordsPerFile: FakeCIFAR10.recordsPerFile)
        XCTAssertEqual(cifar.train.labels, (0 ..< 15).map { $0 % 10 })
        XCTAssertEqual(cifar.test.labels, [0, 1, 2], "test records 100, 101, 102")
        XCTAssertEqual(cifar.classNames, CIFAR10.standardClassNames)
        XCTAssertEqual(CIFAR10.standardClassNames.count, 10)
        XCTAssertEqual(CIFAR10.standardClassNames[6], "frog")
    }

    /// A folder of symbolic links to the real files (a common way to share one copy) loads like the files.
    func testSymbolicLinksToTheFilesAreFollowed() throws {
        let fake = try FakeCIFAR10(for: self)
        let links = FileManager.default.temporaryDirectory.appendingPathComponent("CIFAR10Links-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: links, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: links) }
        for name in FakeCIFAR10.trainingFiles + ["test_batch.bin", "batches.meta.txt"] {
            try FileManager.default.createSymbolicLink(atPath: links.appendingPathComponent(name).path, withDestinationPath: fake.path(name))
        }
        let viaLinks = try CIFAR10(directory: links, trainCount: 7, testCount: 2, recordsPerFile: FakeCIFAR10.recordsPerFile)
        let direct = try CIFAR10(directory: fake.directory, trainCount: 7, testCount: 2, recordsPerFile: FakeCIFAR10.recordsPerFile)
        XCTAssertEqual(viaLinks.train, direct.train)
        XCTAssertEqual(viaLinks.test, direct.test)
    }

    func testZeroRecordsGiveEmptyMatrices() throws {
        let fake = try FakeCIFAR10(for: self)
        let cifar = try CIFAR10(directory: fake.directory, trainCount: 0, testCount: 0, recordsPerFile: FakeCIFAR10.recordsPerFile)
        XCTAssertEqual(cifar.train.images.shapeDescription, "(0, 3072)")
        XCTAssertEqual(cifar.test.labels, [])
    }

    func testReadsOnlyTheFilesTheRecordsNeed() throws {
        let fake = try FakeCIFAR10(for: self)
        for name in FakeCIFAR10.trainingFiles.dropFirst(2) { try fake.remove(name) }
        XCTAssertEqual(try CIFAR10.loadTrainingImages(from: fake.directory, count: 6, recordsPerFile: FakeCIFAR10.recordsPerFile).count, 6,
                       "files 3 to 5 are not needed for 6 records")
        XCTAssertThrowsError(try CIFAR10.loadTrainingImages(from: fake.directory, count: 7, recordsPerFile: FakeCIFAR10.recordsPerFile)) { error in
            XCTAssertEqual(error as? CIFAR10Error, .fileNotFound(path: fake.path("data_batch_3.bin")))
        }
    }

    // MARK: Errors

    func testMissingDirectorySaysHowToGetTheData() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-cifar-\(UUID().uuidString)")
        XCTAssertThrowsError(try CIFAR10(directory: missing, trainCount: 1, testCount: 1, recordsPerFile: FakeCIFAR10.recordsPerFile)) { error in
            XCTAssertEqual(error as? CIFAR10Error, .directoryNotFound(path: missing.path))
            let message = String(describing: error)
            XCTAssertTrue(message.contains(missing.path), message)
            XCTAssertTrue(message.contains("bash data/get_datasets.sh"), message)
            XCTAssertTrue(message.contains("CIFAR10_DIR") && message.contains("--data"), message)
        }
    }

    func testMissingFileIsNamed() throws {
        let fake = try FakeCIFAR10(for: self)
        try fake.remove("test_batch.bin")
        XCTAssertThrowsError(try CIFAR10(directory: fake.directory, trainCount: 3, testCount: 1, recordsPerFile: FakeCIFAR10.recordsPerFile)) { error in
            XCTAssertEqual(error as? CIFAR10Error, .fileNotFound(path: fake.path("test_batch.bin")))
            XCTAssertTrue(String(describing: error).contains(fake.path("test_batch.bin")))
        }
        try fake.remove("batches.meta.txt")
        XCTAssertThrowsError(try CIFAR10.loadClassNames(from: fake.directory)) { error in
            XCTAssertEqual(error as? CIFAR10Error, .fileNotFound(path: fake.path("batches.meta.txt")))
        }
    }

    /// `--data /path/data` for `/path/data/cifar-10-batches-bin` (one level too high) says where the data is.
    func testFolderAboveTheDataSuggestsTheDataFolder() throws {
        let fake = try FakeCIFAR10(for: self, subfolder: "cifar-10-batches-bin")
        let parent = fake.directory.deletingLastPathComponent()
        XCTAssertThrowsError(try CIFAR10(directory: parent, trainCount: 1, testCount: 1, recordsPerFile: FakeCIFAR10.recordsPerFile)) { error in
            XCTAssertEqual(error as? CIFAR10Error, .dataInSubfolder(path: parent.path, subfolder: fake.directory.path))
            let message = String(describing: error)
            XCTAssertTrue(message.contains("--data") && message.contains("at \(fake.directory.path) instead"), message)
        }
        XCTAssertThrowsError(try CIFAR10.loadTestImages(from: parent, count: 1, recordsPerFile: FakeCIFAR10.recordsPerFile)) { error in
            XCTAssertEqual(error as? CIFAR10Error, .dataInSubfolder(path: parent.path, subfolder: fake.directory.path))
        }
        // The suggested folder loads; a subfolder of another name gets no suggestion.
        XCTAssertEqual(try CIFAR10(directory: fake.directory, trainCount: 1, testCount: 1, recordsPerFile: FakeCIFAR10.recordsPerFile).train.count, 1)
        let other = try FakeCIFAR10(for: self, subfolder: "cifar-10-batches-py")
        let otherParent = other.directory.deletingLastPathComponent()
        XCTAssertThrowsError(try CIFAR10.loadClassNames(from: otherParent)) { error in
            XCTAssertEqual(error as? CIFAR10Error, .fileNotFound(path: otherParent.appendingPathComponent("batches.meta.txt").path))
        }
    }

    /// The Python version (pickles without `.bin`), pointed at directly or one level up, is named as such.
    func testPythonVersionIsRecognised() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cifar-py-\(UUID().uuidString)")
        let python = folder.appendingPathComponent("cifar-10-batches-py")
        try FileManager.default.createDirectory(at: python, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        for name in ["batches.meta", "data_batch_1", "test_batch", "readme.html"] {
            try Data("pickle".utf8).write(to: python.appendingPathComponent(name))
        }
        for directory in [python, folder] {
            XCTAssertThrowsError(try CIFAR10(directory: directory, trainCount: 1, testCount: 1)) { error in
                XCTAssertEqual(error as? CIFAR10Error, .pythonVersion(path: python.path))
                let message = String(describing: error)
                XCTAssertTrue(message.contains("the Python version of CIFAR-10: this workbook reads the binary version"), message)
            }
        }
    }

    /// A folder that is missing or incomplete where CIFAR10_DIR points says the path came from CIFAR10_DIR.
    func testPathFromTheEnvironmentIsNamed() {
        let note = CIFAR10Error.environmentNote("/nonexistent", environment: ["CIFAR10_DIR": "/nonexistent/"])
        XCTAssertTrue(note.contains("The path came from the CIFAR10_DIR environment variable"), note)
        XCTAssertTrue(note.contains("unset CIFAR10_DIR"), note)
        XCTAssertEqual(CIFAR10Error.environmentNote("/nonexistent", environment: ["CIFAR10_DIR": "/elsewhere"]), "")
        XCTAssertEqual(CIFAR10Error.environmentNote("/nonexistent", environment: [:]), "")
    }

    func testFileSizeThatIsNotWholeRecordsIsTruncated() throws {
        let fake = try FakeCIFAR10(for: self)
        try fake.write("data_batch_2.bin", FakeCIFAR10.records(3 ..< 6).prefix(2 * 3073 + 100))
        XCTAssertThrowsError(try CIFAR10.loadTrainingImages(from: fake.directory, count: 4, recordsPerFile: FakeCIFAR10.recordsPerFile)) { error in
            XCTAssertEqual(error as? CIFAR10Error, .truncatedFile(path: fake.path("data_batch_2.bin"), byteCount: 6246))
            let message = String(describing: error)
            XCTAssertTrue(message.contains("6246 bytes") && message.contains("3073"), message)
        }
    }

    /// A file cut at a record boundary is still incomplete: every batch must hold the same count.
    func testFileOfWholeRecordsButTooFewIsReported() throws {
        let fake = try FakeCIFAR10(for: self)
        try fake.write("data_batch_2.bin", FakeCIFAR10.records(3 ..< 5))
        XCTAssertEqual(try CIFAR10.loadTrainingImages(from: fake.directory, count: 3, recordsPerFile: FakeCIFAR10.recordsPerFile).count, 3,
                       "batch 1 alone is complete and enough")
        XCTAssertThrowsError(try CIFAR10.loadTrainingImages(from: fake.directory, count: 4, recordsPerFile: FakeCIFAR10.recordsPerFile)) { error in
            XCTAssertEqual(error as? CIFAR10Error, .wrongRecordCount(path: fake.path("data_batch_2.bin"), records: 2, expected: 3))
            let message = String(describing: error)
            XCTAssertTrue(message.contains("holds 2 records") && message.contains("cut short"), message)
        }
        // The real dataset's size is the default: three records are not a CIFAR-10 batch.
        XCTAssertThrowsError(try CIFAR10.loadTestImages(from: fake.directory, count: 1)) { error in
            XCTAssertEqual(error as? CIFAR10Error, .wrongRecordCount(path: fake.path("test_batch.bin"), records: 3, expected: 10_000))
            XCTAssertTrue(String(describing: error).contains("30730000 bytes"), String(describing: error))
        }
    }

    func testLabelOutsideZeroToNineNamesFileRecordAndValue() throws {
        let fake = try FakeCIFAR10(for: self)
        try fake.setByte("data_batch_1.bin", at: 2 * 3073, to: 10)
        XCTAssertThrowsError(try CIFAR10.loadTrainingImages(from: fake.directory, count: 3, recordsPerFile: FakeCIFAR10.recordsPerFile)) { error in
            XCTAssertEqual(error as? CIFAR10Error,
                           .labelOutOfRange(path: fake.path("data_batch_1.bin"), record: 2, label: 10))
            let message = String(describing: error)
            XCTAssertTrue(message.contains("data_batch_1.bin, record 2") && message.contains("label 10"), message)
        }
        XCTAssertEqual(try CIFAR10.loadTrainingImages(from: fake.directory, count: 2, recordsPerFile: FakeCIFAR10.recordsPerFile).labels, [0, 1],
                       "records that are not read are not validated")
    }

    func testAskingForMoreRecordsThanExistSaysHowManyExist() throws {
        let fake = try FakeCIFAR10(for: self)
        XCTAssertThrowsError(try CIFAR10.loadTrainingImages(from: fake.directory, count: 16, recordsPerFile: FakeCIFAR10.recordsPerFile)) { error in
            XCTAssertEqual(error as? CIFAR10Error, .notEnoughRecords(
                files: FakeCIFAR10.trainingFiles.map(fake.path), requested: 16, available: 15))
            let message = String(describing: error)
            XCTAssertTrue(message.contains("hold only 15") && message.contains("at most 15"), message)
        }
        XCTAssertThrowsError(try CIFAR10(directory: fake.directory, trainCount: 15, testCount: 4, recordsPerFile: FakeCIFAR10.recordsPerFile)) { error in
            XCTAssertEqual(error as? CIFAR10Error,
                           .notEnoughRecords(files: [fake.path("test_batch.bin")], requested: 4, available: 3))
        }
    }

    func testClassNamesMustBeTenNonEmptyLines() throws {
        let fake = try FakeCIFAR10(for: self)
        let names = FakeCIFAR10.names
        let path = fake.path("batches.meta.txt")

        try fake.write("batches.meta.txt", Data(names.prefix(9).joined(separator: "\n").utf8))
        XCTAssertThrowsError(try CIFAR10.loadClassNames(from: fake.directory)) { error in
            XCTAssertEqual(error as? CIFAR10Error, .malformedClassNames(path: path, names: Array(names.prefix(9))))
            let message = String(describing: error)
            XCTAssertTrue(message.contains(path) && message.contains("9 lines"), message)
        }

        var withGap = names
        withGap[4] = " "
        try fake.write("batches.meta.txt", Data(withGap.joined(separator: "\n").utf8))
        XCTAssertThrowsError(try CIFAR10.loadClassNames(from: fake.directory)) { error in
            XCTAssertEqual(error as? CIFAR10Error, .malformedClassNames(path: path, names: withGap.map { $0 == " " ? "" : $0 }))
        }

        // Windows line ends, stray spaces and blank lines at the end are accepted.
        try fake.write("batches.meta.txt", Data((names.map { " \($0) " }.joined(separator: "\r\n") + "\r\n\r\n").utf8))
        XCTAssertEqual(try CIFAR10.loadClassNames(from: fake.directory), names)
    }

    // MARK: Finding the data

    func testDirectoryResolutionPrefersExplicitThenEnvironmentThenDefault() {
        let environment = ["CIFAR10_DIR": "/from/environment"]
        XCTAssertEqual(CIFAR10.directory(explicit: "/from/flag", environment: environment).path, "/from/flag")
        XCTAssertEqual(CIFAR10.directory(explicit: nil, environment: environment).path, "/from/environment")
        XCTAssertEqual(CIFAR10.directory(explicit: "", environment: environment).path, "/from/environment",
                       "an empty flag counts as not given")
        let current = FileManager.default.currentDirectoryPath
        XCTAssertEqual(CIFAR10.directory(explicit: nil, environment: [:]).path, current + "/data/cifar-10-batches-bin")
        XCTAssertEqual(CIFAR10.directory(explicit: nil, environment: ["CIFAR10_DIR": ""]).path,
                       current + "/data/cifar-10-batches-bin")
        XCTAssertEqual(CIFAR10.directory(explicit: "relative/cifar", environment: [:]).path, current + "/relative/cifar")
    }

    // MARK: Back to bytes

    func testHWCBytesPutRedGreenBlueOfAPixelTogether() throws {
        let fake = try FakeCIFAR10(for: self)
        let images = try CIFAR10.loadTrainingImages(from: fake.directory, count: 5, recordsPerFile: FakeCIFAR10.recordsPerFile).images
        let bytes = CIFAR10.hwcBytes(row: 4, of: images)
        XCTAssertEqual(bytes.count, 3072)
        for (i, j) in [(0, 0), (0, 1), (1, 0), (17, 29), (31, 31)] {
            let pixel = Array(bytes[(i * 32 + j) * 3 ..< (i * 32 + j) * 3 + 3])
            let written = (0 ..< 3).map { FakeCIFAR10.pixel(record: 4, channel: $0, row: i, column: j) }
            XCTAssertEqual(pixel, written, "pixel (\(i), \(j)) of record 4")
        }
    }

    func testHWCBytesRoundAndClamp() {
        var image = [Double](repeating: 7, count: 3072)
        image[CIFAR10.featureIndex(channel: 0, row: 0, column: 0)] = -3
        image[CIFAR10.featureIndex(channel: 1, row: 0, column: 0)] = 300
        image[CIFAR10.featureIndex(channel: 2, row: 0, column: 0)] = 12.6
        image[CIFAR10.featureIndex(channel: 0, row: 0, column: 1)] = .nan
        image[CIFAR10.featureIndex(channel: 1, row: 0, column: 1)] = 254.4
        let bytes = CIFAR10.hwcBytes(image[...])
        XCTAssertEqual(Array(bytes.prefix(7)), [0, 255, 13, 0, 254, 7, 7])
    }
}
