import Foundation

/// Several values at each x: every value as a dot, their means joined by a line, and error bars of one
/// standard deviation either side of each mean. Cross-validation draws one group per k, a dot per
/// fold's accuracy:
///
/// ```swift
/// var plot = ErrorBarPlot(title: "Cross-validation on k", xLabel: "k", yLabel: "accuracy")
/// for (k, accuracies) in accuraciesPerK { plot.addValues(accuracies, at: Double(k)) }
/// try plot.write(to: "out/knn/cross-validation.svg")
/// ```
///
/// The standard deviation divides by the number of values n (not n - 1), as NumPy's `std` does.
/// Non-finite values are skipped; a group with none left, or at an x that cannot be placed, is skipped
/// whole. The mean line joins the groups in increasing x, whatever order they were added in.
public struct ErrorBarPlot: SVGPlot {
    /// The values at one x.
    public struct Group: Equatable, Sendable {
        public var x: Double
        public var values: [Double]
    }

    public var title: String
    /// Caption of the horizontal axis (e.g. "k").
    public var xLabel: String
    /// Caption of the vertical axis (e.g. "cross-validation accuracy").
    public var yLabel: String
    /// Whether the x axis is logarithmic (base 10), e.g. for a regularization strength.
    public var logarithmicX: Bool
    /// What one dot is, for the legend (e.g. "each fold" for cross-validation).
    public var valueName: String
    /// The groups added so far.
    public private(set) var groups: [Group] = []

    public init(title: String = "", xLabel: String = "", yLabel: String = "", logarithmicX: Bool = false,
                valueName: String = "each value") {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logarithmicX = logarithmicX
        self.valueName = valueName
    }

    /// Adds the values measured at `x` (e.g. each fold's accuracy for one k).
    public mutating func addValues(_ values: [Double], at x: Double) {
        groups.append(Group(x: x, values: values))
    }

    /// The plot as SVG, 640 x 420 pixels.
    public func makeSVG() -> String {
        let summaries = groups
            .filter { PlotAxis.isPlottable($0.x, logarithmic: logarithmicX) }
            .map { group in (x: group.x, values: group.values.filter { PlotAxis.isPlottable($0, logarithmic: false) }) }
            .filter { !$0.values.isEmpty }
            .map { group -> (x: Double, values: [Double], mean: Double, deviation: Double) in
                let (mean, deviation) = meanAndStandardDeviation(group.values)
                return (group.x, group.values, mean, deviation)
            }
            .sorted { $0.x < $1.x }

        let xAxis = PlotAxis(covering: summaries.map(\.x), logarithmic: logarithmicX)
        let yAxis = PlotAxis(covering: summaries.flatMap { $0.values + [$0.mean - $0.deviation, $0.mean + $0.deviation] },
                             logarithmic: false)
        let valueColor = SeriesPalette.color(0)
        let meanColor = SeriesPalette.color(1)
        let legend: [(name: String, color: Color, mark: PlotFrame.LegendMark)] = [
            (valueName, valueColor, .dot), ("mean ± std", meanColor, .line),
        ]
        let frame = PlotFrame(x: xAxis, y: yAxis, rightMargin: PlotFrame.legendMargin(for: legend.map(\.name)))
        var svg = PlotFrame.document(title: title)
        frame.drawAxes(in: &svg, title: title, xLabel: xLabel, yLabel: yLabel)
        if summaries.isEmpty { frame.drawNoDataNote(in: &svg) }

        for group in summaries {
            for value in group.values {
                svg.circle(at: frame.position(group.x, value), radius: 3, fill: valueColor, opacity: 0.6,
                           tooltip: "\(String(format: "%g", group.x)): \(String(format: "%g", value))", class: "point")
            }
        }
        let means = summaries.map { frame.position($0.x, $0.mean) }
        if means.count >= 2 { svg.polyline(means, stroke: meanColor, class: "mean") }
        for (group, mean) in zip(summaries, means) {
            // Bars of values near ±1e300 may reach past what an axis can hold; they stop at its limit.
            let high = frame.position(group.x, min(group.mean + group.deviation, 1e300)).y
            let low = frame.position(group.x, max(group.mean - group.deviation, -1e300)).y
            svg.segments([((mean.x, low), (mean.x, high)), ((mean.x - 4, low), (mean.x + 4, low)),
                          ((mean.x - 4, high), (mean.x + 4, high))], stroke: meanColor, width: 1.5, class: "error-bar")
            let tooltip = String(format: "%g: mean %.4g ± %.2g (%d values)", group.x, group.mean, group.deviation, group.values.count)
            svg.circle(at: mean, radius: 3.5, fill: meanColor, tooltip: tooltip, class: "mean-point")
        }
        frame.drawLegend(legend, in: &svg)
        return svg.xml
    }
}

/// The mean of `values` and their standard deviation (dividing by n), computed on values scaled by
/// the largest magnitude so that sums of values near ±1e300 cannot overflow.
/// - Precondition: `values` is not empty and every value is finite.
private func meanAndStandardDeviation(_ values: [Double]) -> (mean: Double, deviation: Double) {
    let scale = values.map(abs).max() ?? 0
    guard scale > 0 else { return (0, 0) }
    let n = Double(values.count)
    let scaledMean = values.reduce(0) { $0 + $1 / scale } / n
    let scaledVariance = values.reduce(0) { $0 + ($1 / scale - scaledMean) * ($1 / scale - scaledMean) } / n
    return (scaledMean * scale, scaledVariance.squareRoot() * scale)
}
