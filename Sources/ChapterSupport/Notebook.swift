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
/// A run writes into a hidden folder beside its output folder (`out/.knn.running-<pid>`) and
/// ``finish()`` moves it into place, so the output folder always holds one complete run: the last.
/// A run that stops early, by an error in a cell, by leaving its `run()` without ``finish()``, or by
/// Ctrl-C (SIGINT or SIGTERM), leaves the output folder as it was and keeps its partial report, with
/// the reason at its end, in `<output>.failed` beside it; when that folder holds an earlier stopped
/// run's checkpoint and this run wrote none, it stays whole and the partial report goes to
/// `<output>.failed-last`, so that nothing a later run could start from is lost.
///
/// ```swift
/// let notebook = try Notebook(title: "Chapter 1 · k-nearest neighbours", program: "knn",
///                             options: options, chapterTests: "KNNTests")
/// let data = try notebook.cell("Load CIFAR-10") { cell in … return cifar }   // nil if a stub stopped it
/// try notebook.finish()
/// ```
public final class Notebook {
    /// Where the run's report and pictures end up.
    public let directory: URL
    /// Where they are written while the run lasts (a hidden sibling of ``directory``).
    public let workingDirectory: URL
    /// Where a run that stops early leaves its partial report: ``directory`` with `.failed` appended.
    public var failedDirectory: URL { Notebook.sibling(of: directory, ending: ".failed") }
    /// Where a run that stops early leaves its partial report when ``failedDirectory`` holds an earlier
    /// stopped run's own files (a checkpoint) and this run wrote none: ``directory`` with `.failed-last` appended.
    public var lastFailedDirectory: URL { Notebook.sibling(of: directory, ending: ".failed-last") }

    /// The folder beside `folder` named as it is with `ending` appended.
    private static func sibling(of folder: URL, ending: String) -> URL {
        folder.deletingLastPathComponent().appendingPathComponent(folder.lastPathComponent + ending)
    }
    private let chapterTests: String
    private let program: String
    fileprivate var report: MarkdownReport
    private var cellCount = 0
    private var currentCell = ""
    /// The exercises that cells needed and found not implemented, each once, in the order met.
    public private(set) var missing: [NotImplemented] = []
    /// The cells (by number) that a stub stopped, in whole or in part.
    private var cellsNotRun: Set<Int> = []
    /// The cell that last noted a stub, and the stub: what a later cell that needs its result waits for
    /// (``cellNotRun(_:needs:waitingFor:)``).
    public private(set) var lastNote: StubNote?
    private var currentHeading = ""
    /// Pictures and plots that could not be written: the run goes on without them, and `finish()`
    /// reports the first.
    fileprivate var unwritten: [ProgramError] = []
    private enum State { case running, finished, stopped }
    private var state = State.running
    /// True while ``stop(reason:)`` writes the last report into the working folder.
    private var stopping = false
    /// The last line a stopped run printed (where its partial report and its own files are), nil
    /// while it runs or once it has finished.
    public private(set) var stopMessage: String?
    /// The names handed out by ``fileURL(_:)`` (checkpoints, weights), which a stopped run's last line names.
    private var ownFiles: [String] = []
    /// Set by ``continuesStoppedRun()``.
    private var continuedStoppedRun = false
    /// The line ``finish()`` prints when it keeps ``failedDirectory``, for the program's tests.
    public private(set) var keptStoppedRunMessage: String?
    /// Guards the report, the state and the folders against the interrupt handler's thread.
    fileprivate let lock = NSRecursiveLock()

    /// The marker file every run folder holds: only a folder with it (or an empty one, or one of
    /// earlier runs that holds only a report and pictures) is ever replaced.
    static let marker = ".workbook-run"

    /// Prints the title and creates the output folder (at once, so that an unwritable folder is
    /// reported before any long computation).
    ///
    /// - Parameters:
    ///   - title: the report's title.
    ///   - program: the program's name, for the default output folder `out/<program>` and messages.
    ///   - track: the Workbook's `workbookTrack`, "exercises" or "solutions".
    ///   - options: the shared flags (data folder, seed, output folder).
    ///   - chapterTests: the graded suite that checks the exercises the program runs, e.g. "KNNTests".
    ///   - preset: the run's preset ("full", "quick"), nil for the default run: each preset has its own
    ///     default output folder (see ``ProgramOptions/outputDirectory(program:track:preset:)``).
    ///   - introduction: a paragraph under the title.
    /// - Throws: ``ProgramError/outputNotWritable(path:reason:)``.
    public init(title: String, program: String, track: String, options: ProgramOptions, chapterTests: String,
                preset: String? = nil, introduction: String? = nil) throws {
        // Line by line even into a file or a pipe, so that a crash loses none of what was printed.
        setvbuf(stdout, nil, _IOLBF, 0)
        keepFreedMemoryForReuse()
        self.directory = try options.outputDirectory(program: program, track: track, preset: preset)
        self.workingDirectory = directory.deletingLastPathComponent()
            .appendingPathComponent(".\(directory.lastPathComponent).running-\(getpid())", isDirectory: true)
        self.chapterTests = chapterTests
        self.program = program
        let trackName = track == "solutions" ? "the reference solutions" : "your exercises"
        let setting = "Track: \(trackName). Seed: \(options.seed). Output: \(directory.path)."
        if let reason = ProgramError.obstacle(toWriting: directory.path) ?? Notebook.replaceability(of: directory) {
            throw ProgramError.outputNotWritable(path: directory.path, reason: reason)
        }
        do {
            try FileManager.default.createDirectory(at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw ProgramError.outputNotWritable(directory.path, after: error)
        }
        let recovered = Notebook.recoverAbandonedRuns(beside: directory)
        do {
            try? FileManager.default.removeItem(at: workingDirectory)
            try FileManager.default.createDirectory(at: workingDirectory, withIntermediateDirectories: false)
            try Data("Written by the workbook's \(program) program; replaced by its next run.\n".utf8)
                .write(to: workingDirectory.appendingPathComponent(Notebook.marker))
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
        if let recovered { print(recovered) }
        InterruptHandler.shared.watch(self)
    }

    deinit {
        // Leaving run() by an error thrown between cells, or without finish().
        if state == .running { stop(reason: "the program stopped before the end of its run") }
    }

    /// Runs one cell and returns what it returns, or nil when it needed an exercise that is a stub
    /// (the cell then says which). The report is written after every cell; any other error stops the
    /// run: the partial report, with the error at its end, goes to ``failedDirectory`` and the error
    /// is rethrown.
    @discardableResult
    public func cell<T>(_ heading: String, _ body: (Cell) throws -> T) throws -> T? {
        cellCount += 1
        let numbered = "\(cellCount). \(heading)"
        print("\n\(numbered)\n\(String(repeating: "-", count: numbered.count))")
        lock.withLock {
            currentCell = numbered
            currentHeading = heading
            report.addHeading(numbered)
        }
        let cell = Cell(notebook: self)
        let start = Date()
        var timePrinted = false
        func printTime() {
            if !timePrinted { print("(\(format(seconds: Date().timeIntervalSince(start))))") }
            timePrinted = true
        }
        defer {
            printTime()
            _ = try? writeReport()      // after every cell, so the report always matches the pictures beside it
        }
        do {
            return try body(cell)
        } catch let stub as NotImplemented {
            note(stub, in: cell)
            return nil
        } catch {
            printTime()     // before the stop's line, which says where everything is and comes last
            stop(reason: "\(error)")
            throw error
        }
    }

    /// Records that a cell (or a part of one) needs `stub`, and says so in the cell.
    public func note(_ stub: NotImplemented, in cell: Cell) {
        if !missing.contains(stub) { missing.append(stub) }
        cellsNotRun.insert(cellCount)
        lastNote = StubNote(cell: cellCount, heading: currentHeading, stub: stub)
        cell.say("Not run: this needs \(stub.function) from \(stub.file), which is not implemented yet " +
                 "(`swift test --filter \(chapterTests)` says when it is right).")
    }

    /// A cell that cannot run because an earlier cell it needs (for `what`, e.g. "the trained net") was
    /// stopped by a stub: its heading, and a line naming that cell and the exercise it waits for, so that
    /// no cell vanishes from the terminal or the report. `note` is that cell's (``lastNote`` when it
    /// was taken); by default the last cell that noted a stub.
    public func cellNotRun(_ heading: String, needs what: String, waitingFor note: StubNote? = nil) {
        let waitedFor = note ?? lastNote
        _ = try? cell(heading) { cell in
            guard let lastNote = waitedFor else { return cell.say("Not run: this needs \(what), which an earlier cell did not make.") }
            cellsNotRun.insert(cellCount)
            cell.say("Not run: this needs \(what) from cell \(lastNote.cell) (\(lastNote.heading)), which needs \(lastNote.stub.function) from "
                     + "\(lastNote.stub.file), not implemented yet (`swift test --filter \(chapterTests)` says when it is right).")
        }
    }

    /// Writes `report.md` and moves the run's folder into place (replacing the previous run's); then
    /// fails if a picture could not be written or some cell could not run, naming the exercises to write.
    ///
    /// A run in which stubs kept cells from running does not replace a complete run (one whose every
    /// cell ran): it goes to ``failedDirectory``, as a stopped run does, and says so.
    public func finish() throws {
        var aside: String?
        try lock.withLock {
            guard state == .running else { return }
            if !cellsNotRun.isEmpty {
                let count = "\(cellsNotRun.count) cell\(cellsNotRun.count == 1 ? "" : "s")"
                try? Data("Written by the workbook's \(program) program; replaced by its next run.\n\(Notebook.cellsNotRunLine) \(cellsNotRun.count)\n".utf8)
                    .write(to: workingDirectory.appendingPathComponent(Notebook.marker))
                if Notebook.holdsCompleteRun(directory) {
                    report.addParagraph("\(count) did not run, so this run did not replace the last complete run in \(directory.path).")
                    stopping = true
                    _ = try writeReport()
                    stopping = false
                    state = .stopped
                    let (folder, kept) = moveAside()
                    aside = "Wrote \(folder.appendingPathComponent("report.md").path): \(count) did not run, so \(directory.path) "
                        + "still holds the last complete run, in which every cell ran\(kept)."
                    return
                }
            }
            _ = try writeReport()
            do {
                try Notebook.moveIntoPlace(workingDirectory, directory)
            } catch {
                state = .stopped
                throw ProgramError.outputNotWritable(directory.path, after: error)
            }
            state = .finished
            // A stopped run's folder is older than this run and would mislead, unless it holds a file of
            // the program's own (a checkpoint) that this run did not carry on: that is kept, and said.
            let stoppedFiles = ownFiles(in: failedDirectory)
            let lastStoppedFiles = Notebook.filesBeyondReport(in: lastFailedDirectory)
            if lastStoppedFiles.isEmpty { try? FileManager.default.removeItem(at: lastFailedDirectory) }
            if stoppedFiles.isEmpty || continuedStoppedRun {
                try? FileManager.default.removeItem(at: failedDirectory)
            } else {
                keptStoppedRunMessage = "Kept \(failedDirectory.path): it holds " + stoppedFiles.joined(separator: ", ") + " of a run that stopped part-way, which this run did not continue (--resume now continues this run's; "
                    + "delete that folder once you no longer want the stopped run)."
            }
            if !lastStoppedFiles.isEmpty {
                keptStoppedRunMessage = (keptStoppedRunMessage.map { $0 + "\n" } ?? "") + "Kept \(lastFailedDirectory.path): it holds "
                    + lastStoppedFiles.joined(separator: ", ") + " of an earlier run that stopped part-way (delete that folder once you no longer want it)."
            }
        }
        if let aside {
            print("\n" + aside)
        } else {
            print("\nWrote \(directory.appendingPathComponent("report.md").path)")
        }
        if let keptStoppedRunMessage { print(keptStoppedRunMessage) }
        fflush(stdout)      // before the error, which goes to standard error, when both go to one pipe
        if let first = unwritten.first {
            throw unwritten.count == 1 ? first : ProgramError.someFilesNotWritten(first: first, count: unwritten.count)
        }
        if !missing.isEmpty {
            throw ProgramError.exercisesNotImplemented(cells: cellsNotRun.count, missing: missing, chapterTests: chapterTests,
                                                       program: program)
        }
    }

    /// Ends a run that cannot finish: `reason` goes at the end of the partial report, which moves to
    /// ``failedDirectory``; the output folder keeps the last complete run. Does nothing once the run has
    /// finished or stopped. The last line printed (``stopMessage``) says where the partial report is;
    /// the caller reports `reason` itself (the error it rethrows).
    public func stop(reason: String) {
        stop(reason: reason, sayingWhy: false)
    }

    /// ``stop(reason:)``; `sayingWhy` puts the reason and the cell into the last line too, as the
    /// report has them (for a stop that no error message follows).
    private func stop(reason: String, sayingWhy: Bool) {
        lock.withLock {
            guard state == .running else { return }
            let place = currentCell.isEmpty ? "" : " in cell \(currentCell)"
            report.addParagraph("✗ The run stopped\(place): \(reason)")
            stopping = true
            _ = try? writeReport()
            stopping = false
            state = .stopped
            let complete = FileManager.default.fileExists(atPath: directory.path)
                ? "\(directory.path) still holds the last complete run" : "no complete run is in \(directory.path)"
            let (folder, kept) = moveAside()
            let opening = sayingWhy ? "The run stopped\(place): \(reason). Its" : "The run stopped; its"
            stopMessage = "\(opening) partial report is \(folder.appendingPathComponent("report.md").path) (\(complete))\(kept)."
            print("\n" + stopMessage!)
            fflush(stdout)
        }
    }

    /// Moves the working folder of a run that did not finish to ``failedDirectory`` (or, see below, to
    /// ``lastFailedDirectory``; to neither if the move fails). Returns where it is, and the clauses that
    /// name the files kept with it and beside it ("; kept with it: …"), for the run's last line.
    private func moveAside() -> (folder: URL, kept: String) {
        // An earlier stopped run whose folder holds more than a report and pictures (a checkpoint that a
        // later --resume or --load starts from) is replaced only by a run that wrote files of its own:
        // a run refused at its start (--resume with other flags) or stopped before its checkpoint leaves
        // that folder whole and puts its partial report in lastFailedDirectory.
        let earlier = Notebook.filesBeyondReport(in: failedDirectory)
        let keepsEarlier = !earlier.isEmpty && ownFiles(in: workingDirectory).isEmpty
        var folder = keepsEarlier ? lastFailedDirectory : failedDirectory
        if !keepsEarlier {
            // A file of the program's own that the earlier stopped run wrote and this one did not moves over.
            for name in ownFiles {
                let before = failedDirectory.appendingPathComponent(name), now = workingDirectory.appendingPathComponent(name)
                if !FileManager.default.fileExists(atPath: now.path) && FileManager.default.fileExists(atPath: before.path) {
                    try? FileManager.default.moveItem(at: before, to: now)
                }
            }
            // A partial report kept beside an earlier stopped run is older than this one (a folder with
            // a checkpoint in it stays: a killed run's, recovered there).
            if Notebook.filesBeyondReport(in: lastFailedDirectory).isEmpty { try? FileManager.default.removeItem(at: lastFailedDirectory) }
        }
        do {
            try Notebook.moveIntoPlace(workingDirectory, folder)
        } catch {
            folder = workingDirectory
        }
        // A checkpoint written before the stop is kept with the partial report: say so, since a
        // later run (--resume, --load) starts from it.
        let written = ownFiles(in: folder)
        var kept = written.isEmpty ? "" : "; kept with it: " + written.joined(separator: ", ")
        if keepsEarlier {
            kept += "; \(failedDirectory.path) still holds the run stopped before, with its report and "
                + earlier.map { failedDirectory.appendingPathComponent($0).path }.joined(separator: ", ")
        }
        return (folder, kept)
    }

    @discardableResult
    private func writeReport() throws -> URL {
        try lock.withLock {
            let url = workingDirectory.appendingPathComponent("report.md")
            // Once the folder has moved (into place, or aside as a failure), nothing is written to the old path.
            guard state == .running || stopping else { return directory.appendingPathComponent("report.md") }
            do {
                try report.write(to: url.path)
            } catch {
                throw ProgramError.outputNotWritable(directory.appendingPathComponent("report.md").path, after: error)
            }
            return url
        }
    }

    /// The paths of the program's own files (``fileURL(_:)``'s names) that `folder` holds.
    private func ownFiles(in folder: URL) -> [String] {
        ownFiles.map { folder.appendingPathComponent($0).path }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// Says that this run carries on the stopped run in ``failedDirectory`` (a `--resume` from its
    /// checkpoint), so that ``finish()`` removes that folder instead of keeping it for its checkpoint.
    public func continuesStoppedRun() {
        lock.withLock { continuedStoppedRun = true }
    }

    /// Where a program writes a file of its own (a checkpoint, trained weights) so that it moves into
    /// place with the report: in the working folder while the run lasts. Say its final path
    /// (``directory`` + `name`) to the user.
    public func fileURL(_ name: String) -> URL {
        lock.withLock { if !ownFiles.contains(name) { ownFiles.append(name) } }
        return workingDirectory.appendingPathComponent(name)
    }

    /// Where a picture is written while the run lasts, and the path it will have once the run is in place.
    fileprivate func file(_ name: String) -> (writing: URL, final: URL) {
        (workingDirectory.appendingPathComponent(name), directory.appendingPathComponent(name))
    }

    // MARK: Folders

    /// Nil when `folder` may be replaced by a run: it does not exist, is empty, holds the marker, or holds
    /// only what earlier runs wrote (report.md, pictures). Else why not.
    static func replaceability(of folder: URL) -> String? {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) else { return nil }
        guard isFolder.boolValue else { return nil }     // a file: the write test reports it in plain words
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return nil }
        if names.contains(marker) { return nil }
        if names.allSatisfy(isReportOrPicture) { return nil }
        return "the folder exists and holds files no workbook program wrote (a run replaces its whole output folder). Choose a new or empty folder"
    }

    /// The marker's line in a run some of whose cells did not run (stubs), with their count after it.
    static let cellsNotRunLine = "Cells not run:"

    /// Whether `folder` holds a run whose every cell ran: a report, and neither the marker nor the
    /// report says a cell did not run (the report's note for folders written before the marker said).
    static func holdsCompleteRun(_ folder: URL) -> Bool {
        guard let report = try? String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8) else { return false }
        let written = (try? String(contentsOf: folder.appendingPathComponent(marker), encoding: .utf8)) ?? ""
        return !written.contains(cellsNotRunLine) && !report.contains("\nNot run: this needs")
    }

    /// Whether `name` is what every run writes (report.md, pictures, plots, hidden files such as the marker).
    private static func isReportOrPicture(_ name: String) -> Bool {
        [".md", ".png", ".svg"].contains(where: name.hasSuffix) || name.hasPrefix(".")
    }

    /// The names of the files in `folder` that are more than a report and pictures (a checkpoint,
    /// trained weights), sorted; [] when there are none or no such folder.
    static func filesBeyondReport(in folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !isReportOrPicture($0) }.sorted()
    }

    /// Moves `source` to `destination`, replacing a previous folder there: the old one is renamed aside
    /// first and removed only once the new one is in place.
    static func moveIntoPlace(_ source: URL, _ destination: URL) throws {
        let manager = FileManager.default
        let aside = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).previous-\(getpid())", isDirectory: true)
        var moved = false
        if manager.fileExists(atPath: destination.path) {
            try? manager.removeItem(at: aside)
            try manager.moveItem(at: destination, to: aside)
            moved = true
        }
        do {
            try manager.moveItem(at: source, to: destination)
        } catch {
            if moved { try? manager.moveItem(at: aside, to: destination) }
            throw error
        }
        if moved { try? manager.removeItem(at: aside) }
    }

    /// Deals with the hidden folders that runs which ended without stopping (SIGKILL, the out-of-memory
    /// killer, a crash, a power cut) left beside `directory`, so that nothing they wrote is lost:
    /// - a working folder (`.running-<pid>`) moves to the `.failed` folder, as if the run had stopped,
    ///   with a line at the end of its report saying so, so that `--resume` finds a checkpoint it
    ///   wrote; when that folder already holds an earlier stopped run's checkpoint, it goes to
    ///   `.failed-last` instead;
    /// - the last complete run, set aside while a new one moved into place (`.previous-<pid>`), moves
    ///   back when no run took its place, and is removed otherwise.
    /// Returns the line that says what moved where, or nil when nothing did.
    private static func recoverAbandonedRuns(beside directory: URL) -> String? {
        let failedDirectory = sibling(of: directory, ending: ".failed"), lastFailedDirectory = sibling(of: directory, ending: ".failed-last")
        let manager = FileManager.default
        let parent = directory.deletingLastPathComponent(), name = directory.lastPathComponent
        var lines: [String] = []
        for entry in ((try? manager.contentsOfDirectory(atPath: parent.path)) ?? []).sorted() {
            let running = ".\(name).running-", previous = ".\(name).previous-"
            guard let prefix = [running, previous].first(where: entry.hasPrefix), let pid = Int32(entry.dropFirst(prefix.count)),
                  pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH) else { continue }
            let folder = parent.appendingPathComponent(entry)
            if prefix == previous {
                if !manager.fileExists(atPath: directory.path), (try? manager.moveItem(at: folder, to: directory)) != nil {
                    lines.append("Restored the last complete run in \(directory.path): a run (process \(pid)) ended while it replaced it.")
                } else {
                    try? manager.removeItem(at: folder)
                }
                continue
            }
            guard pid != getpid(), manager.fileExists(atPath: folder.appendingPathComponent("report.md").path) else {
                try? manager.removeItem(at: folder)
                continue
            }
            // The killed run is the newest: with a checkpoint of its own it takes the .failed folder,
            // where --resume looks, and a stopped run's checkpoint there moves to .failed-last (when that
            // holds none of its own); otherwise an earlier stopped run's checkpoint keeps .failed.
            var target = Notebook.filesBeyondReport(in: failedDirectory).isEmpty ? failedDirectory : lastFailedDirectory
            var movedEarlier: String?
            if target == lastFailedDirectory, !Notebook.filesBeyondReport(in: folder).isEmpty,
               Notebook.filesBeyondReport(in: lastFailedDirectory).isEmpty,
               (try? moveIntoPlace(failedDirectory, lastFailedDirectory)) != nil {
                movedEarlier = "The run stopped before it, with its checkpoint, is now in \(lastFailedDirectory.path)."
                target = failedDirectory
            }
            let reportURL = folder.appendingPathComponent("report.md")
            if let handle = try? FileHandle(forWritingTo: reportURL) {
                handle.seekToEndOfFile()
                handle.write(Data("\nThe run (process \(pid)) ended here without stopping: it was killed or crashed.\n".utf8))
                try? handle.close()
            }
            do {
                try Notebook.moveIntoPlace(folder, target)
                let kept = Notebook.filesBeyondReport(in: target)
                lines.append("A run (process \(pid)) ended without stopping (killed or crashed); its partial report is now "
                             + "\(target.appendingPathComponent("report.md").path)"
                             + (kept.isEmpty ? "." : ", kept with it: \(kept.joined(separator: ", "))."))
                if let movedEarlier { lines.append(movedEarlier) }
            } catch {
                lines.append("A run (process \(pid)) ended without stopping; its files are in \(folder.path) (they could not be moved: \(error.localizedDescription)).")
            }
        }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    /// The interrupt handler's way in: stops the run (see ``stop(reason:)``), and since no error follows,
    /// the last line says what stopped it, and in which cell, as the report does.
    func interrupted(by signalName: String) {
        stop(reason: "interrupted by \(signalName)", sayingWhy: true)
    }
}

/// A cell that a stub stopped, in whole or in part: its number, its heading and the stub it needs.
public struct StubNote: Sendable {
    public let cell: Int
    public let heading: String
    public let stub: NotImplemented
}

/// Ctrl-C (SIGINT) and SIGTERM end the process through the current notebook, which keeps the partial
/// report: the signals are caught with Dispatch, and the process then exits with 128 + the signal.
final class InterruptHandler: @unchecked Sendable {
    static let shared = InterruptHandler()
    private let lock = NSLock()
    private weak var notebook: Notebook?
    private var sources: [DispatchSourceSignal] = []

    /// Makes `notebook` the one an interrupt stops; installs the handlers on first use.
    func watch(_ notebook: Notebook) {
        lock.withLock {
            self.notebook = notebook
            guard sources.isEmpty else { return }
            for (number, name) in [(SIGINT, "Ctrl-C (SIGINT)"), (SIGTERM, "SIGTERM")] {
                ignoreSignal(number)    // so that the default action (exit at once) does not run
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { [weak self] in
                    let current = self?.lock.withLock { self?.notebook }
                    current?.interrupted(by: name)
                    exit(128 + number)
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}

#if canImport(Darwin)
import Darwin
private func ignoreSignal(_ number: Int32) { _ = Darwin.signal(number, SIG_IGN) }
#elseif canImport(Glibc)
import Glibc
private func ignoreSignal(_ number: Int32) { _ = Glibc.signal(number, SIG_IGN) }
#endif

/// What one cell shows: sentences, tables and pictures, each printed and added to the report.
public final class Cell {
    /// A table as the terminal shows it: the header, a rule, then the rows, in columns two spaces apart.
    /// A column whose cells are all numbers (empty cells and dashes aside) is right-aligned; a column
    /// that mixes numbers with names (a gate called "+1" among "x" and "*") is left-aligned throughout.
    /// - Precondition: every row has at least `headers.count` cells.
    public static func terminalLines(_ headers: [String], _ rows: [[String]]) -> [String] {
        let widths = headers.indices.map { c in ([headers] + rows).map { $0[c].count }.max()! }
        func isNumber(_ text: String) -> Bool { Double(text.split(separator: " ").first.map(String.init) ?? "") != nil }
        let numeric = headers.indices.map { c in
            let cells = rows.map { $0[c] }.filter { !$0.isEmpty && $0 != "—" && $0 != "-" }
            return !cells.isEmpty && cells.allSatisfy(isNumber)
        }
        func line(_ cells: [String], header: Bool = false) -> String {
            let padded = cells.prefix(headers.count).enumerated().map { c, text -> String in
                let gap = String(repeating: " ", count: widths[c] - text.count)
                return numeric[c] && !header ? gap + text : text + gap
            }
            return "  " + padded.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return [line(headers, header: true), line(widths.map { String(repeating: "-", count: $0) })] + rows.map { line($0) }
    }

    private unowned let notebook: Notebook

    fileprivate init(notebook: Notebook) { self.notebook = notebook }

    /// A paragraph.
    public func say(_ text: String) {
        print(text)
        notebook.lock.withLock { notebook.report.addParagraph(text) }
    }

    /// A table: aligned columns in the terminal (columns of numbers right-aligned), a Markdown table in
    /// the report. Short rows are padded with empty cells.
    public func table(_ headers: [String], _ rows: [[String]]) {
        let rows = rows.map { $0 + Array(repeating: "", count: max(0, headers.count - $0.count)) }
        for line in Cell.terminalLines(headers, rows) { print(line) }
        notebook.lock.withLock { notebook.report.addTable(header: headers, rows: rows.map { Array($0.prefix(headers.count)) }) }
    }

    /// Writes a PNG picture next to the report and shows it there with its caption.
    /// - Throws: ``ProgramError/outputNotWritable(path:reason:)``.
    ///
    /// A file that cannot be written is reported at once and by ``Notebook/finish()``; the run goes
    /// on, so that the cells after it are not lost.
    public func picture(_ image: RGBImage, file: String, caption: String) throws {
        let (url, final) = notebook.file(file)
        do {
            try image.write(to: url.path)
        } catch {
            return notWritten(url, final, after: error)
        }
        shown(file, final, caption)
    }

    /// Writes an SVG plot next to the report and shows it there with its caption.
    public func plot(_ plot: some SVGPlot, file: String, caption: String) throws {
        try svg(plot.makeSVG(), file: file, caption: caption)
    }

    /// Writes an SVG document (a drawing) next to the report and shows it there with its caption;
    /// a file that cannot be written is handled as in ``picture(_:file:caption:)``.
    public func svg(_ document: String, file: String, caption: String) throws {
        let (url, final) = notebook.file(file)
        do {
            try document.write(to: url, atomically: true, encoding: .utf8)
        } catch {
            return notWritten(url, final, after: error)
        }
        shown(file, final, caption)
    }

    /// Reports a file that could not be written at `url`, by the name `final` it would have had.
    private func notWritten(_ url: URL, _ final: URL, after underlying: Error) {
        var error = ProgramError.outputNotWritable(url.path, after: underlying)
        if case let .outputNotWritable(_, reason) = error {
            error = .outputNotWritable(path: final.path, reason: reason.replacingOccurrences(of: url.path, with: final.path)
                .replacingOccurrences(of: notebook.workingDirectory.path, with: notebook.directory.path))
        }
        notebook.unwritten.append(error)
        say("⚠ \(error) The run goes on without it.")
    }

    private func shown(_ file: String, _ url: URL, _ caption: String) {
        print("→ \(url.path): \(caption)")
        notebook.lock.withLock {
            notebook.report.addImage(file, description: caption)
            notebook.report.addParagraph("*\(caption)*")
        }
    }
}
