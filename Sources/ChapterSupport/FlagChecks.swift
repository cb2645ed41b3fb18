import ArgumentParser
import Foundation

// Checks of numeric flags, for the programs' `validate()`. Numeric options are declared with
// `parsing: .unconditional`, so that `--learning-rate -1` reaches these checks instead of stopping in
// the parser with "Missing value" (a leading minus otherwise reads as the start of another option);
// each error names the flag, the rule and the value given.

/// Throws "`flag` must be positive, got `value`" unless `value >= 1`.
public func requirePositive(_ value: Int, flag: String) throws {
    guard value >= 1 else { throw ValidationError("\(flag) must be positive, got \(value)") }
}

/// Throws "`flag` must be a positive number, got `value`" unless `value > 0` and finite.
public func requirePositive(_ value: Double, flag: String) throws {
    guard value > 0, value.isFinite else { throw ValidationError("\(flag) must be a positive number, got \(String(format: "%g", value))") }
}

/// Throws "`flag` cannot be negative, got `value`" when `value < 0`.
public func requireNotNegative(_ value: Int, flag: String) throws {
    guard value >= 0 else { throw ValidationError("\(flag) cannot be negative, got \(value)") }
}

/// Throws "`flag` must be a number, 0 or more, got `value`" unless `value >= 0` and finite.
public func requireNotNegative(_ value: Double, flag: String) throws {
    guard value >= 0, value.isFinite else { throw ValidationError("\(flag) must be a number, 0 or more, got \(String(format: "%g", value))") }
}

/// The command line with every value of a list option attached to its flag: `--k-choices -3 5` becomes
/// `--k-choices=-3 --k-choices=5`, so that a negative value reaches the program's own check (an array
/// option reads values up to the next token that starts with a minus, which would take `-3` for an
/// option and stop with "Missing value"). The values attached are the numbers that follow the flag; a
/// flag followed by no number stays as typed, so that the parser's own message names it.
///
/// A program calls it from its `main()`: `main(attachingListValues(CommandLine.arguments.dropFirst(), to: ["--k-choices"]))`.
public func attachingListValues(_ arguments: some Sequence<String>, to listOptions: Set<String>) -> [String] {
    var result: [String] = []
    var current: String?        // the list flag whose values are being read
    var bare = false            // whether that flag was typed alone and has had no value attached yet
    for argument in arguments {
        if let option = current, Double(argument) != nil {
            result.append("\(option)=\(argument)")
            bare = false
            continue
        }
        if let option = current, bare { result.append(option) }
        current = nil
        bare = false
        if listOptions.contains(argument) {
            current = argument
            bare = true
        } else {
            if let equals = argument.firstIndex(of: "="), listOptions.contains(String(argument[..<equals])) {
                current = String(argument[..<equals])
            }
            result.append(argument)
        }
    }
    if let option = current, bare { result.append(option) }
    return result
}
