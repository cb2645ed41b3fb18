/// What an exercise stub throws until the student writes it.
///
/// The graded suites catch it and report the exercise as "not implemented", naming the function and its
/// file, instead of failing or crashing. A stub's body is a hint and then:
///
/// ```swift
/// throw NotImplemented()
/// ```
///
/// `function` and `file` are filled in from the call site.
public struct NotImplemented: Error, CustomStringConvertible, Equatable, Sendable {
    /// The exercise's function, as `#function` spells it (e.g. `computeDistancesTwoLoops(_:)`).
    public let function: String
    /// The exercise's file from its track folder on, e.g. `Exercises/01-knn/KNearestNeighbor.swift`.
    public let file: String

    public init(function: String = #function, filePath: String = #filePath) {
        self.function = function
        self.file = NotImplemented.trackRelative(filePath)
    }

    public var description: String { "not implemented: \(function) in \(file)" }

    /// A source path from its track folder (`Exercises/` or `Solutions/`) on, with the chapter folder:
    /// "/home/me/workbook/Exercises/01-knn/KNearestNeighbor.swift" gives "Exercises/01-knn/KNearestNeighbor.swift".
    /// A path outside both tracks keeps its last two parts.
    public static func trackRelative(_ path: String) -> String {
        let parts = path.split(separator: "/")
        guard let track = parts.lastIndex(where: { $0 == "Exercises" || $0 == "Solutions" }) else {
            return parts.suffix(2).joined(separator: "/")
        }
        return parts[track...].joined(separator: "/")
    }
}
