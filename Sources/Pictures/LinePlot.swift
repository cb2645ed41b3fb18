import LinearAlgebra
import Foundation

/// Lines through (x, y) points, one per named series, with a legend: loss per iteration, training and
/// validation accuracy per epoch.
///
/// ```swift
/// var plot = LinePlot(title: "Training loss", xLabel: "iteration", yLabel: "loss")
/// plot.addSeries("loss", y: lossHistory)
/// try plot.write(to: "out/two-layer-net/loss.svg")
/// ```
///
/// Points with a coordinate that cannot be placed (NaN, infinite, not positive on a logarithmic axis)
/// are skipped and the line joins the points either side. A series with 25 points or fewer also gets
/// a dot at each point (so a single point shows), with its coordinates as a tooltip; a series of one
/// point has its y value written beside its dot. Series are
/// coloured in the order they were added; the legend lists those with a non-empty name.
public struct LinePlot: SVGPlot {
    /// One named line: `y[i]` is plotted at `x[i]`.
    public struct Series: Equatable, Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]
    }

    public var title: String
    /// Caption of the horizontal axis, with units if any (e.g. "iteration", "learning rate").
    public var xLabel: String
    /// Caption of the vertical axis (e.g. "loss", "accuracy").
    public var yLabel: String
    /// Whether the x axis is logarithmic (base 10), e.g. for learning rates.
    public var logarithmicX: Bool
    /// Whether the y axis is logarithmic (base 10), e.g. for a loss spanning several decades.
    public var logarithmicY: Bool
    /// The series added so far, in drawing order.
    public private(set) var series: [Series] = []

    public init(title: String = "", xLabel: String = "", yLabel: String = "",
                logarithmicX: Bool = false, logarithmicY: Bool = false) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logarithmicX = logarithmicX
        self.logarithmicY = logarithmicY
    }

    /// Adds a line through the points (x[i], y[i]).
    /// - Precondition: `x.count == y.count`.
    public mutating func addSeries(_ name: String, x: [Double], y: [Double]) {
        require(x.count == y.count, "LinePlot.addSeries: \(x.count) x values but \(y.count) y values for \(name)")
        series.append(Series(name: name, x: x, y: y))
    }

    /// Adds a line through (0, y[0]), (1, y[1]), ...: a history indexed by iteration or epoch.
    public mutating func addSeries(_ name: String, y: [Double]) {
        addSeries(name, x: y.indices.map(Double.init), y: y)
    }

    /// The plot as SVG, 640 x 420 pixels.
    public func makeSVG() -> String {
        let points = series.map { line in
            zip(line.x, line.y).filter {
                PlotAxis.isPlottable($0.0, logarithmic: logarithmicX) && PlotAxis.isPlottable($0.1, logarithmic: logarithmicY)
            }
        }
        let xAxis = PlotAxis(covering: points.flatMap { $0.map(\.0) }, logarithmic: logarithmicX)
        let yAxis = PlotAxis(covering: points.flatMap { $0.map(\.1) }, logarithmic: logarithmicY)
        let legend = series.enumerated().filter { !$0.element.name.isEmpty }.map {
            (name: $0.element.name, color: SeriesPalette.color($0.offset), mark: PlotFrame.LegendMark.line)
        }
        let frame = PlotFrame(x: xAxis, y: yAxis, rightMargin: PlotFrame.legendMargin(for: legend.map(\.name)))
        var svg = PlotFrame.document(title: title)
        frame.drawAxes(in: &svg, title: title, xLabel: xLabel, yLabel: yLabel)
        if points.allSatisfy(\.isEmpty) { frame.drawNoDataNote(in: &svg) }
        for (index, linePoints) in points.enumerated() {
            let color = SeriesPalette.color(index)
            let pixels = linePoints.map { frame.position($0.0, $0.1) }
            if pixels.count >= 2 { svg.polyline(pixels, stroke: color, class: "series") }
            guard pixels.count <= 25 else { continue }
            for (point, pixel) in zip(linePoints, pixels) {
                let tooltip = "\(series[index].name) (\(String(format: "%g", point.0)), \(String(format: "%g", point.1)))"
                svg.circle(at: pixel, radius: pixels.count == 1 ? 4 : 3, fill: color, tooltip: tooltip, class: "point")
            }
            // A lone point (a one-epoch run's accuracy) has no line to read its value from: it is written beside it.
            if let pixel = pixels.first, pixels.count == 1 {
                svg.text(String(format: "%#.3g", linePoints[0].1), at: (pixel.x + 8, pixel.y + 4), size: 12, color: color, class: "point-label")
            }
        }
        frame.drawLegend(legend, in: &svg)
        return svg.xml
    }
}
