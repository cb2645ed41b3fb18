import Foundation
import XCTest

/// A tiny dataset in the CIFAR-10 binary layout, written by the tests into a fresh temporary folder:
/// the five training files and the test file with `recordsPerFile` records each, and batches.meta.txt.
///
/// The layout is written out here independently of the loader (label byte, then the red, green and
/// blue planes, each 32 x 32 row-major), so that reading it back checks the loader's layout.
/// Training records are numbered across the files (file 2 starts at `recordsPerFile`); test
/// records are numbered from ``testRecordBase``, so that no test image equals a training image.
struct FakeCIFAR10 {
    static let recordsPerFile = 3
    static let testRecordBase = 100
    static let names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    static let trainingFiles = (1...5).map { "data_batch_\($0).bin" }

    let directory: URL

    /// Writes the complete fake dataset into a fresh temporary folder, or into a subfolder `subfolder` of
    /// a fresh temporary folder; the test case deletes the folder when it finishes.
    init(for testCase: XCTestCase, subfolder: String? = nil) throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("FakeCIFAR10-\(UUID().uuidString)", isDirectory: true)
        directory = subfolder.map { folder.appendingPathComponent($0, isDirectory: true) } ?? folder
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        testCase.addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        for (file, name) in Self.trainingFiles.enumerated() {
            let first = file * Self.recordsPerFile
            try write(name, Self.records(first ..< first + Self.recordsPerFile))
        }
        try write("test_batch.bin", Self.records(Self.testRecordBase ..< Self.testRecordBase + Self.recordsPerFile))
        try write("batches.meta.txt", Data((Self.names.joined(separator: "\n") + "\n").utf8))
    }

    /// The pixel byte of record `record`, channel `channel` (0 red, 1 green, 2 blue), row `row`, column `column`.
    static func pixel(record: Int, channel: Int, row: Int, column: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: record * 151 + channel * 67 + row * 13 + column * 5 + row * column)
    }

    /// The label byte of record `record`.
    static func label(record: Int) -> UInt8 { UInt8(record % 10) }

    /// The bytes of `records`, one 3,073-byte record each, in the CIFAR-10 binary layout.
    static func records(_ records: Range<Int>) -> Data {
        var bytes: [UInt8] = []
        for record in records {
            bytes.append(label(record: record))
            for channel in 0 ..< 3 {
                for row in 0 ..< 32 {
                    for column in 0 ..< 32 {
                        bytes.append(pixel(record: record, channel: channel, row: row, column: column))
                    }
                }
            }
        }
        return Data(bytes)
    }

    /// The path of `name` in the fake folder, as the loader's errors report it.
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Replaces the file `name` with `data`.
    func write(_ name: String, _ data: Data) throws {
        try data.write(to: directory.appendingPathComponent(name))
    }

    /// Deletes the file `name`.
    func remove(_ name: String) throws {
        try FileManager.default.removeItem(at: directory.appendingPathComponent(name))
    }

    /// Sets byte `offset` of the file `name` to `value`.
    func setByte(_ name: String, at offset: Int, to value: UInt8) throws {
        let url = directory.appendingPathComponent(name)
        var data = try Data(contentsOf: url)
        data[offset] = value
        try data.write(to: url)
    }
}
