/// A plot that renders itself as SVG text: ``LinePlot``, ``ErrorBarPlot``, ``Histogram``,
/// ``ColorScatterPlot``.
///
/// Every plot is 640 x 420 pixels (SVG scales without loss), skips data it cannot place (NaN, infinite,
/// not positive on a logarithmic axis) instead of producing a broken document, and says "no data" in
/// the middle of its axes when nothing is left.
public protocol SVGPlot {
    /// The plot as a complete SVG document (UTF-8 XML text).
    func makeSVG() -> String
}

extension SVGPlot {
    /// Writes ``makeSVG()`` to `path`, typically ending in `.svg`. The directory must exist.
    /// - Throws: `WriteError` naming `path` and the system's reason; nothing is left at `path` after a failure.
    public func write(to path: String) throws {
        try writeText(makeSVG(), to: path)
    }
}

// MARK: - The frame every plot draws in

/// Where a plot's parts go, in pixels: the plot area between the margins, the title above it, axis
/// labels and tick labels outside it, and a legend or colour bar in the right margin. Data and ticks
/// are placed a few pixels inside the frame, so that points at the ends of an axis are not cut in half.
struct PlotFrame {
    static let width = 640.0
    static let height = 420.0
    let x: PlotAxis
    let y: PlotAxis
    /// Edges of the framed plot area.
    let left = 76.0
    let top = 44.0
    let bottom = PlotFrame.height - 56
    let right: Double
    /// Pixels between the frame and the ends of the x axis, and of the y axis.
    let insetX = 8.0
    let insetY: Double

    /// A frame with `rightMargin` pixels to the right of the plot area for a legend or colour bar.
    /// `insetY` 0 puts the ends of the y axis on the frame (bars of a histogram stand on it).
    init(x: PlotAxis, y: PlotAxis, rightMargin: Double = 24, insetY: Double = 8) {
        self.x = x
        self.y = y
        self.right = PlotFrame.width - rightMargin
        self.insetY = insetY
    }

    /// A new document of the frame's size, titled `title` (or "plot").
    static func document(title: String) -> SVGDocument {
        SVGDocument(width: width, height: height, title: title.isEmpty ? "plot" : title)
    }

    /// The pixel position of a data point.
    /// - Precondition: both coordinates are plottable on their axes.
    func position(_ dataX: Double, _ dataY: Double) -> (x: Double, y: Double) {
        (pixelX(x.fraction(of: dataX)), pixelY(y.fraction(of: dataY)))
    }

    /// The pixel column of a fraction along the x axis, and the pixel row of one along the y axis.
    func pixelX(_ fraction: Double) -> Double { left + insetX + fraction * (right - left - 2 * insetX) }
    func pixelY(_ fraction: Double) -> Double { bottom - insetY - fraction * (bottom - top - 2 * insetY) }

    /// Draws grid lines, the frame, ticks and their labels, the title and the axis labels.
    func drawAxes(in svg: inout SVGDocument, title: String, xLabel: String, yLabel: String) {
        let gridColor = Color(gray: 232)
        let axisColor = Color(gray: 70)
        for tick in x.ticks {
            let px = pixelX(tick.fraction)
            svg.line(from: (px, top), to: (px, bottom), stroke: gridColor, class: "grid")
            svg.line(from: (px, bottom), to: (px, bottom + 5), stroke: axisColor, class: "tick")
            svg.text(tick.label, at: (px, bottom + 18), size: 11, anchor: .middle, class: "tick-label")
        }
        for tick in y.ticks {
            let py = pixelY(tick.fraction)
            svg.line(from: (left, py), to: (right, py), stroke: gridColor, class: "grid")
            svg.line(from: (left - 5, py), to: (left, py), stroke: axisColor, class: "tick")
            svg.text(tick.label, at: (left - 8, py + 4), size: 11, anchor: .end, class: "tick-label")
        }
        for fraction in x.minorTicks {
            let px = pixelX(fraction)
            svg.line(from: (px, bottom), to: (px, bottom + 3), stroke: axisColor, class: "tick")
        }
        for fraction in y.minorTicks {
            let py = pixelY(fraction)
            svg.line(from: (left - 3, py), to: (left, py), stroke: axisColor, class: "tick")
        }
        svg.rectangle(x: left, y: top, width: right - left, height: bottom - top, fill: nil, stroke: axisColor, class: "frame")
        let (titleX, titleSize) = titlePlacement(title)
        svg.text(title, at: (titleX, 26), size: titleSize, anchor: .middle, bold: true, class: "title")
        svg.text(xLabel, at: ((left + right) / 2, PlotFrame.height - 16), size: 13, anchor: .middle, class: "axis-label")
        svg.text(yLabel, at: (20, (top + bottom) / 2), size: 13, anchor: .middle, rotation: -90, class: "axis-label")
    }

    /// "no data" in the middle of the plot area, for plots with nothing plottable.
    func drawNoDataNote(in svg: inout SVGDocument) {
        svg.text("no data", at: ((left + right) / 2, (top + bottom) / 2), size: 14, anchor: .middle,
                 color: Color(gray: 120), class: "no-data")
    }

    /// The right margin a legend of `names` needs (text is estimated at 0.6 em per character).
    /// Where the title's centre goes and its font size: over the plot area, moved (and, if it is wider
    /// than the page, shrunk) so that the whole title stays on the page, estimating a character as 0.6
    /// of the font size. (Centred over a plot area narrowed by a colour bar, a long title ran off the
    /// left edge.)
    func titlePlacement(_ title: String, size: Double = 15) -> (x: Double, size: Double) {
        let margin = 8.0
        let size = min(size, max(6, (PlotFrame.width - 2 * margin) / (0.6 * Double(max(title.count, 1)))))
        let half = 0.6 * size * Double(title.count) / 2
        let centre = min(max((left + right) / 2, margin + half), PlotFrame.width - margin - half)
        return (centre, size)
    }

    static func legendMargin(for names: [String]) -> Double {
        let longest = names.map(\.count).max() ?? 0
        return longest == 0 ? 24 : 24 + 30 + 0.6 * 12 * Double(longest) + 12
    }

    /// How a legend entry shows its colour: as a short line or as a dot.
    enum LegendMark { case line, dot }

    /// A legend in the right margin: each entry's mark in its colour, then its name.
    func drawLegend(_ entries: [(name: String, color: Color, mark: LegendMark)], in svg: inout SVGDocument) {
        for (index, entry) in entries.enumerated() {
            let rowY = top + 12 + 20 * Double(index)
            switch entry.mark {
            case .line: svg.line(from: (right + 14, rowY - 4), to: (right + 38, rowY - 4), stroke: entry.color, width: 2.5, class: "legend")
            case .dot: svg.circle(at: (right + 26, rowY - 4), radius: 3.5, fill: entry.color, class: "legend")
            }
            svg.text(entry.name, at: (right + 44, rowY), size: 12, class: "legend")
        }
    }
}

// MARK: - Colours

/// Ten distinct colours for series, used in order and then again.
enum SeriesPalette {
    static let colors: [Color] = [
        Color(red: 47, green: 109, blue: 179), Color(red: 224, green: 123, blue: 36),
        Color(red: 46, green: 154, blue: 79), Color(red: 200, green: 54, blue: 74),
        Color(red: 122, green: 82, blue: 179), Color(red: 140, green: 98, blue: 57),
        Color(red: 212, green: 95, blue: 168), Color(red: 95, green: 107, blue: 115),
        Color(red: 166, green: 166, blue: 33), Color(red: 31, green: 163, blue: 181),
    ]

    static func color(_ index: Int) -> Color { colors[index % colors.count] }
}

/// A sequential colour scale from dark indigo (low values) through blue and green to yellow (high),
/// brightening steadily so that order survives greyscale printing.
enum ColorScale {
    static let stops: [Color] = [
        Color(red: 43, green: 27, blue: 94), Color(red: 44, green: 110, blue: 158),
        Color(red: 39, green: 165, blue: 138), Color(red: 168, green: 209, blue: 75),
        Color(red: 247, green: 227, blue: 60),
    ]

    /// The colour at `fraction` of the way along the scale (clamped to 0...1).
    static func color(at fraction: Double) -> Color {
        let position = min(max(fraction.isNaN ? 0 : fraction, 0), 1) * Double(stops.count - 1)
        let index = min(Int(position), stops.count - 2)
        return stops[index].mixed(with: stops[index + 1], by: position - Double(index))
    }
}
