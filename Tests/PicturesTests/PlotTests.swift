import Foundation
import XCTest
@testable import Pictures

final class PlotTests: XCTestCase {
    func testLinePlotDrawsOneLinePerSeriesAndSkipsNaN() throws {
        var plot = LinePlot(title: "Loss", xLabel: "iteration", yLabel: "loss")
        plot.addSeries("train", x: [1, 2, 3, 4, 5], y: [2.3, .nan, 1.5, .infinity, 1.1])
        plot.addSeries("long", y: (0 ..< 40).map { 1 / Double($0 + 1) })
        plot.addSeries("single", x: [3], y: [1])
        plot.addSeries("empty", x: [], y: [])
        let svg = try ParsedSVG(plot.makeSVG())

        let lines = svg.elements(class: "series")
        XCTAssertEqual(lines.count, 2, "train and long have two or more points; single and empty do not")
        XCTAssertEqual(lines.map { ParsedSVG.points(of: $0).count }, [3, 40], "NaN and infinity are skipped")
        let dots = svg.elements(class: "point")
        XCTAssertEqual(dots.count, 3 + 1, "dots for series of at most 25 points: train's 3 and single's 1")
        XCTAssertEqual(svg.elements(class: "legend").filter { $0.name == "text" }.map(\.text), ["train", "long", "single", "empty"])
        XCTAssertEqual(svg.elements.first { $0.name == "title" }?.text, "Loss")
        XCTAssertEqual(svg.elements(class: "point-label").map(\.text), ["1.00"], "only the lone point has its value written beside it")

        // Increasing x goes right, decreasing y goes down the page (SVG's y grows downwards).
        let train = ParsedSVG.points(of: lines[0])
        XCTAssertTrue(train[0].x < train[1].x && train[1].x < train[2].x)
        XCTAssertTrue(train[0].y < train[1].y && train[1].y < train[2].y)
    }

    /// Issue: a one-epoch run's accuracy plot showed two dots and nothing to read them by. Each lone
    /// point has its value beside it, in its series' colour.
    func testAOnePointSeriesShowsItsValue() throws {
        var plot = LinePlot(title: "Classification accuracy", xLabel: "epoch", yLabel: "accuracy")
        plot.addSeries("train", x: [1], y: [0.5792])
        plot.addSeries("validation", x: [1], y: [0.565])
        let svg = try ParsedSVG(plot.makeSVG())
        let labels = svg.elements(class: "point-label")
        XCTAssertEqual(labels.map(\.text), ["0.579", "0.565"])
        XCTAssertEqual(labels.map { $0.attributes["fill"] }, svg.elements(class: "point").map { $0.attributes["fill"] })
    }

    func testLogarithmicAxisSpacesDecadesEquallyAndSkipsNonPositiveValues() throws {
        var plot = LinePlot(xLabel: "learning rate", logarithmicX: true)
        plot.addSeries("accuracy", x: [1e-7, 1e-6, 1e-5, 0, -1e-6], y: [0.1, 0.2, 0.3, 0.4, 0.5])
        let svg = try ParsedSVG(plot.makeSVG())
        let points = ParsedSVG.points(of: svg.elements(class: "series")[0])
        XCTAssertEqual(points.count, 3)
        XCTAssertEqual(points[1].x - points[0].x, points[2].x - points[1].x, accuracy: 0.02)
        let labels = svg.elements(class: "tick-label").map(\.text)
        XCTAssertTrue(labels.contains("1e-7") && labels.contains("1e-6") && labels.contains("1e-5"), "\(labels)")
    }

    func testLinearTicksAreRoundValues() {
        let axis = PlotAxis(covering: [0.13, 0.57], logarithmic: false)
        XCTAssertEqual(axis.ticks.map(\.label), ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6"])
        XCTAssertEqual(axis.ticks.first?.fraction, 0)
        XCTAssertEqual(axis.ticks.last?.fraction, 1)
        XCTAssertEqual(PlotAxis(covering: [-3, 1100], logarithmic: false).ticks.map(\.label),
                       ["-500", "0", "500", "1000", "1500"])
        XCTAssertEqual(PlotAxis(covering: [0.5, 0.5], logarithmic: false).ticks.map(\.label),
                       ["0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8"], "all-equal values get a range around them")
        XCTAssertEqual(PlotAxis(covering: [], logarithmic: false).ticks.map(\.label),
                       ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        XCTAssertEqual(PlotAxis(covering: [2, 3000], logarithmic: true).ticks.map(\.label), ["1", "10", "100", "1000", "10000"])
    }

    func testErrorBarPlotDrawsEveryValueAndMeanPlusMinusStandardDeviation() throws {
        var plot = ErrorBarPlot(title: "Cross-validation on k", xLabel: "k", yLabel: "accuracy")
        plot.addValues([0.30, 0.26, 0.28, 0.30, 0.26], at: 5)   // mean 0.28, std sqrt(0.0016 / 5), not / 4
        plot.addValues([0.25, 0.27, .nan, 0.26, 0.26], at: 1)   // NaN skipped: mean 0.26
        plot.addValues([0.2, 0.2, 0.2], at: 10)                 // std 0
        plot.addValues([.nan], at: 20)                          // nothing left: skipped
        plot.addValues([0.5], at: .nan)                         // x cannot be placed: skipped
        let svg = try ParsedSVG(plot.makeSVG())

        XCTAssertEqual(svg.elements(class: "point").count, 5 + 4 + 3)
        XCTAssertEqual(svg.elements(class: "error-bar").count, 3)
        let meanLine = ParsedSVG.points(of: svg.elements(class: "mean")[0])
        XCTAssertEqual(meanLine.count, 3)
        XCTAssertTrue(meanLine[0].x < meanLine[1].x && meanLine[1].x < meanLine[2].x, "means joined in increasing k")

        // Pixels per unit of accuracy, from the means of k = 1 (0.26) and k = 10 (0.20).
        let pixelsPerUnit = (meanLine[2].y - meanLine[0].y) / (0.26 - 0.20)
        let bar = svg.elements(class: "error-bar")[1]  // k = 5, drawn second in increasing k
        let numbers = (bar.attributes["d"] ?? "").split(whereSeparator: { "ML, ".contains($0) }).compactMap { Double($0) }
        let (barLow, barHigh) = (numbers[1], numbers[3])
        XCTAssertEqual((barLow + barHigh) / 2, meanLine[1].y, accuracy: 0.02, "the bar is centred on the mean")
        XCTAssertEqual(abs(barLow - barHigh) / 2 / abs(pixelsPerUnit), (0.0016 / 5).squareRoot(), accuracy: 5e-4,
                       "half the bar is one standard deviation, dividing by n (0.0179, where n - 1 gives 0.02)")
    }

    func testHistogramCountsFiniteValuesInEqualBins() throws {
        let histogram = Histogram(values: [0, 0.5, 1, 1, .nan, 2, -.infinity], binCount: 4)
        let bins = histogram.bins
        XCTAssertEqual(bins.low, 0)
        XCTAssertEqual(bins.width, 0.5)
        XCTAssertEqual(bins.counts, [1, 1, 2, 1], "the largest value falls in the last bin")
        XCTAssertEqual(try ParsedSVG(histogram.makeSVG()).elements(class: "bar").count, 4)

        let constant = Histogram(values: [3, 3, 3], binCount: 5).bins
        XCTAssertEqual(constant.counts.reduce(0, +), 3)
        XCTAssertEqual(constant.counts.filter { $0 > 0 }.count, 1)
        XCTAssertEqual(constant.low + constant.width * 5, 3.5)

        let empty = try ParsedSVG(Histogram(values: [.nan], binCount: 3).makeSVG())
        XCTAssertEqual(empty.elements(class: "bar").count, 0)
        XCTAssertEqual(empty.elements(class: "no-data").count, 1)
    }

    /// A long title over a plot area narrowed by a colour bar stays on the page (it lost "S" of "Softmax").
    func testALongTitleStaysOnThePage() throws {
        for title in ["Softmax (cross-entropy), elastic net (beta 10000.0): validation accuracy",
                      String(repeating: "a very long title ", count: 8), "Search"] {
            let plot = ColorScatterPlot(title: title, xLabel: "learning rate", yLabel: "regularization strength",
                                        colorLabel: "validation accuracy", logarithmicX: true, logarithmicY: true)
            let svg = try ParsedSVG(plot.makeSVG())
            let element = try XCTUnwrap(svg.elements(class: "title").first)
            let x = try XCTUnwrap(element.attributes["x"].flatMap(Double.init))
            let size = try XCTUnwrap(element.attributes["font-size"].flatMap(Double.init))
            let half = 0.6 * size * Double(title.count) / 2
            XCTAssertGreaterThanOrEqual(x - half, 0, title)
            XCTAssertLessThanOrEqual(x + half, 640, title)
            XCTAssertGreaterThanOrEqual(size, 6, title)
        }
    }

    func testErrorBarLegendNamesWhatADotIs() throws {
        var plot = ErrorBarPlot(title: "Cross-validation", xLabel: "k", yLabel: "accuracy", valueName: "each fold")
        plot.addValues([0.2, 0.3], at: 1)
        let texts = try ParsedSVG(plot.makeSVG()).elements.filter { $0.name == "text" }.map(\.text)
        XCTAssertTrue(texts.contains("each fold"), "\(texts)")
        XCTAssertFalse(texts.contains("each value"))
    }

    func testColorScatterPlotColoursByValueAndRingsTheBest() throws {
        var plot = ColorScatterPlot(title: "Search", xLabel: "learning rate", yLabel: "regularization",
                                    colorLabel: "validation accuracy", logarithmicX: true, logarithmicY: true)
        plot.addPoint(x: 1e-7, y: 1e4, value: 0.30)
        plot.addPoint(x: 1e-6, y: 5e4, value: 0.39)
        plot.addPoint(x: 1e-5, y: 2.5e4, value: 0.20)
        plot.addPoint(x: 1e-6, y: 1e3, value: .nan)   // skipped: no value
        plot.addPoint(x: -1, y: 1e3, value: 0.5)      // skipped: not on a log axis
        let svg = try ParsedSVG(plot.makeSVG())
        let dots = svg.elements(class: "point")
        XCTAssertEqual(dots.count, 3)
        let best = svg.elements(class: "best")
        XCTAssertEqual(best.count, 1)
        XCTAssertEqual(best[0].attributes["cx"], dots[1].attributes["cx"])
        XCTAssertEqual(best[0].attributes["cy"], dots[1].attributes["cy"])
        XCTAssertEqual(Set(dots.compactMap { $0.attributes["fill"] }).count, 3, "different values, different colours")
        XCTAssertEqual(svg.elements(class: "color-bar").count, 1)
        XCTAssertTrue(svg.elements.contains { $0.name == "linearGradient" })

        var flat = ColorScatterPlot()
        for x in 1 ... 4 { flat.addPoint(x: Double(x), y: 1, value: 0.5) }
        let flatDots = try ParsedSVG(flat.makeSVG()).elements(class: "point")
        XCTAssertEqual(Set(flatDots.compactMap { $0.attributes["fill"] }), [ColorScale.color(at: 0.5).hex])
    }

    func testTextIsEscapedForXML() throws {
        var plot = LinePlot(title: #"k < 5 & "best" isn't > 3"#, xLabel: "a\u{1}b", yLabel: "]]>")
        plot.addSeries("<script>", y: [1, 2])
        let svg = try ParsedSVG(plot.makeSVG())
        XCTAssertEqual(svg.elements(class: "title").first?.text, #"k < 5 & "best" isn't > 3"#)
        XCTAssertEqual(svg.elements(class: "axis-label").map(\.text), ["ab", "]]>"], "control characters are dropped")
        XCTAssertTrue(svg.elements(class: "legend").contains { $0.text == "<script>" })
        XCTAssertFalse(svg.elements.contains { $0.name == "script" })
    }

    func testEdgeCasesGiveWellFormedSVG() throws {
        var extremes = LinePlot()
        extremes.addSeries("huge", x: [-1e300, 0, 1e300], y: [1e300, -1e300, .leastNonzeroMagnitude])
        extremes.addSeries("beyond", x: [1, 2], y: [1e308, -.greatestFiniteMagnitude])
        extremes.addSeries("tiny range", x: [1, 2], y: [1, 1 + 1e-15])
        var logarithmic = LinePlot(logarithmicX: true, logarithmicY: true)
        logarithmic.addSeries("denormal", x: [.leastNonzeroMagnitude, 1e300], y: [1e-300, 1e-300])
        var allNaN = ErrorBarPlot()
        allNaN.addValues([.nan, .nan], at: 1)
        var hugeSpread = ErrorBarPlot()
        hugeSpread.addValues([1e300, -1e300, 1e300], at: 1)  // squared deviations overflow unless scaled
        let plots: [any SVGPlot] = [
            LinePlot(), extremes, logarithmic, allNaN, hugeSpread, ErrorBarPlot(logarithmicX: true),
            Histogram(values: []), Histogram(values: [-1e300, 1e300], binCount: 1), Histogram(values: [0, Double("1e-310")!]),
            ColorScatterPlot(logarithmicX: true), ColorScatterPlot(),
        ]
        for plot in plots {
            let text = plot.makeSVG()
            XCTAssertNoThrow(try ParsedSVG(text), "\(type(of: plot))")
            XCTAssertFalse(text.contains("nan") || text.contains("inf"), "\(type(of: plot)) wrote a non-finite number")
        }
        XCTAssertEqual(try ParsedSVG(LinePlot().makeSVG()).elements(class: "no-data").count, 1)
    }

    func testWritingAPlotToAnUnwritablePathThrowsWriteError() throws {
        let directory = try makeTemporaryDirectory(for: self)
        var plot = LinePlot()
        plot.addSeries("a", y: [1, 2, 3])
        try plot.write(to: directory + "/plot.svg")
        XCTAssertNoThrow(try ParsedSVG(String(contentsOfFile: directory + "/plot.svg", encoding: .utf8)))

        let unwritable = directory + "/plot.svg/inside.svg"
        XCTAssertThrowsError(try plot.write(to: unwritable)) { error in
            XCTAssertEqual((error as? WriteError)?.path, unwritable)
            XCTAssertTrue("\(error)".contains(unwritable) && "\(error)".contains("is not a directory"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["plot.svg"])
    }
}
