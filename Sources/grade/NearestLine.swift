import Foundation

/// A line for a frame that the backtrace prints without one.
///
/// The backtrace of a loop stopped at the time limit names the instruction where it stood. In a debug
/// build about half of a tight loop's instructions (the copies at the top of the loop, the jump back) are
/// tied to line 0, "no line", in the debug information, and the runtime then prints the file alone: the
/// same loop gave `CrossValidation.swift:21` on one run and `CrossValidation.swift` on the next, whatever
/// the time limit. Such an instruction belongs to the statement that follows it, so the line is the next
/// one that the debug information gives in the same function, read by `llvm-symbolizer` (Swift's
/// toolchain has it beside `swift`).
enum NearestLine {
    /// How far past the instruction to look: a loop's bookkeeping is a few instructions long.
    static let searchBytes: UInt64 = 256

    /// The line of `file` (as the backtrace prints it) at or after `address` in the same function, or nil
    /// when the image is not listed, no `llvm-symbolizer` is found, or it names no line there.
    static func find(address: UInt64, file: String, images: [BacktraceImage]) -> Int? {
        // The address in the file: images are position independent and listed from their first byte.
        guard let image = images.first(where: { $0.start <= address && address <= $0.end }),
              let symbolizer = symbolizer() else { return nil }
        let offset = address - image.start
        let addresses = (0 ..< searchBytes).map { "0x" + String(offset + $0, radix: 16) }
        let process = Process()
        process.executableURL = symbolizer
        process.arguments = ["--obj=\(image.path)", "--no-inlines", "--functions=linkage"] + addresses
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return firstLine(in: String(decoding: output, as: UTF8.self), file: file)
    }

    /// The first line of `file` in llvm-symbolizer's answers (a function line, then `file:line:column`,
    /// then a blank line, per address), among those in the first answer's function.
    static func firstLine(in output: String, file: String) -> Int? {
        let answers = output.components(separatedBy: "\n\n").map { $0.split(separator: "\n") }.filter { $0.count >= 2 }
        guard let function = answers.first?[0] else { return nil }
        for answer in answers {
            guard answer[0] == function else { return nil }          // past the end of the function
            let parts = answer[1].split(separator: ":")
            guard parts.count >= 3, let line = Int(parts[parts.count - 2]) else { continue }
            if line > 0, parts.dropLast(2).joined(separator: ":") == file { return line }
        }
        return nil
    }

    /// `llvm-symbolizer` beside the first `swift` on the PATH (the toolchain's), else the first on the PATH.
    private static func symbolizer() -> URL? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        let files = FileManager.default
        var candidates: [URL] = []
        if let swift = folders.map({ $0.appendingPathComponent("swift") }).first(where: { files.isExecutableFile(atPath: $0.path) }) {
            candidates.append(swift.resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("llvm-symbolizer"))
        }
        candidates += folders.map { $0.appendingPathComponent("llvm-symbolizer") }
        return candidates.first { files.isExecutableFile(atPath: $0.path) }
    }
}
