import ArgumentParser
import Datasets
import Foundation
import GradientCheck
import Pictures

/// The flags every chapter program shares: the seed and where the output goes.
public struct ProgramOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional,
            help: "Seed of every random draw, a whole number 0 or more: the same seed gives the same numbers and pictures.",
            transform: { try ProgramOptions.seed(from: $0) })
    public var seed: UInt64 = 0

    /// `--seed`'s value: a whole number from 0 to 2^64 - 1, or an error saying so and what is wrong
    /// (without it the parser says only that the value is invalid).
    static func seed(from text: String) throws -> UInt64 {
        guard let seed = UInt64(text) else {
            let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
            let whole = !digits.isEmpty && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
            let why = whole ? (text.hasPrefix("-") ? "\(text) is negative" : "\(text) is too large")
                : Double(text) != nil ? "\(text) is not a whole number" : "the value after --seed is not a number"
            // The parser puts "The value '-3' is invalid for '--seed <seed>': " before it.
            throw ValidationError("a seed is a whole number from 0 to \(UInt64.max), e.g. --seed 3, and \(why)")
        }
        return seed
    }

    @Option(name: .long, help: ArgumentHelp(
        "Folder for the pictures and report.md (default: out/<program> in the package folder, one folder per track and preset).",
        valueName: "dir"))
    public var output: String?

    public init() {}

    /// The output folder: the flag (relative to the current folder), or `out/<program>` in the package
    /// folder (``packageDirectory(from:)``), with `-reference` for the reference solutions and
    /// `-<preset>` for a preset such as `--full` or `--quick`, so that two tracks or two presets never
    /// mix their pictures: `out/knn`, `out/knn-reference`, `out/knn-reference-full`.
    ///
    /// - Throws: ``ProgramError/outputNotWritable(path:reason:)`` when no package folder is found for
    ///   the default, or when the folder lies inside one of the package's source folders (SwiftPM would
    ///   then warn about every file in it on each build).
    public func outputDirectory(program: String, track: String, preset: String? = nil) throws -> URL {
        let package = ProgramOptions.packageDirectory()
        let folder: URL
        if let output {
            folder = URL(fileURLWithPath: output, isDirectory: true).standardizedFileURL
        } else {
            guard let package else {
                let current = FileManager.default.currentDirectoryPath
                throw ProgramError.outputNotWritable(path: "out/\(program)", reason: """
                    the workbook's package folder (the one holding Package.swift) is neither \(current) nor above it, \
                    and the default output folder is out/ in it. Run the program from inside the package folder
                    """)
            }
            let name = program + (track == "solutions" ? "-reference" : "") + (preset.map { "-" + $0 } ?? "")
            folder = package.appendingPathComponent("out", isDirectory: true).appendingPathComponent(name, isDirectory: true)
        }
        if let package {
            for source in ProgramOptions.sourceFolders {
                let root = package.appendingPathComponent(source).standardizedFileURL.path
                guard folder.path == root || folder.path.hasPrefix(root + "/") else { continue }
                throw ProgramError.outputNotWritable(path: folder.path, reason: """
                    it is inside \(source)/, a folder SwiftPM builds from, which would warn about every file in it on \
                    each build. Leave out --output to write under out/ in the package folder
                    """)
            }
        }
        return folder
    }

    /// The package's folders of sources, where no output may go.
    static let sourceFolders = ["Sources", "Exercises", "Solutions", "Tests"]

    /// The workbook's package folder: the nearest folder at or above `current` that holds Package.swift
    /// and Sources/ChapterSupport; else the folder this module was built from, if it still holds them
    /// (a program started from elsewhere by its path); else nil.
    public static func packageDirectory(from current: String = FileManager.default.currentDirectoryPath,
                                        builtFrom: String = #filePath) -> URL? {
        func isPackage(_ url: URL) -> Bool {
            FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path)
                && FileManager.default.fileExists(atPath: url.appendingPathComponent("Sources/ChapterSupport").path)
        }
        var folder = URL(fileURLWithPath: current, isDirectory: true).standardizedFileURL
        while true {
            if isPackage(folder) { return folder }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { break }
            folder = parent
        }
        // builtFrom is <package>/Sources/ChapterSupport/ProgramOptions.swift.
        let built = URL(fileURLWithPath: builtFrom).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return isPackage(built) ? built : nil
    }
}

/// The flag of the programs that read CIFAR-10.
public struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The CIFAR-10 binary folder (default: $CIFAR10_DIR, else data/cifar-10-batches-bin).", valueName: "dir"))
    public var data: String?

    public init() {}

    /// The data folder, by the flag, `CIFAR10_DIR` or the default, `data/cifar-10-batches-bin` in the
    /// package folder (or in the current folder when there is no package folder).
    public var directory: URL {
        let chosen = CIFAR10.directory(explicit: data)
        guard data == nil, (ProcessInfo.processInfo.environment[CIFAR10.directoryVariable] ?? "").isEmpty,
              let package = ProgramOptions.packageDirectory() else { return chosen }
        return package.appendingPathComponent(CIFAR10.defaultDirectory, isDirectory: true)
    }
}

/// What a chapter program reports instead of a stack trace.
public enum ProgramError: Error, CustomStringConvertible {
    /// The output folder or a file in it cannot be written.
    case outputNotWritable(path: String, reason: String)
    /// `count` pictures or plots could not be written; `first` says why for the first of them.
    indirect case someFilesNotWritten(first: ProgramError, count: Int)
    /// `cells` cells (or parts of cells) could not run because the exercises `missing` are stubs.
    case exercisesNotImplemented(cells: Int, missing: [NotImplemented], chapterTests: String, program: String)

    public var description: String {
        switch self {
        case let .outputNotWritable(path, reason):
            let reason = reason.hasSuffix(".") ? String(reason.dropLast()) : reason
            return "cannot write \(path): \(reason). Choose another folder with --output DIR."
        case let .someFilesNotWritten(first, count):
            return "\(count) pictures or plots could not be written; the first: \(first)"
        case let .exercisesNotImplemented(cells, missing, chapterTests, program):
            let names = missing.map { "\($0.function) in \($0.file)" }
            return """
                \(cells) cell\(cells == 1 ? "" : "s") did not run: \(names.joined(separator: ", ")) \
                \(missing.count == 1 ? "is" : "are") not implemented yet. Write \(missing.count == 1 ? "it" : "them") \
                (`swift test --filter \(chapterTests)` says when \(missing.count == 1 ? "it is" : "they are") right), \
                then run `swift run -c release \(program)` again.
                """
        }
    }

    /// `.outputNotWritable` for `path` after `error`, with the reason in plain words where the file
    /// system shows one (see ``obstacle(toWriting:)``): the error's own text can be
    /// "NSCocoaErrorDomain error 512" or "The file doesn't exist".
    static func outputNotWritable(_ path: String, after error: Error) -> ProgramError {
        let underlying = (error as? WriteError)?.reason ?? (error as NSError).localizedDescription
        return .outputNotWritable(path: path, reason: obstacle(toWriting: path) ?? underlying)
    }

    /// What keeps `path` (a folder to create, or a file to write) from being written, found by walking
    /// its parents: a file where a folder must be, a folder without write permission, a read-only file
    /// system, or the kernel's /proc or /sys. Nil when none of these is the case.
    static func obstacle(toWriting path: String) -> String? {
        let path = URL(fileURLWithPath: path).standardizedFileURL.path
        var deepestFolder = "/"
        var prefix = ""
        for component in URL(fileURLWithPath: path).pathComponents.dropFirst() {
            prefix += "/" + component
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: prefix, isDirectory: &isFolder) else { break }
            if !isFolder.boolValue {
                // The path itself may be a file that cannot be written; a file above it is in the way.
                return prefix == path ? accessProblem(prefix) ?? "\(prefix) is a file, not a folder"
                                      : "\(prefix) is a file, not a folder"
            }
            deepestFolder = prefix
        }
        if let problem = accessProblem(deepestFolder) { return problem }
        for (root, what) in [("/proc", "processes"), ("/sys", "devices")]
        where deepestFolder == root || deepestFolder.hasPrefix(root + "/") {
            return "\(root) is the kernel's view of its \(what), where no folders can be made"
        }
        return nil
    }

    /// "permission denied …" or "… read-only file system" when `path` cannot be written, else nil.
    private static func accessProblem(_ path: String) -> String? {
        guard access(path, W_OK) != 0 else { return nil }
        switch errno {
        case EROFS: return "\(path) is on a read-only file system"
        case EACCES, EPERM: return "permission denied: you may not write to \(path)"
        default: return "\(path) cannot be written (\(String(cString: strerror(errno))))"
        }
    }
}
