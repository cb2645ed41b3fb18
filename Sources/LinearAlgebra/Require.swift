/// Stops the program with `message` when `condition` is false, in every build configuration.
///
/// The workbook's shape checks use this instead of `precondition`, because an optimised build (`-O`,
/// the release builds the chapter programs run in, and the numeric modules even in debug) keeps a
/// failed `precondition`'s trap but drops its message — and the message is the useful part:
/// `Matrix +: shapes (3, 4) and (4, 3) do not broadcast`.
///
/// - Parameters:
///   - condition: what must hold.
///   - message: what went wrong, naming the shapes or values involved; built only on failure.
@inlinable @inline(__always)
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                    file: StaticString = #fileID, line: UInt = #line) {
    if _slowPath(!condition()) { fatalError(message(), file: file, line: line) }
}
