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
    /// The exercise's file relative to the track folder's parent, e.g. `Exercises/KNearestNeighbor.swift`.
    public let file: String

    public init(function: String = #function, filePath: String = #filePath) {
        self.function = function
        let parts = filePath.split(separator: "/")
        self.file = parts.suffix(2).joined(separator: "/")
    }

    public var description: String { "not implemented: \(function) in \(file)" }
}
