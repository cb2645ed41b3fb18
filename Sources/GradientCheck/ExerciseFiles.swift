import Foundation

/// Where each exercise is declared, so that a failure message can name its file
/// ("computeDistancesNoLoops (Exercises/01-knn/KNearestNeighbor.swift): …").
///
/// The exercise files are read once, from `Exercises/` and its chapter folders, found from this file's
/// place in the package (Sources/GradientCheck/); the student's files are what a student opens, whichever
/// track is built.
public enum ExerciseFiles {
    /// The package's Exercises/ folder.
    public static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Exercises")

    private static let sources = read(folder)

    /// "Exercises/<chapter>/<file>.swift" for a function (`func name(` or `func name<`) or a type
    /// (`struct`, `class` or `enum name`) declared in an exercise file, or nil (inline questions are named
    /// by the chapter's questions file instead).
    ///
    /// - Parameter test: the failing test's file (`#filePath`); when it lies in a chapter folder
    ///   (`Tests/WorkbookTests/04-neural-networks/`), that chapter's exercises are searched first, since
    ///   chapters share names (chapter 3's `Value.reluBackward()`, chapter 4's `reluBackward(_:cache:)`).
    public static func file(declaring exercise: String, test: String = "") -> String? {
        file(declaring: exercise, in: sources, chapter: chapterFolder(of: test))
    }

    /// The same lookup in given sources: (path inside Exercises/, text) pairs, searched in path order,
    /// those of `chapter` (a folder name such as "04-neural-networks") first.
    public static func file(declaring exercise: String, in sources: [(path: String, text: String)],
                            chapter: String? = nil) -> String? {
        let patterns = ["func \(exercise)(", "func \(exercise)<", "struct \(exercise) ", "struct \(exercise):",
                        "class \(exercise) ", "class \(exercise):", "enum \(exercise) ", "enum \(exercise):"]
        let own = sources.filter { chapter != nil && $0.path.hasPrefix(chapter! + "/") }
        return (own + sources).first { source in patterns.contains { source.text.contains($0) } }.map { "Exercises/\($0.path)" }
    }

    /// The chapter folder ("04-neural-networks": two digits, a dash, a name) that holds `path`, or nil.
    public static func chapterFolder(of path: String) -> String? {
        let parts: [Substring] = path.split(separator: "/")
        let chapter = parts.last { part in
            part.count > 3 && part.prefix(2).allSatisfy(\.isNumber) && part.dropFirst(2).first == "-"
        }
        return chapter.map(String.init)
    }

    /// Every Swift file under `folder`, as its path inside it ("01-knn/KNearestNeighbor.swift") and its
    /// text, in path order; a folder that cannot be read gives none.
    public static func read(_ folder: URL) -> [(path: String, text: String)] {
        let names = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
        return names.filter { $0.hasSuffix(".swift") }.sorted().compactMap { name in
            (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)).map { (name, $0) }
        }
    }
}
