import Foundation

/// What every `write(to:)` in this module throws: PNG images, SVG plots and Markdown reports alike.
///
/// The description names the file and the cause, e.g.
///
///     cannot write /nonexistent/dir/x.png: libpng: No such file or directory (the directory /nonexistent/dir does not exist)
///
/// A failed write leaves nothing behind: files are written to a hidden sibling first and renamed into
/// place only when complete, so an earlier file at `path` survives a failure unchanged.
public struct WriteError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file that could not be written, as the caller gave it.
    public let path: String
    /// Why: libpng's message for PNG files, the system's for text files, and a note on the directory
    /// when it is missing or is not a directory.
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot write \(path): \(reason)" }
}

// MARK: - Writing files whole or not at all

/// Writes the file at `path` by calling `writeTemporary` with a hidden path in the same directory, then
/// renaming that file into place. `writeTemporary` returns nil on success or the reason it failed.
///
/// - Throws: `WriteError` naming `path`, when `writeTemporary` fails or the rename does.
func writeWhole(to path: String, _ writeTemporary: (String) -> String?) throws {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    let temporary = "\(directory)/.\(url.lastPathComponent).\(UUID().uuidString).partial"
    if let reason = writeTemporary(temporary) {
        _ = remove(temporary)
        throw WriteError(path: path, reason: reason + directoryNote(directory))
    }
    if rename(temporary, path) != 0 {
        let reason = systemErrorMessage()
        _ = remove(temporary)
        throw WriteError(path: path, reason: reason + directoryNote(directory))
    }
}

/// Writes `text` as UTF-8 to `path`, whole or not at all (see ``writeWhole(to:_:)``).
///
/// - Throws: `WriteError` naming `path` and the system's reason.
func writeText(_ text: String, to path: String) throws {
    try writeWhole(to: path) { temporary in
        guard let file = fopen(temporary, "wb") else { return systemErrorMessage() }
        let bytes = Array(text.utf8)
        let written = fwrite(bytes, 1, bytes.count, file)
        let failure = written == bytes.count ? nil : systemErrorMessage()
        if fclose(file) != 0 { return failure ?? systemErrorMessage() }
        return failure
    }
}

/// The C library's text for the current `errno`, e.g. "Permission denied"; a full device or quota in
/// plain words ("no space left on the device").
func systemErrorMessage() -> String {
    let code = errno
    return plainSystemReason(code) ?? String(cString: strerror(code))
}

/// "no space left on the device" for ENOSPC, and the quota's words for EDQUOT; else nil.
func plainSystemReason(_ code: Int32) -> String? {
    switch code {
    case ENOSPC: return "no space left on the device"
    case EDQUOT: return "no space left on the device within your disk quota"
    default: return nil
    }
}

/// " (the directory D does not exist)" or " (D is not a directory)" when that explains a failure; else "".
private func directoryNote(_ directory: String) -> String {
    var isDirectory: ObjCBool = false
    if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
        return " (the directory \(directory) does not exist)"
    }
    return isDirectory.boolValue ? "" : " (\(directory) is not a directory)"
}
