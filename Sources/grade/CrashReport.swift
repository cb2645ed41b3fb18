import GradientCheck

/// Why and where a test process crashed, read from what the Swift runtime prints when it traps.
///
/// A trap in a debug build prints a reason line (`…/ContiguousArrayBuffer.swift:692: Fatal error: Index out
/// of range`, or `*** Swift runtime failure: arithmetic overflow ***` in the backtrace's header) and a
/// backtrace of the crashed thread, one frame a line:
///
///     3 [ra]          0x0000562a1232cf3c makeFolds(count:folds:) + 171 in X.xctest at /w/Exercises/01-knn/CrossValidation.swift:20:19
///     1               0x000055fe1e1c20b9 makeFolds(count:folds:) + 473 in X.xctest at /w/Exercises/01-knn/CrossValidation.swift:21:18
///     5 [ra] [system] 0x0000560e2c9433f0 Collection.map<A, B>(_:) + 991 in X.xctest at //<compiler-generated>
///
/// The tags in brackets vary from none to several, and the symbol may contain spaces and operators
/// (`closure #1 in f`, `static Int.+ infix(_:_:)`), so a frame is read from both ends: the index, tags
/// and address from the left, the location and image from the right, and the symbol is what lies between.
/// `swift test` adds `exited with unexpected signal code 4` when nothing else names the reason.
struct CrashReport {
    /// The runtime's reason, e.g. "Fatal error: Index out of range" or "arithmetic overflow".
    let reason: String?
    /// The first frame of the crashed thread in the student's (or the reference) code, if any.
    let frame: BacktraceFrame?

    /// Reads the whole output of the crashed run: a process crashes once, and the reason, written to
    /// standard error, can come before the test's "started" line, which standard output buffers.
    init(lines: [Substring]) {
        reason = CrashReport.reason(in: lines[...])
        let frames = CrashReport.crashedThread(lines).compactMap(BacktraceFrame.init)
        // A frame with a line first; else one in a workbook file without a line (a trap inlined from the
        // standard library into the student's function is printed that way, tagged [system]).
        frame = frames.first(where: \.isInWorkbook) ?? frames.first(where: \.isInWorkbookFile)
    }

    /// "Fatal error: Index out of range in makeFolds(count:folds:) at Exercises/01-knn/CrossValidation.swift:18".
    var summary: String? {
        guard reason != nil || frame != nil else { return nil }
        var text = reason ?? "crashed"
        if let frame {
            let file = NotImplemented.trackRelative(frame.file)
            text += frame.line.map { " in \(frame.symbol) at \(file):\($0)" } ?? " in \(frame.symbol) in \(file)"
        }
        return text
    }

    /// The first reason found, by the most specific kind of line first.
    private static func reason(in lines: ArraySlice<Substring>) -> String? {
        for marker in ["Fatal error", "Precondition failed", "Assertion failed"] {
            if let line = lines.first(where: { $0.contains(marker) }) {
                return String(line[line.range(of: marker)!.lowerBound...]).trimmingCharacters(in: .whitespaces)
            }
        }
        // The backtracer's header for traps the compiler inserts (overflow, division by zero, …).
        let failure = "*** Swift runtime failure: "
        if let line = lines.first(where: { $0.hasPrefix(failure) }) {
            return line.dropFirst(failure.count).replacingOccurrences(of: " ***", with: "")
        }
        if let line = lines.first(where: { $0.contains("unexpected signal code ") }),
           let code = Int(line[line.range(of: "unexpected signal code ")!.upperBound...].prefix(while: \.isNumber)) {
            return signalReason(code)
        }
        return nil
    }

    /// A signal number in words, with what usually raises it in Swift code.
    static func signalReason(_ code: Int) -> String {
        switch code {
        case 4, 5: return "arithmetic overflow or another runtime trap (signal \(code), \(code == 4 ? "SIGILL" : "SIGTRAP"))"
        case 6: return "the process aborted (signal 6, SIGABRT)"
        case 11: return "a bad memory access, often an endless recursion (signal 11, SIGSEGV)"
        default: return "signal \(code)"
        }
    }

    /// The first frame in the workbook's code of each thread the backtrace lists, the crashed thread's
    /// first. A process stopped as an endless loop may have been stopped on a thread that waits for the
    /// one that loops (a parallel loop over blocks), so every thread counts there.
    ///
    /// A frame with a line first; else the thread's first frame in a workbook file without one, which is
    /// how a tight loop (`while true {}` in a stub) is often printed: "makeFolds(count:folds:) + 98 in
    /// X.xctest at /w/Exercises/01-knn/CrossValidation.swift".
    static func workbookFrames(_ lines: [Substring]) -> [BacktraceFrame] {
        var threads: [(crashed: Bool, frame: BacktraceFrame?, lineless: BacktraceFrame?)] = []
        for line in lines {
            if line.hasPrefix("Thread ") {
                threads.append((line.hasSuffix(" crashed:"), nil, nil))
                continue
            }
            guard !threads.isEmpty, threads[threads.count - 1].frame == nil, let frame = BacktraceFrame(line) else { continue }
            if frame.isInWorkbook {
                threads[threads.count - 1].frame = frame
            } else if frame.isInWorkbookFile, frame.line == nil, !frame.tags.contains("thunk"), threads[threads.count - 1].lineless == nil {
                threads[threads.count - 1].lineless = frame
            }
        }
        return (threads.filter(\.crashed) + threads.filter { !$0.crashed }).compactMap { $0.frame ?? $0.lineless }
    }

    /// The backtrace lines of the thread marked "crashed:", or every line if there is no such header.
    private static func crashedThread(_ lines: [Substring]) -> ArraySlice<Substring> {
        guard let header = lines.firstIndex(where: { $0.hasPrefix("Thread ") && $0.hasSuffix(" crashed:") }) else {
            return lines[...]
        }
        let rest = lines[(header + 1)...]
        let end = rest.firstIndex(where: { $0.hasPrefix("Thread ") || $0.hasPrefix("Registers:") }) ?? rest.endIndex
        return rest[..<end]
    }
}

/// One frame of a Swift backtrace.
struct BacktraceFrame: Equatable {
    /// The bracketed tags: "ra" (a return address), "inlined", "system", "thunk", …
    let tags: [String]
    /// Where the frame was in the running process.
    let address: UInt64
    /// The function, e.g. "makeFolds(count:folds:)" or "closure #1 in makeFolds(count:folds:)".
    let symbol: String
    /// The source file as printed, e.g. "/work/Exercises/01-knn/CrossValidation.swift" or "//<compiler-generated>".
    let file: String
    /// The line in `file`, when the runtime knows it.
    let line: Int?

    /// Parses `<index> [tag]… 0x<address> <symbol> [+ <offset>] in <image> [at <file>[:<line>[:<column>]]]`.
    init?(_ text: Substring) {
        var words = text.split(separator: " ")[...]
        guard let index = words.popFirst(), Int(index) != nil else { return nil }
        var tags: [String] = []
        while let word = words.first, word.hasPrefix("["), word.hasSuffix("]") {
            tags.append(String(word.dropFirst().dropLast()))
            words.removeFirst()
        }
        guard let address = words.first, address.hasPrefix("0x"), let value = UInt64(address.dropFirst(2), radix: 16) else { return nil }
        var rest = text[address.endIndex...].trimmingCharacters(in: .whitespaces)[...]
        var location = ""
        if let at = rest.range(of: " at ", options: .backwards) {
            location = String(rest[at.upperBound...])
            rest = rest[..<at.lowerBound]
        }
        guard let image = rest.range(of: " in ", options: .backwards) else { return nil }
        rest = rest[..<image.lowerBound]
        if let offset = rest.range(of: #" \+ [0-9]+$"#, options: .regularExpression) { rest = rest[..<offset.lowerBound] }
        // "/path/File.swift:21:18": the line is the first number after the file name.
        let parts = location.split(separator: ":", omittingEmptySubsequences: false)
        let numbers = parts.reversed().prefix { Int($0) != nil }.count
        self.tags = tags
        self.address = value
        self.symbol = String(rest)
        self.file = parts.dropLast(numbers).joined(separator: ":")
        self.line = numbers > 0 ? Int(parts[parts.count - numbers]) : nil
    }

    /// A frame of the workbook's own code (Exercises/ or Solutions/) with a line, not one the compiler
    /// generated there (a thunk, or a system frame such as a specialised `map`).
    /// A frame whose file is in Exercises/ or Solutions/, whatever its tags and line.
    var isInWorkbookFile: Bool { file.contains("/Exercises/") || file.contains("/Solutions/") }

    var isInWorkbook: Bool {
        (file.contains("/Exercises/") || file.contains("/Solutions/")) && line != nil
            && !tags.contains("system") && !tags.contains("thunk")
    }
}


/// A file the stopped process had loaded, from the "Images" list at the end of a Swift backtrace:
///
///     0x00005585c6608000–0x00005585c6e1c248 90fc45b9…dea11 DeepLearningWorkbookPackageTests.xctest /w/.build/debug/DeepLearningWorkbookPackageTests.xctest
struct BacktraceImage: Equatable {
    /// The addresses it was loaded at, `start ..< end` (the runtime prints the end inclusively).
    let start: UInt64
    let end: UInt64
    /// The file, as printed.
    let path: String

    /// Parses `0x<start>–0x<end> <build id> <name> <path>` (an en dash between the addresses).
    init?(_ text: Substring) {
        let words = text.split(separator: " ")
        let range = words.first?.split(separator: "–") ?? []
        guard words.count >= 3, range.count == 2, range.allSatisfy({ $0.hasPrefix("0x") }),
              let start = UInt64(range[0].dropFirst(2), radix: 16), let end = UInt64(range[1].dropFirst(2), radix: 16) else { return nil }
        self.start = start
        self.end = end
        path = String(words[words.count - 1])
    }

    /// Every image the backtrace lists.
    static func all(in lines: [Substring]) -> [BacktraceImage] {
        lines.compactMap { BacktraceImage($0.trimmingCharacters(in: .whitespaces)[...]) }
    }
}
