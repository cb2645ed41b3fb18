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
    public func makeSVG() -> String {
        let k = classNames.count
        let (left, top, right) = (110.0, 70.0, 70.0)
        let cell = k == 0 ? 0 : (640 - left - right) / Double(k)
        var svg = SVGDocument(width: 640, height: top + cell * Double(k) + 20, title: title.isEmpty ? "confusion matrix" : title)
        svg.text(title, at: (320, 22), size: 15, anchor: .middle, bold: true, class: "title")
        svg.text("predicted class", at: (left + cell * Double(k) / 2, 40), size: 12, anchor: .middle, class: "axis-label")
        svg.text("recall", at: (left + cell * Double(k) + 8, 62), size: 11, class: "axis-label")
        for j in 0 ..< k {
            svg.text(String(classNames[j].prefix(6)), at: (left + cell * (Double(j) + 0.5), 62), size: 10, anchor: .middle, class: "column-label")
        }
        for i in 0 ..< k {
            let total = counts[i].reduce(0, +)
            let y = top + cell * Double(i)
            svg.text(classNames[i], at: (left - 8, y + cell / 2 + 4), size: 11, anchor: .end, class: "row-label")
            for j in 0 ..< k {
                let share = total == 0 ? 0 : Double(counts[i][j]) / Double(total)
                svg.rectangle(x: left + cell * Double(j), y: y, width: cell - 1, height: cell - 1,
                              fill: ColorScale.color(at: share).hex, class: i == j ? "cell diagonal" : "cell")
                svg.text("\(counts[i][j])", at: (left + cell * (Double(j) + 0.5), y + cell / 2 + 4), size: 10, anchor: .middle,
                         color: share > 0.6 ? .black : .white, class: "count")
            }
            let recall = total == 0 ? "–" : String(format: "%.2f", Double(counts[i][i]) / Double(total))
            svg.text(recall, at: (left + cell * Double(k) + 8, y + cell / 2 + 4), size: 11, class: "recall")
        }
        return svg.xml
    }
}
