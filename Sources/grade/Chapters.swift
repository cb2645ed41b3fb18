import Foundation

/// A chapter's graded suite: the XCTest class `WorkbookTests.<suite>` and its tests.
struct Chapter {
    /// The chapters we know by number and program name; a new suite without an entry still gets graded.
    static let known: [(suite: String, number: Int, program: String, title: String)] = [
        ("KNNTests", 1, "knn", "k-nearest neighbours"),
        ("LinearClassifierTests", 2, "linear-classifier", "linear classifiers"),
        ("GatesTests", 3, "gates", "backpropagation"),
        ("NeuralNetworkTests", 4, "two-layer-net", "neural networks"),
        ("ConvolutionalNetworkTests", 6, "cnn", "convolutional networks"),
    ]

    let suite: String
    let tests: [String]

    var info: (number: Int, program: String, title: String)? {
        Chapter.known.first { $0.suite == suite }.map { ($0.number, $0.program, $0.title) }
    }
    var name: String { info?.program ?? suite }
    var title: String { info.map { "\($0.number) \($0.title)" } ?? suite }

    func matches(_ query: String) -> Bool {
        [suite, name, info.map { String($0.number) } ?? ""].contains { $0.lowercased() == query.lowercased() }
    }

    /// The chapters' suites found in the built tests, in chapter order, each with its tests in the order
    /// the test files declare them (`swift test list` sorts them by name).
    static func discover(using swiftPM: SwiftPM) throws -> [Chapter] {
        let listing = try swiftPM.run(["test", "list", "--skip-build"])
        guard listing.status == 0 else {
            throw GradeError.listing(listing.output)
        }
        var bySuite: [String: [String]] = [:]
        for line in listing.output.split(separator: "\n") where line.hasPrefix("WorkbookTests.") {
            let parts = line.dropFirst("WorkbookTests.".count).split(separator: "/")
            guard parts.count == 2 else { continue }
            bySuite[String(parts[0]), default: []].append(String(parts[1]))
        }
        func order(_ suite: String) -> Int { known.first { $0.suite == suite }?.number ?? Int.max }
        let declared = DeclarationOrder(folder: URL(fileURLWithPath: "Tests/WorkbookTests", isDirectory: true))
        return bySuite.keys.sorted { (order($0), $0) < (order($1), $1) }.map {
            Chapter(suite: $0, tests: declared.sorted(bySuite[$0]!, suite: $0))
        }
    }

    /// Runs the suite in its own process; after a crash or a time-out, again without that test.
    /// - Parameter timeLimit: seconds one run of the suite may take before its running test is stopped.
    func grade(timeLimit: Double, using swiftPM: SwiftPM) throws -> ChapterResult {
        var outcomes: [String: TestOutcome] = [:]
        var crashed: [String] = []
        while outcomes.count + crashed.count < tests.count {
            var arguments = ["test", "--skip-build", "--filter", "^WorkbookTests\\.\(suite)/"]
            for test in crashed + outcomes.keys { arguments += ["--skip", "WorkbookTests\\.\(suite)/\(test)$"] }
            let run = try swiftPM.run(arguments, timeLimit: timeLimit)
            let parsed = TestLog(run.output)
            outcomes.merge(parsed.outcomes) { $1 }
            if let started = parsed.unfinished {
                crashed.append(started)
                outcomes[started] = .crashed(run.timedOut
                    ? "did not finish within \(Int(timeLimit)) s (an endless loop?); stopped"
                    : parsed.crashReason(for: started) ?? "the test process stopped (exit status \(run.status))")
            } else if parsed.outcomes.isEmpty {
                // Nothing ran and nothing is unfinished: the process failed before the first test.
                for test in tests where outcomes[test] == nil {
                    outcomes[test] = .crashed("the test process failed before this test ran (exit status \(run.status))")
                }
            }
        }
        return ChapterResult(chapter: self, outcomes: outcomes)
    }
}

/// The order in which the test files declare each suite's tests: the file with the suite's `class` first,
/// then the files that `extend` it, by file name, each from top to bottom.
///
/// The scorecard lists a chapter's exercises in this order, which is the order of the chapter's guide
/// (each chapter folder's README.md): an exercise's place is that of its first test. Only the test files are read, so
/// the order holds for either track and for the student copy.
struct DeclarationOrder {
    /// Each suite's test names, in declaration order.
    private(set) var tests: [String: [String]] = [:]

    /// Reads the Swift files of a test folder and its chapter folders (`01-knn/KNNTests.swift`, by path);
    /// a folder that cannot be read gives no order.
    init(folder: URL) {
        let names = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
        let files = names.filter { $0.hasSuffix(".swift") }.compactMap { name -> (String, String)? in
            (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)).map { (name, $0) }
        }
        self.init(files: files)
    }

    /// Reads Swift sources given as (file name, text).
    init(files: [(name: String, text: String)]) {
        var classTests: [String: [String]] = [:]
        var extensionTests: [String: [String]] = [:]
        for file in files.sorted(by: { $0.name < $1.name }) {
            var suite: String?
            var isClass = false
            for line in file.text.split(separator: "\n", omittingEmptySubsequences: false) {
                let words = line.split { " \t(:{".contains($0) }
                let trimmed = line.drop { $0 == " " || $0 == "\t" }
                if line.first.map({ $0 != " " && $0 != "\t" }) ?? false, !line.hasPrefix("//"),
                   let k = words.firstIndex(where: { ["class", "extension", "struct", "enum", "actor"].contains($0) }),
                   k + 1 < words.count {
                    suite = String(words[k + 1])          // a top-level type: the tests below belong to it
                    isClass = words[k] == "class"
                } else if let suite, trimmed.hasPrefix("func test"), words.count >= 2 {
                    let name = String(words[words.firstIndex(of: "func")! + 1])
                    if isClass { classTests[suite, default: []].append(name) } else { extensionTests[suite, default: []].append(name) }
                }
            }
        }
        for suite in Set(classTests.keys).union(extensionTests.keys) {
            tests[suite] = (classTests[suite] ?? []) + (extensionTests[suite] ?? [])
        }
    }

    /// `names` (tests of `suite`) in declaration order; any the files do not declare come last, by name.
    func sorted(_ names: [String], suite: String) -> [String] {
        let position = Dictionary((tests[suite] ?? []).enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return names.sorted { (position[$0] ?? Int.max, $0) < (position[$1] ?? Int.max, $1) }
    }
}

/// Why nothing could be graded. Not a `ValidationError`, which ArgumentParser follows with the usage line.
enum GradeError: Error, CustomStringConvertible {
    case doesNotCompile
    case listing(String)
    var description: String {
        switch self {
        case .doesNotCompile:
            return "the workbook does not compile: fix the errors above; nothing can be graded until it builds"
        case let .listing(output):
            return "could not list the graded tests (build them with `swift build --build-tests`):\n\(output)"
        }
    }
}

/// Runs SwiftPM commands with the same environment (and so the same WORKBOOK track).
struct SwiftPM {
    /// The build folder of every command (`--scratch-path`), or SwiftPM's default `.build`.
    var scratchPath: String?

    /// Runs `swift <arguments>`; with a time limit, a run that exceeds it is stopped (the test process
    /// it started included) and reported as timed out.
    func run(_ arguments: [String], timeLimit: Double? = nil) throws -> (status: Int32, output: String, timedOut: Bool) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift"] + arguments + (scratchPath.map { ["--scratch-path", $0] } ?? [])
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        final class Output: @unchecked Sendable { var data = Data() }    // written once, read after the wait
        let output = Output()
        let reading = DispatchGroup()
        reading.enter()
        DispatchQueue.global().async {
            output.data = pipe.fileHandleForReading.readDataToEndOfFile()
            reading.leave()
        }
        var timedOut = false
        if let timeLimit, reading.wait(timeout: .now() + timeLimit) == .timedOut {
            timedOut = true
            // `swift test` runs the tests in a child process: stop that one first, then `swift test`.
            let children = Process()
            children.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            children.arguments = ["pkill", "-KILL", "-P", String(process.processIdentifier)]
            try? children.run()
            children.waitUntilExit()
            process.terminate()
            reading.wait()
        }
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output.data, as: UTF8.self), timedOut)
    }
}
