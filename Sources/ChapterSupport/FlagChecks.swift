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
