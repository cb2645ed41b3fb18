import Foundation

/// A confusion matrix as a heat map: row i, column j counts the images of true class i predicted as
/// class j, so a perfect classifier fills only the diagonal.
///
/// ```swift
/// var plot = ConfusionMatrixPlot(classNames: cifar.classNames, title: "Test set")
/// for (truth, guess) in zip(labels, predicted) { plot.add(truth: truth, predicted: guess) }
/// try plot.write(to: "out/cnn/confusion_matrix.svg")
/// ```
///
/// Each cell is coloured by its share of its row (dark indigo 0 to yellow 1, the other plots' scale)
/// and shows its count; each row is labelled with its class and its recall (the diagonal's share).
/// Labels outside 0 ..< classNames.count are not counted.
public struct ConfusionMatrixPlot: SVGPlot {
    public let classNames: [String]
    public var title: String
    /// counts[truth][predicted].
    public private(set) var counts: [[Int]]

    public init(classNames: [String], title: String = "") {
        self.classNames = classNames
        self.title = title
        self.counts = Array(repeating: Array(repeating: 0, count: classNames.count), count: classNames.count)
    }

    /// Counts one image of class `truth` predicted as `predicted`.
    public mutating func add(truth: Int, predicted: Int) {
        guard counts.indices.contains(truth) && counts.indices.contains(predicted) else { return }
        counts[truth][predicted] += 1
    }

    /// The plot as SVG: 640 pixels wide, as tall as the classes need.
    ///
    /// The column labels stand upright above their columns (read from the bottom up), in full; the top
    /// margin and the left margin (the row labels) are sized from the longest name, estimating a
    /// character as 0.6 of the font size, so that no label leaves the picture. (Labels cut to six
    /// characters to fit a fixed margin read "automo".)
    public func makeSVG() -> String {
        let k = classNames.count
        let (columnSize, rowSize) = (10.0, 11.0)
        let longest = Double(classNames.map(\.count).max() ?? 0)
        // Title (baseline 22), "predicted class" (baseline 40), then the upright column labels, ending 6 px above the cells.
        let top = 54 + ConfusionMatrixPlot.characterWidth * columnSize * longest
        let left = max(110, 16 + ConfusionMatrixPlot.characterWidth * rowSize * longest)
        let right = 70.0
        let cell = k == 0 ? 0 : max(0, width - left - right) / Double(k)
        var svg = SVGDocument(width: width, height: top + cell * Double(k) + 20, title: title.isEmpty ? "confusion matrix" : title)
        let titleSize = min(15, (width - 16) / (ConfusionMatrixPlot.characterWidth * Double(max(title.count, 1))))
        svg.text(title, at: (width / 2, 22), size: titleSize, anchor: .middle, bold: true, class: "title")
        svg.text("predicted class", at: (left + cell * Double(k) / 2, 40), size: 12, anchor: .middle, class: "axis-label")
        svg.text("recall", at: (left + cell * Double(k) + 8, top - 6), size: rowSize, class: "axis-label")
        for j in 0 ..< k {
            // Rotated a quarter turn anticlockwise about its start: the text runs upward from 6 px above
            // the cells, and its glyphs lie left of the baseline, so the baseline sits 0.35 em right of
            // the column's centre.
            let x = left + cell * (Double(j) + 0.5) + 0.35 * columnSize
            svg.text(classNames[j], at: (x, top - 6), size: columnSize, rotation: -90, class: "column-label")
        }
        for i in 0 ..< k {
            let total = counts[i].reduce(0, +)
            let y = top + cell * Double(i)
            svg.text(classNames[i], at: (left - 8, y + cell / 2 + 4), size: rowSize, anchor: .end, class: "row-label")
            for j in 0 ..< k {
                let share = total == 0 ? 0 : Double(counts[i][j]) / Double(total)
                svg.rectangle(x: left + cell * Double(j), y: y, width: cell - 1, height: cell - 1,
                              fill: ColorScale.color(at: share).hex, class: i == j ? "cell diagonal" : "cell")
                svg.text("\(counts[i][j])", at: (left + cell * (Double(j) + 0.5), y + cell / 2 + 4), size: 10, anchor: .middle,
                         color: share > 0.6 ? .black : .white, class: "count")
            }
            let recall = total == 0 ? "–" : String(format: "%.2f", Double(counts[i][i]) / Double(total))
            svg.text(recall, at: (left + cell * Double(k) + 8, y + cell / 2 + 4), size: rowSize, class: "recall")
        }
        return svg.xml
    }

    /// The picture's width in pixels.
    private var width: Double { 640 }
    /// A character's estimated width, as a fraction of the font size (Helvetica's lowercase letters are
    /// narrower, about 0.5 on average).
    static let characterWidth = 0.6
}
