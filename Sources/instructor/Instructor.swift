import ArgumentParser
import Foundation

/// `swift run instructor`: the instructor's tools around the two tracks.
@main
struct Instructor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tools for instructors: keep Exercises/ and Solutions/ in step, and make the student copy.",
        subcommands: [CheckAPI.self, StudentCopy.self])
}

/// Compares the declarations and doc comments of the two tracks through the compiler's symbol graphs.
struct CheckAPI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-api",
        abstract: "Fail when Exercises/ and Solutions/ differ in a declaration or a doc comment.",
        discussion: """
            Builds the symbol graph of the Workbook module once from each track (internal declarations \
            included, since given helpers must match too) and lists every declaration that exists on one \
            side only, whose signature differs, or whose doc comment differs. Exit status 0 when they match.
            """)

    func run() throws {
        var problems = Self.layoutProblems(exercises: Self.files(in: "Exercises"), solutions: Self.files(in: "Solutions"))
        let exercises = try Self.symbols(track: "exercises")
        let solutions = try Self.symbols(track: "solutions")
        for (id, symbol) in exercises.sorted(by: { $0.value.title < $1.value.title }) {
            guard let other = solutions[id] else {
                problems.append("only in Exercises/: \(symbol.declaration)")
                continue
            }
            if other.declaration != symbol.declaration {
                problems.append("declarations differ:\n    Exercises/: \(symbol.declaration)\n    Solutions/: \(other.declaration)")
            }
            if other.documentation != symbol.documentation {
                problems.append("doc comments differ for \(symbol.title)")
            }
        }
        for (id, symbol) in solutions where exercises[id] == nil {
            problems.append("only in Solutions/: \(symbol.declaration)")
        }
        if problems.isEmpty {
            print("Exercises/ and Solutions/ declare the same \(exercises.count) symbols with the same doc comments.")
            return
        }
        print(problems.joined(separator: "\n"))
        print("\(problems.count) differences between Exercises/ and Solutions/: only the bodies may differ.")
        throw ExitCode.failure
    }

    /// The files of a track folder, as paths inside it ("01-knn/KNearestNeighbor.swift"), sorted.
    static func files(in track: String) -> [String] {
        let names = FileManager.default.enumerator(atPath: track)?.compactMap { $0 as? String } ?? []
        return names.filter { $0.hasSuffix(".swift") || $0.hasSuffix(".md") }.sorted()
    }

    /// What is wrong with the two tracks' files: a Swift file in one track only (the tracks mirror each
    /// other file for file, chapter folder by chapter folder), a chapter folder of Exercises/ without its
    /// guide (README.md), or a Swift file of Exercises/ outside a chapter folder other than Track.swift.
    static func layoutProblems(exercises: [String], solutions: [String]) -> [String] {
        var problems: [String] = []
        let exerciseSources = Set(exercises.filter { $0.hasSuffix(".swift") })
        let solutionSources = Set(solutions.filter { $0.hasSuffix(".swift") })
        for file in exerciseSources.subtracting(solutionSources).sorted() {
            problems.append("only in Exercises/: the file \(file) (Solutions/ must hold the same files)")
        }
        for file in solutionSources.subtracting(exerciseSources).sorted() {
            problems.append("only in Solutions/: the file \(file) (Exercises/ must hold the same files)")
        }
        let chapters = Set(exercises.compactMap { path -> String? in
            let parts = path.split(separator: "/")
            return parts.count > 1 ? String(parts[0]) : nil
        })
        for chapter in chapters.sorted() where !exercises.contains("\(chapter)/README.md") {
            problems.append("Exercises/\(chapter)/ has no README.md: each chapter folder holds its guide")
        }
        for file in exerciseSources.sorted() where !file.contains("/") && file != "Track.swift" {
            problems.append("Exercises/\(file) is outside a chapter folder: put it in its chapter's folder (01-knn/, …)")
        }
        return problems
    }

    struct Symbol {
        let title: String
        let declaration: String
        let documentation: String
    }

    /// The Workbook module's symbols for one track, keyed by their precise (mangled) identifier.
    static func symbols(track: String) throws -> [String: Symbol] {
        print("Reading the declarations of the \(track) track…")
        let result = try Shell.run(["swift", "package", "dump-symbol-graph", "--minimum-access-level", "internal"],
                                   environment: ["WORKBOOK": track])
        guard result.status == 0 else {
            throw ValidationError("the \(track) track does not build:\n\(result.output)")
        }
        guard let folder = result.output.split(separator: "\n").last(where: { $0.hasPrefix("Files written to ") }) else {
            throw ValidationError("swift package dump-symbol-graph did not say where it wrote the graphs:\n\(result.output)")
        }
        let path = folder.dropFirst("Files written to ".count) + "/Workbook.symbols.json"
        let data = try Data(contentsOf: URL(fileURLWithPath: String(path)))
        let graph = try JSONDecoder().decode(SymbolGraph.self, from: data)
        var symbols: [String: Symbol] = [:]
        for s in graph.symbols {
            symbols[s.identifier.precise] = Symbol(
                title: s.names.title,
                declaration: s.declarationFragments.map(\.spelling).joined(),
                documentation: s.docComment?.lines.map(\.text).joined(separator: "\n") ?? "")
        }
        return symbols
    }

    /// The parts of the compiler's symbol-graph format that the comparison reads.
    struct SymbolGraph: Decodable {
        struct Entry: Decodable {
            struct Identifier: Decodable { let precise: String }
            struct Names: Decodable { let title: String }
            struct Fragment: Decodable { let spelling: String }
            struct DocComment: Decodable {
                struct Line: Decodable { let text: String }
                let lines: [Line]
            }
            let identifier: Identifier
            let names: Names
            let declarationFragments: [Fragment]
            let docComment: DocComment?
        }
        let symbols: [Entry]
    }
}

/// Writes the repository as students get it: without Solutions/, the instructor's tool and CI.
struct StudentCopy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "student-copy",
        abstract: "Write the student copy of the workbook: the last commit without the reference solutions.",
        discussion: """
            Exports the last commit (uncommitted changes are never copied: commit first) into DESTINATION, \
            leaving out Solutions/, Sources/instructor/, Sources/bench/, Tests/InstructorTests/ and .ci/, and the README passages between \
            `<!-- instructor-only -->` and `<!-- /instructor-only -->`; a line `<!-- student-copy: TEXT -->` \
            becomes TEXT. Without Solutions/ the manifest builds only the exercises track. With --verify it \
            then builds the copy, runs `swift test` and checks that `swift run grade` reports every exercise \
            as not implemented, building in a temporary folder and leaving the copy as it was written.
            """)

    @Argument(help: "The folder to create; it must not exist yet.")
    var destination: String

    @Flag(help: "Build the copy and grade it: every exercise must be 'not implemented'.")
    var verify = false

    /// What the copy leaves out, as path prefixes.
    static let instructorOnly = ["Solutions/", "Sources/instructor/", "Sources/bench/", "Tests/InstructorTests/", ".ci/"]

    func run() throws {
        let fileManager = FileManager.default
        let target = URL(fileURLWithPath: destination).standardizedFileURL
        guard !fileManager.fileExists(atPath: target.path) else {
            throw ValidationError("\(target.path) exists already: choose a new folder, the copy never overwrites")
        }
        let status = try Shell.run(["git", "status", "--porcelain", "--untracked-files=no"])
        guard status.status == 0 else { throw ValidationError("run this inside the workbook's git repository:\n\(status.output)") }
        if !status.output.isEmpty {
            print("Note: uncommitted changes are not copied; the copy is the last commit.")
        }
        try fileManager.createDirectory(at: target, withIntermediateDirectories: true)
        let archive = target.appendingPathComponent(".student-copy.tar")
        let export = try Shell.run(["git", "archive", "--format=tar", "-o", archive.path, "HEAD"])
        guard export.status == 0 else { throw ValidationError("git archive failed:\n\(export.output)") }
        let unpack = try Shell.run(["tar", "-xf", archive.path, "-C", target.path])
        try fileManager.removeItem(at: archive)
        guard unpack.status == 0 else { throw ValidationError("could not unpack the export:\n\(unpack.output)") }
        for prefix in Self.instructorOnly {
            let path = target.appendingPathComponent(prefix)
            if fileManager.fileExists(atPath: path.path) { try fileManager.removeItem(at: path) }
        }
        let readme = target.appendingPathComponent("README.md")
        if fileManager.fileExists(atPath: readme.path) {
            let text = try String(contentsOf: readme, encoding: .utf8)
            try Self.studentREADME(text).write(to: readme, atomically: true, encoding: .utf8)
        }
        print("Wrote the student copy of the last commit to \(target.path): no \(Self.instructorOnly.joined(separator: ", ")).")
        guard verify else { return }
        try Self.verify(target)
    }

    /// Builds the copy, runs its tests and grades it, with the build folder outside the copy (removed
    /// afterwards), then removes whatever else SwiftPM left at the copy's top (`Package.resolved`), so
    /// that the copy is shipped as it was written.
    static func verify(_ copy: URL) throws {
        let fileManager = FileManager.default
        let scratch = fileManager.temporaryDirectory.appendingPathComponent("student-copy-build-\(UUID().uuidString)")
        let written = Set(try fileManager.contentsOfDirectory(atPath: copy.path))
        defer {
            try? fileManager.removeItem(at: scratch)
            // SwiftPM's lock files for the scratch folder, named after its path, in the temporary folder.
            let locks = scratch.path.replacingOccurrences(of: "/", with: "_")
            for name in (try? fileManager.contentsOfDirectory(atPath: fileManager.temporaryDirectory.path)) ?? []
            where name.hasPrefix(locks) {
                try? fileManager.removeItem(at: fileManager.temporaryDirectory.appendingPathComponent(name))
            }
            for name in (try? fileManager.contentsOfDirectory(atPath: copy.path)) ?? [] where !written.contains(name) {
                try? fileManager.removeItem(at: copy.appendingPathComponent(name))
            }
        }
        func swift(_ arguments: [String]) throws -> String {
            // The copy has one track; WORKBOOK=solutions in the environment would stop its manifest.
            let result = try Shell.run(["swift"] + arguments, environment: ["WORKBOOK": "exercises"], directory: copy)
            guard result.status == 0 else {
                print(result.output)
                print("student copy NOT verified: `swift \(arguments.joined(separator: " "))` failed in \(copy.path)")
                throw ExitCode.failure
            }
            return result.output
        }
        let scratchPath = ["--scratch-path", scratch.path]
        print("Verifying: building the copy (in \(scratch.path))…")
        _ = try swift(["build", "--build-tests"] + scratchPath)
        print("Running its tests…")
        let tests = try swift(["test", "--skip-build"] + scratchPath)
        // XCTest's last summary covers all tests: "Executed 212 tests, with 95 tests skipped and 0 failures …".
        let summary = tests.split(separator: "\n").last { $0.contains("Executed ") }.map(String.init) ?? ""
        func count(after word: String) -> Int? {
            let words = summary.split(separator: " ")
            return words.firstIndex(of: Substring(word)).flatMap { $0 + 1 < words.count ? Int(words[$0 + 1]) : nil }
        }
        let executed = count(after: "Executed") ?? 0
        let skipped = count(after: "with") ?? 0
        print("Grading it…")
        let graded = try swift(["run", "--skip-build"] + scratchPath + ["grade", "--skip-build", "--expect", "not-implemented"] + scratchPath)
        print(graded.split(separator: "\n").filter { !$0.hasPrefix("[") }.joined(separator: "\n"))
        print("student copy verified: builds, \(executed) tests (\(executed - skipped) passed, \(skipped) skipped, 0 failed), "
              + "every graded exercise reported as not implemented; the build was made outside the copy and removed")
    }

    /// The README without its instructor-only passages, with its student-copy lines uncommented.
    static func studentREADME(_ text: String) -> String {
        var kept: [Substring] = []
        var skipping = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == "<!-- instructor-only -->" { skipping = true; continue }
            if trimmed == "<!-- /instructor-only -->" { skipping = false; continue }
            if skipping { continue }
            if trimmed.hasPrefix("<!-- student-copy:"), trimmed.hasSuffix("-->") {
                let start = line.range(of: "<!-- student-copy:")!.upperBound
                let end = line.range(of: "-->", options: .backwards)!.lowerBound
                var content = line[start ..< end]
                if content.hasPrefix(" ") { content = content.dropFirst() }
                if content.hasSuffix(" ") { content = content.dropLast() }
                kept.append(content)
                continue
            }
            kept.append(line)
        }
        return kept.joined(separator: "\n")
    }
}

/// Runs a command and collects its output (stdout and stderr together).
enum Shell {
    static func run(_ arguments: [String], environment extra: [String: String] = [:], directory: URL? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        if let directory { process.currentDirectoryURL = directory }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
