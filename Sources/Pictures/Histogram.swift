/// How many values fall in each of `binCount` equal-width bins between the smallest and largest value:
/// the distribution of weights, activations or scores.
///
/// ```swift
/// try Histogram(values: hiddenActivations.storage, binCount: 30, title: "Layer 1 activations",
///               xLabel: "activation").write(to: "out/net/activations.svg")
/// ```
///
/// Bins are [low + i w, low + (i + 1) w) with the last one closed, so the largest value counts.
/// Non-finite values are skipped. When all values are equal the bins span 1 around them, so the
/// values stand in the middle bin.
public struct Histogram: SVGPlot {
    /// The values to count.
    public var values: [Double]
    /// Number of bins, at least 1.
    public var binCount: Int
    public var title: String
    /// Caption of the horizontal axis: what the values are.
    public var xLabel: String
    /// Caption of the vertical axis.
    public var yLabel: String

    public init(values: [Double], binCount: Int = 20, title: String = "", xLabel: String = "", yLabel: String = "count") {
        self.values = values
        self.binCount = binCount
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// The bins: the low edge of the first, the width of each, and the count in each.
    /// With no finite values every count is 0. Values whose range is below a 1e-12 fraction of their
    /// size (or below 1e-290) count as equal: the bins then span 1 around their middle.
    /// - Precondition: `binCount >= 1`.
    public var bins: (low: Double, width: Double, counts: [Int]) {
        precondition(binCount >= 1, "Histogram: binCount \(binCount) must be at least 1")
        let finite = values.filter { PlotAxis.isPlottable($0, logarithmic: false) }
        guard var low = finite.min(), var high = finite.max() else {
            return (0, 1 / Double(binCount), [Int](repeating: 0, count: binCount))
        }
        if PlotAxis.isNegligible(low ... high) {
            (low, high) = ((low + high) / 2 - 0.5, (low + high) / 2 + 0.5)
        }
        let width = (high - low) / Double(binCount)
        var counts = [Int](repeating: 0, count: binCount)
        for value in finite {
            counts[min(Int((value - low) / width), binCount - 1)] += 1
        }
        return (low, width, counts)
    }

    /// The plot as SVG, 640 x 420 pixels: one bar per non-empty bin.
    public func makeSVG() -> String {
        let (low, width, counts) = bins
        let edges = (0 ... binCount).map { low + Double($0) * width }
        let xAxis = PlotAxis(covering: [edges[0], edges[binCount]], logarithmic: false)
        let yAxis = PlotAxis(covering: counts.map(Double.init), logarithmic: false, includingZero: true)
        let frame = PlotFrame(x: xAxis, y: yAxis, insetY: 0)
        var svg = PlotFrame.document(title: title)
        frame.drawAxes(in: &svg, title: title, xLabel: xLabel, yLabel: yLabel)
        if counts.allSatisfy({ $0 == 0 }) { frame.drawNoDataNote(in: &svg) }
        for (bin, count) in counts.enumerated() where count > 0 {
            let topLeft = frame.position(edges[bin], Double(count))
            let bottomRight = frame.position(edges[bin + 1], 0)
            svg.rectangle(x: topLeft.x, y: topLeft.y, width: bottomRight.x - topLeft.x, height: bottomRight.y - topLeft.y,
                          fill: SeriesPalette.color(0).hex, stroke: .white, class: "bar")
        }
        return svg.xml
    }
}
