import Foundation

/// A Markdown document built block by block: the `report.md` a chapter program writes next to its
/// pictures, readable as plain text and rendered by GitHub, editors and notebooks.
///
/// ```swift
/// var report = MarkdownReport(title: "k-nearest neighbours")
/// report.addParagraph("5,000 training and 500 test images; k chosen by 5-fold cross-validation.")
/// report.addTable(header: ["k", "accuracy"], rows: [["1", "0.274"], ["10", "0.282"]])
/// report.addImage("cross-validation.svg", description: "Cross-validation accuracy for each k")
/// try report.write(to: "out/knn/report.md")
/// ```
///
/// Blocks are separated by blank lines. Numbers in tables are formatted by the caller, so a report
/// shows exactly the digits the program printed.
public struct MarkdownReport: Sendable {
    /// The blocks so far, each as Markdown text without the blank lines between them.
    public private(set) var blocks: [String] = []

    /// A report that starts with `title` as a level-1 heading, if given.
    public init(title: String? = nil) {
        if let title { addHeading(title, level: 1) }
    }

    /// A heading, `#` (level 1) to `######` (level 6). Line breaks in `text` become spaces.
    /// - Precondition: `level` is 1...6.
    public mutating func addHeading(_ text: String, level: Int = 2) {
        precondition((1 ... 6).contains(level), "MarkdownReport.addHeading: level \(level) is not 1...6")
        blocks.append(String(repeating: "#", count: level) + " " + oneLine(text))
    }

    /// A paragraph of Markdown text, written as given (so `*emphasis*` and `code` spans work).
    public mutating func addParagraph(_ text: String) {
        blocks.append(text)
    }

    /// A table with a header row. Cells are plain text: `|`, `*`, `_` and `\\` are escaped (gate labels
    /// such as `x*y` would otherwise turn into emphasis) and line breaks become spaces.
    /// - Precondition: `header` is not empty and every row has `header.count` cells.
    public mutating func addTable(header: [String], rows: [[String]]) {
        precondition(!header.isEmpty, "MarkdownReport.addTable: the header has no columns")
        for (index, row) in rows.enumerated() {
            precondition(row.count == header.count,
                         "MarkdownReport.addTable: row \(index) has \(row.count) cells, the header \(header.count)")
        }
        func line(_ cells: [String]) -> String {
            "| " + cells.map { cell in
                ["\\", "|", "*", "_"].reduce(oneLine(cell)) { $0.replacingOccurrences(of: $1, with: "\\" + $1) }
            }.joined(separator: " | ") + " |"
        }
        let rule = "|" + String(repeating: " --- |", count: header.count)
        blocks.append(([line(header), rule] + rows.map(line)).joined(separator: "\n"))
    }

    /// An image, e.g. a grid or a plot written next to the report.
    ///
    /// - Parameters:
    ///   - relativePath: the picture's path relative to the report's directory (e.g. `"neighbours.png"`);
    ///     spaces and parentheses are percent-encoded so the link survives Markdown.
    ///   - description: the alternative text, shown when the picture cannot be.
    public mutating func addImage(_ relativePath: String, description: String) {
        let alternative = oneLine(description).replacingOccurrences(of: "[", with: "\\[").replacingOccurrences(of: "]", with: "\\]")
        var link = ""
        for character in relativePath {
            switch character {
            case " ": link += "%20"
            case "(": link += "%28"
            case ")": link += "%29"
            case "<": link += "%3C"
            case ">": link += "%3E"
            default: link.append(character)
            }
        }
        blocks.append("![\(alternative)](\(link))")
    }

    /// A fenced code block, e.g. the command that reproduces the run. The fence is longer than any run
    /// of backticks inside `code`, so the block cannot end early.
    public mutating func addCodeBlock(_ code: String, language: String = "") {
        var longestRun = 0
        var run = 0
        for character in code {
            run = character == "`" ? run + 1 : 0
            longestRun = max(longestRun, run)
        }
        let fence = String(repeating: "`", count: max(3, longestRun + 1))
        let body = code.hasSuffix("\n") ? String(code.dropLast()) : code
        blocks.append(fence + oneLine(language) + "\n" + body + "\n" + fence)
    }

    /// The whole document: the blocks separated by blank lines, ending with a line break.
    public var markdown: String {
        blocks.joined(separator: "\n\n") + "\n"
    }

    /// Writes ``markdown`` to `path` as UTF-8, creating the directory (and its parents) if needed.
    /// - Throws: `WriteError` naming `path` and the reason (the directory cannot be created, the file
    ///   cannot be written); nothing is left at `path` after a failure.
    public func write(to path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw WriteError(path: path, reason: "cannot create the directory \(directory): \(systemReason(error))")
        }
        try writeText(markdown, to: path)
    }
}

/// `text` on one line: each line break becomes a space.
private func oneLine(_ text: String) -> String {
    text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: " ")
}

/// The operating system's words for a Foundation file error (e.g. "Not a directory"), which are
/// clearer than Foundation's own generic description.
private func systemReason(_ error: Error) -> String {
    guard let underlying = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? Error).map({ $0 as NSError }),
          underlying.domain == NSPOSIXErrorDomain else { return error.localizedDescription }
    return String(cString: strerror(Int32(underlying.code)))
}
