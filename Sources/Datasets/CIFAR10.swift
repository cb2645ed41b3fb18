import Foundation
import LinearAlgebra

/// The CIFAR-10 images, loaded from the dataset's binary version: training and test images as
/// `Double` matrices with their labels, and the class names.
///
/// CIFAR-10 holds 60,000 colour images of 32 x 32 pixels in 10 classes (airplane ... truck):
/// 50,000 for training in five files of 10,000, and 10,000 for testing.
/// This file is the one place that knows the binary layout: each file is a sequence of
/// 3,073-byte records without a header, a record being 1 label byte (0...9) and then 3,072 pixel
/// bytes: the red plane, the green plane and the blue plane, 1,024 bytes each, every plane 32 x 32
/// row-major (its first 32 bytes are the top row).
///
/// An image becomes one row of D = 3,072 features in that same order (channel, row, column), so
/// feature `c * 1024 + i * 32 + j` is channel c of the pixel in row i, column j; see
/// ``featureIndex(channel:row:column:)``. Pixels are converted from bytes to `Double` (0...255) once,
/// here; nothing else in the workbook does arithmetic on bytes.
///
/// ```swift
/// let directory = CIFAR10.directory(explicit: options.data)          // --data, CIFAR10_DIR or the default
/// let cifar = try CIFAR10(directory: directory, trainCount: 5_000, testCount: 500)  // the kNN subsample
/// cifar.train.images   // (5000, 3072), bytes 0...255 as Double
/// ```
///
/// Source: Krizhevsky (2009), "Learning Multiple Layers of Features from Tiny Images", and the
/// dataset's description of its binary version; the course's data-loading notes for the subsamples.
public struct CIFAR10: Sendable {
    /// The first `trainCount` training images, in file order: images (trainCount, 3072), labels 0...9.
    public let train: LabeledImages
    /// The first `testCount` test images, in file order: images (testCount, 3072), labels 0...9.
    public let test: LabeledImages
    /// The 10 class names read from batches.meta.txt; `classNames[label]` names a label.
    public let classNames: [String]

    /// Loads the class names, the first `trainCount` training records and the first `testCount` test
    /// records from `directory`, reading only the files and bytes those records need.
    ///
    /// Training records are read across data_batch_1.bin ... data_batch_5.bin in order, so
    /// `trainCount: 15_000` is all of batch 1 and the first half of batch 2. The whole dataset takes
    /// about 1.5 GB as `Double` (60,000 x 3,072 x 8 bytes); the course's kNN subsample is 5,000 / 500.
    ///
    /// - Parameters:
    ///   - directory: the folder holding the binary files, e.g. from ``directory(explicit:environment:)``.
    ///   - trainCount: how many training records to load, 0...50,000 for the real dataset.
    ///   - testCount: how many test records to load, 0...10,000 for the real dataset.
    ///   - recordsPerFile: the records every binary file must hold, 10,000 in the real dataset; a
    ///     file of another length is reported even when it ends on a record boundary (a copy cut
    ///     short). Tests pass the size of their small fake files.
    /// - Throws: ``CIFAR10Error``: `.directoryNotFound`, `.fileNotFound` (`.dataInSubfolder` when the
    ///   folder holds cifar-10-batches-bin instead), `.unreadableFile`, `.truncatedFile`,
    ///   `.wrongRecordCount`, `.notEnoughRecords`, `.labelOutOfRange` or `.malformedClassNames`.
    /// - Precondition: the counts are not negative.
    public init(directory: URL, trainCount: Int = CIFAR10.trainingRecordCount,
                testCount: Int = CIFAR10.testRecordCount, recordsPerFile: Int = CIFAR10.recordsPerFile) throws {
        classNames = try CIFAR10.loadClassNames(from: directory)
        train = try CIFAR10.loadTrainingImages(from: directory, count: trainCount, recordsPerFile: recordsPerFile)
        test = try CIFAR10.loadTestImages(from: directory, count: testCount, recordsPerFile: recordsPerFile)
    }
}

// MARK: - Layout

extension CIFAR10 {
    /// Image height H and width W, in pixels.
    public static let imageHeight = 32
    public static let imageWidth = 32
    /// Colour channels C: red, green, blue, in that order.
    public static let channelCount = 3
    /// Pixels in one channel plane, H * W = 1,024.
    public static let pixelsPerChannel = imageHeight * imageWidth
    /// Features D of one flattened image, C * H * W = 3,072.
    public static let featureCount = channelCount * pixelsPerChannel
    /// Bytes in one record of a binary file: 1 label byte and D pixel bytes, 3,073.
    public static let recordSize = 1 + featureCount
    /// Number of classes; labels are 0 ..< classCount.
    public static let classCount = 10
    /// Records in each file of the official dataset.
    public static let recordsPerFile = 10_000
    /// Training records in the official dataset, 5 files x 10,000.
    public static let trainingRecordCount = 50_000
    /// Test records in the official dataset.
    public static let testRecordCount = 10_000

    /// The training files, in the order their records are numbered.
    public static let trainingFileNames = (1...5).map { "data_batch_\($0).bin" }
    /// The test file.
    public static let testFileName = "test_batch.bin"
    /// The class names, one per line.
    public static let classNamesFileName = "batches.meta.txt"

    /// The 10 class names in label order, as the dataset defines them.
    public static let standardClassNames = [
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    ]

    /// The column of an image row that holds channel `channel` (0 red, 1 green, 2 blue) of the pixel
    /// in row `row`, column `column`: `channel * 1024 + row * 32 + column`.
    /// - Precondition: the channel is 0...2 and the row and column are 0...31.
    public static func featureIndex(channel: Int, row: Int, column: Int) -> Int {
        require((0 ..< channelCount).contains(channel) && (0 ..< imageHeight).contains(row)
                        && (0 ..< imageWidth).contains(column),
                     "CIFAR10.featureIndex: (channel \(channel), row \(row), column \(column)) is outside (3, 32, 32)")
        return channel * pixelsPerChannel + row * imageWidth + column
    }
}

// MARK: - Finding the data

extension CIFAR10 {
    /// The environment variable that names the data folder when no explicit path is given.
    public static let directoryVariable = "CIFAR10_DIR"
    /// The name of the folder the binary version unpacks to (cifar-10-binary.tar.gz).
    public static let folderName = "cifar-10-batches-bin"
    /// The folder the Python version of CIFAR-10 unpacks to (pickles, which this loader does not read).
    public static let pythonFolderName = "cifar-10-batches-py"
    /// The data folder used when neither an explicit path nor ``directoryVariable`` is given,
    /// relative to the current directory: where `bash data/get_datasets.sh` unpacks the data.
    public static let defaultDirectory = "data/" + folderName

    /// The folder to load CIFAR-10 from: `explicit` (a program's `--data DIR` flag) if given, else the
    /// `CIFAR10_DIR` environment variable, else `data/cifar-10-batches-bin`. Relative paths are
    /// resolved against the current directory; an empty string counts as not given.
    ///
    /// Nothing is checked here: loading reports a missing folder as ``CIFAR10Error/directoryNotFound(path:)``.
    /// - Parameters:
    ///   - explicit: a path the user typed, or `nil`.
    ///   - environment: the variables to consult; the process's own by default.
    public static func directory(explicit: String? = nil,
                                 environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let given = [explicit, environment[directoryVariable]].compactMap { $0 }.first { !$0.isEmpty }
        return URL(fileURLWithPath: given ?? defaultDirectory, isDirectory: true)
    }
}

// MARK: - Loading

extension CIFAR10 {
    /// The first `count` training records, read across data_batch_1.bin ... data_batch_5.bin in order.
    ///
    /// Only the files that hold those records are opened, and only their first bytes are read.
    /// - Returns: images (count, 3072) with pixel bytes 0...255 as `Double`, and `count` labels 0...9.
    /// Every file opened must hold exactly `recordsPerFile` records (10,000 in the real dataset).
    /// - Throws: ``CIFAR10Error``: `.directoryNotFound`, `.fileNotFound` (or `.dataInSubfolder`),
    ///   `.unreadableFile`, `.truncatedFile`, `.wrongRecordCount`, `.notEnoughRecords` (naming how
    ///   many the files hold) or `.labelOutOfRange`.
    /// - Precondition: `count >= 0`.
    public static func loadTrainingImages(from directory: URL, count: Int = trainingRecordCount,
                                          recordsPerFile: Int = recordsPerFile) throws -> LabeledImages {
        try loadRecords(files: trainingFileNames, in: directory, count: count, recordsPerFile: recordsPerFile)
    }

    /// The first `count` records of test_batch.bin, which must hold exactly `recordsPerFile` records.
    /// - Returns: images (count, 3072) with pixel bytes 0...255 as `Double`, and `count` labels 0...9.
    /// - Throws: ``CIFAR10Error``, as ``loadTrainingImages(from:count:recordsPerFile:)``.
    /// - Precondition: `count >= 0`.
    public static func loadTestImages(from directory: URL, count: Int = testRecordCount,
                                      recordsPerFile: Int = recordsPerFile) throws -> LabeledImages {
        try loadRecords(files: [testFileName], in: directory, count: count, recordsPerFile: recordsPerFile)
    }

    /// The class names in batches.meta.txt: exactly 10 non-empty lines, in label order. Surrounding
    /// spaces, Windows line ends and blank lines at the end of the file are ignored.
    /// - Throws: ``CIFAR10Error``: `.directoryNotFound`, `.fileNotFound` (or `.dataInSubfolder`),
    ///   `.unreadableFile` or `.malformedClassNames`.
    public static func loadClassNames(from directory: URL) throws -> [String] {
        let url = try existingFile(classNamesFileName, in: directory)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CIFAR10Error.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CIFAR10Error.unreadableFile(path: url.path, reason: "the file is not UTF-8 text")
        }
        var names = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        while names.last?.isEmpty == true { names.removeLast() }
        guard names.count == classCount, !names.contains(where: \.isEmpty) else {
            throw CIFAR10Error.malformedClassNames(path: url.path, names: names)
        }
        return names
    }

    /// Reads the first `count` records of `files` (in order) into one (count, 3072) matrix.
    ///
    /// First every needed file is checked (present, exactly `recordsPerFile` whole records) and the
    /// number of records to take from each is planned; then each file's prefix is read in one call and
    /// its bytes converted straight into the matrix's storage, validating each label on the way.
    private static func loadRecords(files: [String], in directory: URL, count: Int, recordsPerFile: Int) throws -> LabeledImages {
        require(count >= 0, "CIFAR10: cannot load a negative number of records (\(count))")
        var plan: [(url: URL, records: Int)] = []
        var available = 0
        for name in files where available < count {
            let url = try existingFile(name, in: directory)
            let byteCount = try size(of: url)
            guard byteCount % recordSize == 0 else {
                throw CIFAR10Error.truncatedFile(path: url.path, byteCount: byteCount)
            }
            let records = byteCount / recordSize
            guard records == recordsPerFile else {
                throw CIFAR10Error.wrongRecordCount(path: url.path, records: records, expected: recordsPerFile)
            }
            plan.append((url, Swift.min(records, count - available)))
            available += records
        }
        guard available >= count else {
            throw CIFAR10Error.notEnoughRecords(files: plan.map(\.url.path), requested: count, available: available)
        }

        var labels: [Int] = []
        labels.reserveCapacity(count)
        let pixels = try [Double](unsafeUninitializedCapacity: count * featureCount) { output, initialized in
            initialized = 0
            for (url, records) in plan {
                let bytes = try read(records * recordSize, bytesFrom: url)
                try bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                    let file = raw.bindMemory(to: UInt8.self)
                    for record in 0 ..< records {
                        let start = record * recordSize
                        let label = Int(file[start])
                        guard label < classCount else {
                            throw CIFAR10Error.labelOutOfRange(path: url.path, record: record, label: label)
                        }
                        labels.append(label)
                        let row = output.baseAddress! + initialized
                        for k in 0 ..< featureCount { (row + k).initialize(to: Double(file[start + 1 + k])) }
                        initialized += featureCount
                    }
                }
            }
        }
        return LabeledImages(images: Matrix(rows: count, cols: featureCount, pixels), labels: labels)
    }

    /// The URL of `name` in `directory`, after checking that both exist. A missing file in a folder
    /// with a cifar-10-batches-bin subfolder is reported as `.dataInSubfolder`: the path is one level up.
    private static func existingFile(_ name: String, in directory: URL) throws -> URL {
        guard isDirectory(directory) else {
            throw CIFAR10Error.directoryNotFound(path: directory.path)
        }
        let url = directory.appendingPathComponent(name, isDirectory: false)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            let subfolder = directory.appendingPathComponent(folderName, isDirectory: true)
            if self.isDirectory(subfolder) {
                throw CIFAR10Error.dataInSubfolder(path: directory.path, subfolder: subfolder.path)
            }
            // The Python version's pickles (data_batch_1, batches.meta), in the folder or in its
            // cifar-10-batches-py subfolder: the right dataset in the wrong format.
            let python = directory.appendingPathComponent(pythonFolderName, isDirectory: true)
            for folder in [directory, python] where holdsPythonVersion(folder) {
                throw CIFAR10Error.pythonVersion(path: folder.path)
            }
            throw CIFAR10Error.fileNotFound(path: url.path)
        }
        return url
    }

    /// Whether `folder` holds the files of CIFAR-10's Python version (pickled batches without `.bin`).
    private static func holdsPythonVersion(_ folder: URL) -> Bool {
        ["data_batch_1", "test_batch", "batches.meta"].contains {
            FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
        }
    }

    /// Whether a folder (or a symbolic link to one) exists at `url`.
    private static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The size of the file at `url`, in bytes; a symbolic link is measured by the file it points to.
    private static func size(of url: URL) throws -> Int {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: url.resolvingSymlinksInPath().path)
        } catch {
            throw CIFAR10Error.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        guard let size = attributes[.size] as? NSNumber else {
            throw CIFAR10Error.unreadableFile(path: url.path, reason: "its size is unknown")
        }
        return size.intValue
    }

    /// The first `byteCount` bytes of the file at `url`, read in one call.
    private static func read(_ byteCount: Int, bytesFrom url: URL) throws -> Data {
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            data = try handle.read(upToCount: byteCount) ?? Data()
        } catch {
            throw CIFAR10Error.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        guard data.count == byteCount else {
            throw CIFAR10Error.unreadableFile(
                path: url.path, reason: "it ended after \(data.count) of the \(byteCount) bytes expected")
        }
        return data
    }
}

// MARK: - Back to bytes, for pictures

extension CIFAR10 {
    /// An image row turned back into bytes in height-width-channel (HWC) order: 32 x 32 pixels
    /// row-major, each pixel's red, green and blue together, `[r, g, b, r, g, b, ...]`, 3,072 bytes.
    /// This is the order PNG writers expect.
    ///
    /// Values are rounded to the nearest integer and clamped to 0...255 (so a mean-subtracted image
    /// must have the mean added back first, or be rescaled); NaN becomes 0.
    /// - Parameter image: one image's features in the loader's channel-plane order, 3,072 values,
    ///   e.g. `images.rowSlice(i)`.
    /// - Precondition: `image.count == 3072`.
    public static func hwcBytes(_ image: ArraySlice<Double>) -> [UInt8] {
        require(image.count == featureCount,
                     "CIFAR10.hwcBytes: an image has \(featureCount) features, not \(image.count)")
        return image.withUnsafeBufferPointer { planes in
            var bytes = [UInt8](repeating: 0, count: featureCount)
            for pixel in 0 ..< pixelsPerChannel {
                for channel in 0 ..< channelCount {
                    let value = planes[channel * pixelsPerChannel + pixel].rounded()
                    bytes[pixel * channelCount + channel] = value.isNaN ? 0 : UInt8(Swift.min(Swift.max(value, 0), 255))
                }
            }
            return bytes
        }
    }

    /// Row `row` of an image matrix (N, 3072) as HWC bytes; see ``hwcBytes(_:)``.
    /// - Precondition: `0 <= row < images.rows` and `images.cols == 3072`.
    public static func hwcBytes(row: Int, of images: Matrix) -> [UInt8] {
        hwcBytes(images.rowSlice(row))
    }
}
