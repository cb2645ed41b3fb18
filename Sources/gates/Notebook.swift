import Foundation
import GradientCheck

/// The chapter run as a notebook: each cell prints a heading and its results to the terminal and adds
/// the same to `report.md`; pictures are written next to the report.
///
/// A cell that needs an exercise that is still a stub is reported as such and the next cell runs, so a
/// student sees every part that already works.
final class Notebook {
    private let title: String
    private let directory: URL
    private var markdown: [String]
    /// The exercises that cells needed and found not implemented, each once, in the order met.
    private(set) var missing: [NotImplemented] = []
    /// How many cells did not run for that reason.
    private(set) var cellsNotRun = 0

    /// - Throws: ``ProgramError/outputNotWritable(path:reason:)`` when the folder cannot be created.
    init(title: String, outputDirectory: URL, introduction: String) throws {
        self.title = title
        self.directory = outputDirectory
        do {
            try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw ProgramError.outputNotWritable(path: outputDirectory.path, reason: error.localizedDescription)
        }
        markdown = ["# \(title)", "", introduction, ""]
        print(title)
        print(String(repeating: "=", count: title.count))
        print(introduction)
    }

    /// Runs one cell. `NotImplemented` from the student's code ends the cell with a note saying which
    /// exercise to write; any other error stops the program.
    func cell(_ heading: String, _ body: (Cell) throws -> Void) throws {
        print("\n## \(heading)\n")
        markdown += ["## \(heading)", ""]
        let cell = Cell(directory: directory)
        do {
            try body(cell)
        } catch let stub as NotImplemented {
            if !missing.contains(stub) { missing.append(stub) }
            cellsNotRun += 1
            cell.say("Not run: this cell needs \(stub.function) from \(stub.file), which is not implemented yet " +
                     "(`swift test --filter GatesTests` says when it is right).")
        }
        markdown += cell.markdown
    }

    /// Writes `report.md` and returns its location.
    func writeReport() throws -> URL {
        let url = directory.appendingPathComponent("report.md")
        do {
            try markdown.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        } catch {
            throw ProgramError.outputNotWritable(path: url.path, reason: error.localizedDescription)
        }
        return url
    }
}

/// What one cell shows: sentences, tables and pictures, each printed and kept for the report.
final class Cell {
    private let directory: URL
    fileprivate var markdown: [String] = []

    fileprivate init(directory: URL) { self.directory = directory }

    /// A paragraph.
    func say(_ text: String) {
        print(text)
        markdown += [text, ""]
    }

    /// A table: aligned columns in the terminal, a Markdown table in the report.
    func table(_ headers: [String], _ rows: [[String]]) {
        let widths = headers.indices.map { c in ([headers] + rows).map { $0[c].count }.max()! }
        func line(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { $1 + String(repeating: " ", count: widths[$0] - $1.count) }
            return String(padded.joined(separator: "  ").reversed().drop { $0 == " " }.reversed())
        }
        print(line(headers))
        print(line(widths.map { String(repeating: "-", count: $0) }))
        for row in rows { print(line(row)) }
        print()
        // Node names and gate labels hold `*` (multiply), which Markdown would read as emphasis.
        func escaped(_ cell: String) -> String {
            cell.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "*", with: "\\*")
                .replacingOccurrences(of: "_", with: "\\_").replacingOccurrences(of: "|", with: "\\|")
        }
        markdown += ["| " + headers.map(escaped).joined(separator: " | ") + " |", "|" + headers.map { _ in " --- |" }.joined()]
        markdown += rows.map { "| " + $0.map(escaped).joined(separator: " | ") + " |" }
        markdown.append("")
    }

    /// Writes an SVG picture next to the report and shows it there with its caption.
    func svg(_ document: String, file: String, caption: String) throws {
        let url = directory.appendingPathComponent(file)
        do {
            try document.write(to: url, atomically: true, encoding: .utf8)
        } catch {
            throw ProgramError.outputNotWritable(path: url.path, reason: error.localizedDescription)
        }
        print("Wrote \(url.path): \(caption)")
        markdown += ["![\(caption)](\(file))", "", "*\(caption)*", ""]
    }
}

/// What the program reports instead of a stack trace.
enum ProgramError: Error, CustomStringConvertible {
    /// The output folder or a file in it cannot be written.
    case outputNotWritable(path: String, reason: String)
    /// `cells` cells could not run because the exercises `missing` are stubs.
    case exercisesNotImplemented(cells: Int, missing: [NotImplemented])

    var description: String {
        switch self {
        case let .outputNotWritable(path, reason):
            let reason = reason.hasSuffix(".") ? String(reason.dropLast()) : reason
            return "cannot write \(path): \(reason). Choose another folder with --output DIR."
        case let .exercisesNotImplemented(cells, missing):
            let names = missing.map { "\($0.function) in \($0.file)" }
            return """
                \(cells) cell\(cells == 1 ? "" : "s") did not run: \(names.joined(separator: ", ")) \
                \(missing.count == 1 ? "is" : "are") not implemented yet. Write \(missing.count == 1 ? "it" : "them") \
                (`swift test --filter GatesTests` says when they are right), or run the reference solutions: \
                WORKBOOK=solutions swift run gates.
                """
        }
    }
}
