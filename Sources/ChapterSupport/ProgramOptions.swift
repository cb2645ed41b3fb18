import ArgumentParser
import Datasets
import Foundation
import GradientCheck
import Pictures

/// The flags every chapter program shares: the seed and where the output goes.
public struct ProgramOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional,
            help: "Seed of every random draw, a whole number 0 or more: the same seed gives the same numbers and pictures.")
    public var seed: UInt64 = 0

    @Option(name: .long, help: ArgumentHelp(
        "Folder for the pictures and report.md (default: out/<program>).",
        valueName: "dir"))
    public var output: String?

    public init() {}

    /// The output folder: the flag, or `out/<program>` (`out/<program>-reference` for the reference
    /// solutions, so the two tracks never mix their pictures) in the current directory.
    public func outputDirectory(program: String, track: String) -> URL {
        URL(fileURLWithPath: output ?? (track == "solutions" ? "out/\(program)-reference" : "out/\(program)"), isDirectory: true)
    }
}

/// The flag of the programs that read CIFAR-10.
public struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The CIFAR-10 binary folder (default: $CIFAR10_DIR, else data/cifar-10-batches-bin).", valueName: "dir"))
    public var data: String?

    public init() {}

    /// The data folder, by the flag, `CIFAR10_DIR` or the default.
    public var directory: URL { CIFAR10.directory(explicit: data) }
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
