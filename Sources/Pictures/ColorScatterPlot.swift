import Foundation

/// Points at (x, y) coloured by a value, with a colour bar: a hyperparameter search, learning rate
/// against regularization strength on logarithmic axes, coloured by validation accuracy.
///
/// ```swift
/// var plot = ColorScatterPlot(title: "Hyperparameter search", xLabel: "learning rate",
///                             yLabel: "regularization strength", colorLabel: "validation accuracy",
///                             logarithmicX: true, logarithmicY: true)
/// for run in runs { plot.addPoint(x: run.learningRate, y: run.regularization, value: run.accuracy) }
/// try plot.write(to: "out/linear-classifier/search.svg")
/// ```
///
/// Colours run from dark indigo (lowest value) to yellow (highest) over the colour bar's range; the
/// point with the highest value is ringed. Every point carries its numbers as a tooltip. Points with a
/// coordinate or value that cannot be placed (NaN, infinite, not positive on a logarithmic axis) are
/// skipped. When all values are equal every point has the middle colour.
public struct ColorScatterPlot: SVGPlot {
    /// One point: where it goes and the value that colours it.
    public struct Point: Equatable, Sendable {
        public var x: Double
        public var y: Double
        public var value: Double
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Caption of the colour bar: what the value is (e.g. "validation accuracy").
    public var colorLabel: String
    /// Whether the x axis is logarithmic (base 10).
    public var logarithmicX: Bool
    /// Whether the y axis is logarithmic (base 10).
    public var logarithmicY: Bool
    /// The points added so far.
    public private(set) var points: [Point] = []

    public init(title: String = "", xLabel: String = "", yLabel: String = "", colorLabel: String = "",
                logarithmicX: Bool = false, logarithmicY: Bool = false) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.colorLabel = colorLabel
        self.logarithmicX = logarithmicX
        self.logarithmicY = logarithmicY
    }

    /// Adds a point at (x, y) coloured by `value`.
    public mutating func addPoint(x: Double, y: Double, value: Double) {
        points.append(Point(x: x, y: y, value: value))
    }

    /// The plot as SVG, 640 x 420 pixels.
    public func makeSVG() -> String {
        let shown = points.filter {
            PlotAxis.isPlottable($0.x, logarithmic: logarithmicX) && PlotAxis.isPlottable($0.y, logarithmic: logarithmicY)
                && PlotAxis.isPlottable($0.value, logarithmic: false)
        }
        let xAxis = PlotAxis(covering: shown.map(\.x), logarithmic: logarithmicX)
        let yAxis = PlotAxis(covering: shown.map(\.y), logarithmic: logarithmicY)
        let valueAxis = PlotAxis(covering: shown.map(\.value), logarithmic: false)
        let frame = PlotFrame(x: xAxis, y: yAxis, rightMargin: 110)
        var svg = PlotFrame.document(title: title)
        frame.drawAxes(in: &svg, title: title, xLabel: xLabel, yLabel: yLabel)
        if shown.isEmpty { frame.drawNoDataNote(in: &svg) }

        for point in shown {
            let tooltip = String(format: "x %g, y %g: %.4g", point.x, point.y, point.value)
            svg.circle(at: frame.position(point.x, point.y), radius: 5, fill: ColorScale.color(at: valueAxis.fraction(of: point.value)),
                       tooltip: tooltip, class: "point")
        }
        if let best = shown.max(by: { $0.value < $1.value }) {
            let center = frame.position(best.x, best.y)
            svg.ring(at: center, radius: 8.5, stroke: .black, width: 1.5, class: "best")
        }

        // The colour bar: a gradient from the lowest value (bottom) to the highest (top), with ticks
        // level with the y axis's ends.
        let barLeft = frame.right + 18
        let (barTop, barBottom) = (frame.pixelY(1), frame.pixelY(0))
        svg.defineUpwardGradient(id: "color-scale", colors: ColorScale.stops)
        svg.rectangle(x: barLeft, y: barTop, width: 14, height: barBottom - barTop, fill: "url(#color-scale)",
                      stroke: Color(gray: 70), class: "color-bar")
        for tick in valueAxis.ticks {
            let py = frame.pixelY(tick.fraction)
            svg.line(from: (barLeft + 14, py), to: (barLeft + 18, py), stroke: Color(gray: 70), class: "tick")
            svg.text(tick.label, at: (barLeft + 21, py + 4), size: 11, class: "tick-label")
        }
        svg.text(colorLabel, at: (PlotFrame.width - 12, (frame.top + frame.bottom) / 2), size: 13, anchor: .middle,
                 rotation: -90, class: "axis-label")
        return svg.xml
    }
}
