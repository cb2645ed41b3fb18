import Foundation
import GradientCheck
import Pictures

/// A chapter program run as a notebook: each cell prints a heading and its results to the terminal and
/// adds the same to `report.md`; pictures are written next to the report.
///
/// A cell that needs an exercise that is still a stub ends with a note saying which one to write, and
/// the program goes on with the cells that do not depend on it; at the end ``finish()`` writes the
/// report and, if any cell could not run, fails with the list of exercises to write.
///
/// ```swift
/// let notebook = try Notebook(title: "Chapter 1 · k-nearest neighbours", program: "knn",
///                             options: options, chapterTests: "KNNTests")
/// let data = try notebook.cell("Load CIFAR-10") { cell in … return cifar }   // nil if a stub stopped it
/// try notebook.finish()
/// ```
public final class Notebook {
    private let directory: URL
    private let chapterTests: String
    private let program: String
    fileprivate var report: MarkdownReport
    private var cellCount = 0
    /// The exercises that cells needed and found not implemented, each once, in the order met.
    public private(set) var missing: [NotImplemented] = []
    private var cellsNotRun = 0
    /// Pictures and plots that could not be written: the run goes on without them, and `finish()`
    /// reports the first.
    fileprivate var unwritten: [ProgramError] = []

    /// Prints the title and creates the output folder (at once, so that an unwritable folder is
    /// reported before any long computation).
    ///
    /// - Parameters:
    ///   - title: the report's title.
    ///   - program: the program's name, for the default output folder `out/<program>` and messages.
    ///   - track: the Workbook's `workbookTrack`, "exercises" or "solutions".
    ///   - options: the shared flags (data folder, seed, output folder).
    ///   - chapterTests: the graded suite that checks the exercises the program runs, e.g. "KNNTests".
    ///   - introduction: a paragraph under the title.
    /// - Throws: ``ProgramError/outputNotWritable(path:reason:)``.
    public init(title: String, program: String, track: String, options: ProgramOptions, chapterTests: String,
                introduction: String? = nil) throws {
        // Line by line even into a file or a pipe, so that a crash loses none of what was printed.
        setvbuf(stdout, nil, _IOLBF, 0)
        self.directory = options.outputDirectory(program: program, track: track)
        self.chapterTests = chapterTests
        self.program = program
        let trackName = track == "solutions" ? "the reference solutions" : "your exercises"
        let setting = "Track: \(trackName). Seed: \(options.seed). Output: \(directory.path)."
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let probe = directory.appendingPathComponent(".write-test")
            try Data().write(to: probe)
            try FileManager.default.removeItem(at: probe)
        } catch {
            throw ProgramError.outputNotWritable(directory.path, after: error)
        }
        report = MarkdownReport(title: title)
        if let introduction { report.addParagraph(introduction) }
        report.addParagraph(setting)
        print(title)
        print(String(repeating: "=", count: title.count))
        if let introduction { print(introduction) }
        print(setting)
    }

    /// Runs one cell and returns what it returns, or nil when it needed an exercise that is a stub
    /// (the cell then says which). The report is written after every cell, so any other error stops the
    /// program with the report so far on disk.
    @discardableResult
    public func cell<T>(_ heading: String, _ body: (Cell) throws -> T) throws -> T? {
        cellCount += 1
        let numbered = "\(cellCount). \(heading)"
        print("\n\(numbered)\n\(String(repeating: "-", count: numbered.count))")
        report.addHeading(numbered)
        let cell = Cell(notebook: self)
        let start = Date()
        defer {
            print("(\(format(seconds: Date().timeIntervalSince(start))))")
            _ = try? writeReport()      // after every cell, so the report always matches the pictures beside it
        }
        do {
            return try body(cell)
        } catch let stub as NotImplemented {
            note(stub, in: cell)
            return nil
        }
    }

    /// Records that a cell (or a part of one) needs `stub`, and says so in the cell.
    public func note(_ stub: NotImplemented, in cell: Cell) {
        if !missing.contains(stub) { missing.append(stub) }
        cellsNotRun += 1
        cell.say("Not run: this needs \(stub.function) from \(stub.file), which is not implemented yet " +
                 "(`swift test --filter \(chapterTests)` says when it is right).")
    }

    /// Writes `report.md`; then fails if some cell could not run, naming the exercises to write.
    public func finish() throws {
        let url = try writeReport()
        print("\nWrote \(url.path)")
        fflush(stdout)      // before the error, which goes to standard error, when both go to one pipe
        if let first = unwritten.first {
            throw unwritten.count == 1 ? first : ProgramError.someFilesNotWritten(first: first, count: unwritten.count)
        }
        if !missing.isEmpty {
            throw ProgramError.exercisesNotImplemented(cells: cellsNotRun, missing: missing, chapterTests: chapterTests,
                                                       program: program)
        }
    }

    @discardableResult
    private func writeReport() throws -> URL {
        let url = directory.appendingPathComponent("report.md")
        do {
            try report.write(to: url.path)
        } catch {
            throw ProgramError.outputNotWritable(url.path, after: error)
        }
        return url
    }

    fileprivate func file(_ name: String) -> URL { directory.appendingPathComponent(name) }
}

/// What one cell shows: sentences, tables and pictures, each printed and added to the report.
public final class Cell {
    private unowned let notebook: Notebook

    fileprivate init(notebook: Notebook) { self.notebook = notebook }

    /// A paragraph.
    public func say(_ text: String) {
        print(text)
        notebook.report.addParagraph(text)
    }

    /// A table: aligned columns in the terminal (numbers right-aligned), a Markdown table in the report.
    /// Short rows are padded with empty cells.
    public func table(_ headers: [String], _ rows: [[String]]) {
        let rows = rows.map { $0 + Array(repeating: "", count: max(0, headers.count - $0.count)) }
        let widths = headers.indices.map { c in ([headers] + rows).map { $0[c].count }.max()! }
        func isNumber(_ text: String) -> Bool { Double(text.split(separator: " ").first.map(String.init) ?? "") != nil }
        func line(_ cells: [String]) -> String {
            let padded = cells.prefix(headers.count).enumerated().map { c, text -> String in
                let gap = String(repeating: " ", count: widths[c] - text.count)
                return isNumber(text) ? gap + text : text + gap
            }
            return "  " + padded.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        print(line(headers))
        print(line(widths.map { String(repeating: "-", count: $0) }))
        for row in rows { print(line(row)) }
        notebook.report.addTable(header: headers, rows: rows.map { Array($0.prefix(headers.count)) })
    }

    /// Writes a PNG picture next to the report and shows it there with its caption.
    /// - Throws: ``ProgramError/outputNotWritable(path:reason:)``.
    ///
    /// A file that cannot be written is reported at once and by ``Notebook/finish()``; the run goes
    /// on, so that the cells after it are not lost.
    public func picture(_ image: RGBImage, file: String, caption: String) throws {
        let url = notebook.file(file)
        do {
            try image.write(to: url.path)
        } catch {
            return notWritten(url, after: error)
        }
        shown(file, url, caption)
    }

    /// Writes an SVG plot next to the report and shows it there with its caption.
    public func plot(_ plot: some SVGPlot, file: String, caption: String) throws {
        try svg(plot.makeSVG(), file: file, caption: caption)
    }

    /// Writes an SVG document (a drawing) next to the report and shows it there with its caption;
    /// a file that cannot be written is handled as in ``picture(_:file:caption:)``.
    public func svg(_ document: String, file: String, caption: String) throws {
        let url = notebook.file(file)
        do {
            try document.write(to: url, atomically: true, encoding: .utf8)
        } catch {
            return notWritten(url, after: error)
        }
        shown(file, url, caption)
    }

    private func notWritten(_ url: URL, after underlying: Error) {
        let error = ProgramError.outputNotWritable(url.path, after: underlying)
        notebook.unwritten.append(error)
        say("⚠ \(error) The run goes on without it.")
    }

    private func shown(_ file: String, _ url: URL, _ caption: String) {
        print("→ \(url.path): \(caption)")
        notebook.report.addImage(file, description: caption)
        notebook.report.addParagraph("*\(caption)*")
    }
}
