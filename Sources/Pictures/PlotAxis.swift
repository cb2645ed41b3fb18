import Foundation

/// One axis of a plot: the range of data values it shows, its ticks, and where a value falls along it.
///
/// A linear axis widens the data's range to round ticks spaced 1, 2 or 5 times a power of ten, four
/// to seven of them. A logarithmic axis spans whole decades with a tick at each power of ten (every
/// second or third power when there are many) and minor ticks at 2...9 times each power; its labels
/// are plain ("0.01", "1000") when the axis stays within 0.001...10000 and "1e-7" style otherwise.
///
/// Values that cannot be placed (NaN, infinite, beyond ±1e300, or not positive on a logarithmic axis)
/// are not plottable: plots skip them. With no plottable values the axis shows 0...1 (1...10 when
/// logarithmic); when all are equal it shows a range around them.
struct PlotAxis {
    let isLogarithmic: Bool
    /// Ticks in order: where each falls (0 at the low end, 1 at the high end) and its label.
    private(set) var ticks: [(fraction: Double, label: String)] = []
    /// Unlabelled minor ticks of a logarithmic axis, as fractions.
    private(set) var minorTicks: [Double] = []
    /// The shown range: data values for a linear axis, base-10 exponents for a logarithmic one.
    private let low: Double
    private let high: Double

    /// Whether `value` can be placed on an axis of this kind.
    static func isPlottable(_ value: Double, logarithmic: Bool) -> Bool {
        value.isFinite && abs(value) <= 1e300 && (!logarithmic || value > 0)
    }

    /// Whether `range` is too narrow to tick: below a 1e-12 fraction of its values, or below about
    /// 1e-290, where the powers of ten that ticks need stop being representable. Such a range is
    /// treated as a single value.
    static func isNegligible(_ range: ClosedRange<Double>) -> Bool {
        let width = range.upperBound - range.lowerBound
        return width <= max(abs(range.lowerBound), abs(range.upperBound)) * 1e-12 || width < 1e-290
    }

    /// An axis covering every plottable value in `values`, and 0 too when `includingZero` (for counts).
    init(covering values: [Double], logarithmic: Bool, includingZero: Bool = false) {
        isLogarithmic = logarithmic
        let plottable = values.filter { PlotAxis.isPlottable($0, logarithmic: logarithmic) }
        if logarithmic {
            var lowExponent = (plottable.min().map { Foundation.floor(log10($0)) }) ?? 0
            var highExponent = (plottable.max().map { Foundation.ceil(log10($0)) }) ?? 1
            if lowExponent == highExponent {
                lowExponent -= 1
                highExponent += 1
            }
            (low, high) = (lowExponent, highExponent)
            let step = max(1, Foundation.ceil((highExponent - lowExponent) / 8))
            let plain = lowExponent >= -3 && highExponent <= 4
            for exponent in stride(from: lowExponent, through: highExponent, by: step) {
                ticks.append((fraction(ofExponent: exponent), PlotAxis.powerOfTenLabel(Int(exponent), plain: plain)))
            }
            if step == 1 && highExponent - lowExponent <= 6 {
                for exponent in stride(from: lowExponent, to: highExponent, by: 1) {
                    minorTicks += (2 ... 9).map { fraction(ofExponent: exponent + log10(Double($0))) }
                }
            }
        } else {
            var lowest = plottable.min() ?? 0
            var highest = plottable.max() ?? 1
            if includingZero {
                lowest = min(lowest, 0)
                highest = max(highest, 0)
            }
            if PlotAxis.isNegligible(lowest ... highest) {
                let center = (lowest + highest) / 2
                let pad = abs(center) > 1e-290 ? abs(center) / 2 : 1
                (lowest, highest) = (center - pad, center + pad)
            }
            // Tick spacing: the smallest mantissa (1, 2 or 5) times 10^exponent that is at least a fifth
            // of the range; rounding the ends out to whole steps then gives four to seven ticks.
            let raw = (highest - lowest) / 5
            var exponent = Int(Foundation.floor(log10(raw)))
            let leading = raw / pow(10, Double(exponent))
            var mantissa = leading <= 1 ? 1.0 : leading <= 2 ? 2 : leading <= 5 ? 5 : 10
            if mantissa == 10 {
                mantissa = 1
                exponent += 1
            }
            // Tick k is k * mantissa * 10^exponent, computed so that e.g. 3 * 0.1 prints as 0.3.
            func tick(_ k: Double) -> Double {
                exponent >= 0 ? k * mantissa * pow(10, Double(exponent)) : k * mantissa / pow(10, Double(-exponent))
            }
            let step = tick(1)
            let firstTick = Foundation.floor(lowest / step)
            let lastTick = Foundation.ceil(highest / step)
            (low, high) = (tick(firstTick), tick(lastTick))
            let decimals = max(0, -exponent)
            let scientific = max(abs(low), abs(high)) >= 1e6 || decimals > 6
            for k in stride(from: firstTick, through: lastTick, by: 1) {
                let value = tick(k) + 0  // + 0 turns -0 into 0, which prints without a sign
                let label = scientific ? String(format: "%g", value) : String(format: "%.\(decimals)f", value)
                ticks.append((fraction(of: value), label))
            }
        }
    }

    /// Where `value` falls along the axis: 0 at the low end, 1 at the high end.
    /// - Precondition: `value` is plottable on this axis.
    func fraction(of value: Double) -> Double {
        isLogarithmic ? fraction(ofExponent: log10(value)) : (value - low) / (high - low)
    }

    private func fraction(ofExponent exponent: Double) -> Double { (exponent - low) / (high - low) }

    /// 10^exponent written plainly ("0.001", "100"; for axes within 0.001...10000) or as "1e-7".
    private static func powerOfTenLabel(_ exponent: Int, plain: Bool) -> String {
        guard plain else { return "1e\(exponent)" }
        return exponent >= 0
            ? "1" + String(repeating: "0", count: exponent)
            : "0." + String(repeating: "0", count: -exponent - 1) + "1"
    }
}
