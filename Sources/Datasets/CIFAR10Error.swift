import Foundation

/// What can go wrong while finding and reading the CIFAR-10 binary files.
///
/// Every case names the file (or folder) it is about, by the path the loader tried, and its
/// `description` is a message for the person at the keyboard: what was found, and what to do next.
/// Records are numbered from 0 within their file, as the dataset's own documentation numbers them.
public enum CIFAR10Error: Error, CustomStringConvertible, Equatable {
    /// No directory exists at `path`: the data was never downloaded, or the path points elsewhere.
    case directoryNotFound(path: String)
    /// The directory exists but the file at `path` is missing (an incomplete download or copy).
    case fileNotFound(path: String)
    /// The directory at `path` lacks a CIFAR-10 file but has a subfolder `subfolder` named
    /// cifar-10-batches-bin: the path points at the folder that holds the data, not at the data.
    case dataInSubfolder(path: String, subfolder: String)
    /// The folder at `path` holds the Python version of CIFAR-10 (pickled batches such as data_batch_1,
    /// from cifar-10-python.tar.gz), which this workbook does not read.
    case pythonVersion(path: String)
    /// The file at `path` exists but could not be read; `reason` is what the system said.
    case unreadableFile(path: String, reason: String)
    /// The file at `path` is `byteCount` bytes long, which is not a whole number of 3,073-byte records.
    case truncatedFile(path: String, byteCount: Int)
    /// The file at `path` holds `records` whole records where every CIFAR-10 batch holds `expected`:
    /// a copy or download cut short at a record boundary, or another dataset.
    case wrongRecordCount(path: String, records: Int, expected: Int)
    /// The `files`, read in order, hold only `available` records but `requested` were asked for.
    case notEnoughRecords(files: [String], requested: Int, available: Int)
    /// Record `record` (from 0) of the file at `path` has a label byte `label` outside 0...9.
    case labelOutOfRange(path: String, record: Int, label: Int)
    /// The class-name file at `path` does not hold 10 non-empty names, one per line; `names` are
    /// its lines, trimmed, without trailing blank lines.
    case malformedClassNames(path: String, names: [String])

    public var description: String {
        switch self {
        case let .directoryNotFound(path):
            // The default folder is relative to the current one: from a subfolder it is not found.
            let current = FileManager.default.currentDirectoryPath
            let relative = path == URL(fileURLWithPath: current).appendingPathComponent(CIFAR10.defaultDirectory).path
            let elsewhere = !relative || FileManager.default.fileExists(atPath: current + "/Package.swift") ? "" : """
                 (You are in \(current), which is not inside the package folder, the one holding Package.swift: \
                the default data folder is data/ in it, so run the programs from there or give --data.)
                """
            return """
                CIFAR-10 not found: there is no directory at \(path). Download the data with \
                `bash data/get_datasets.sh` (run from the package folder), or point the CIFAR10_DIR \
                environment variable or the --data flag at an existing cifar-10-batches-bin folder.
                """ + CIFAR10Error.environmentNote(path) + elsewhere
        case let .pythonVersion(path):
            return """
                \(path) holds the Python version of CIFAR-10: this workbook reads the binary version \
                (cifar-10-batches-bin, with data_batch_1.bin ... test_batch.bin, from cifar-10-binary.tar.gz). \
                Download it with `bash data/get_datasets.sh`, or point CIFAR10_DIR or --data at a binary copy.
                """ + CIFAR10Error.environmentNote(path)
        case let .fileNotFound(path):
            return """
                CIFAR-10 is incomplete: \(path) is missing. Run `bash data/get_datasets.sh` to \
                download and unpack it again, or point CIFAR10_DIR or --data at a complete copy.
                """ + CIFAR10Error.environmentNote(URL(fileURLWithPath: path).deletingLastPathComponent().path)
        case let .dataInSubfolder(path, subfolder):
            return """
                CIFAR-10 not found in \(path): the data files are not there, but a \(CIFAR10.folderName) \
                folder is. Point the --data flag or the CIFAR10_DIR environment variable at \(subfolder) instead.
                """
        case let .unreadableFile(path, reason):
            return """
                Could not read \(path): \(reason). Check that the file is readable by you, or run \
                `bash data/get_datasets.sh` to unpack a fresh copy.
                """
        case let .truncatedFile(path, byteCount):
            return """
                \(path) has \(byteCount) bytes, which is not a whole number of \(CIFAR10.recordSize)-byte \
                records (1 label byte and \(CIFAR10.featureCount) pixel bytes each): the file is truncated, \
                or it is not from the CIFAR-10 binary version (cifar-10-binary.tar.gz). Run \
                `bash data/get_datasets.sh` to unpack a fresh copy.
                """
        case let .wrongRecordCount(path, records, expected):
            let cause = records < expected
                ? "the file was cut short, by an interrupted download or copy"
                : "the file is not from the CIFAR-10 binary version"
            return """
                \(path) holds \(records) records, but every CIFAR-10 batch file holds \(expected) \
                (\(expected * CIFAR10.recordSize) bytes): \(cause). Run `bash data/get_datasets.sh` to unpack \
                a fresh copy.
                """
        case let .notEnoughRecords(files, requested, available):
            let which = files.count == 1 ? files[0] : "the \(files.count) files \(files.first!) ... \(files.last!)"
            return """
                Asked for \(requested) records, but \(which) hold\(files.count == 1 ? "s" : "") only \(available). \
                Ask for at most \(available).
                """
        case let .labelOutOfRange(path, record, label):
            return """
                \(path), record \(record) (counting from 0): label \(label) is outside 0...\(CIFAR10.classCount - 1). \
                The file is damaged or is not from CIFAR-10 (CIFAR-100's records have two label bytes); \
                run `bash data/get_datasets.sh` to unpack a fresh copy.
                """
        case let .malformedClassNames(path, names):
            let nonEmpty = names.filter { !$0.isEmpty }.count
            return """
                \(path) should hold the \(CIFAR10.classCount) class names, one per line, but has \
                \(names.count) lines of which \(nonEmpty) are non-empty. Restore it with \
                `bash data/get_datasets.sh`; the expected names are \
                \(CIFAR10.standardClassNames.joined(separator: ", ")).
                """
        }
    }

    /// " (The path came from the CIFAR10_DIR environment variable …)" when `path` is where CIFAR10_DIR
    /// points, so that a stale setting in a shell profile is found; else "".
    static func environmentNote(_ path: String,
                                environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        guard let value = environment[CIFAR10.directoryVariable], !value.isEmpty,
              URL(fileURLWithPath: value).standardizedFileURL.path == URL(fileURLWithPath: path).standardizedFileURL.path
        else { return "" }
        return """
             (The path came from the \(CIFAR10.directoryVariable) environment variable, which the programs read when \
            --data is not given: correct it, or `unset \(CIFAR10.directoryVariable)` to use \(CIFAR10.defaultDirectory).)
            """
    }
}
