/// One picture in an ``ImageGrid``: an image, an optional border colour, an optional caption under it.
public struct GridCell: Sendable {
    /// The picture, at its own size; the grid upscales it by ``ImageGrid/scale``.
    public var image: RGBImage
    /// A frame of ``ImageGrid/borderWidth`` pixels around the image, e.g. `.green` for a correct
    /// label and `.red` for a wrong one; nil draws none.
    public var border: Color?
    /// One line of text centred under the image (e.g. a class name); nil or "" draws none.
    public var caption: String?

    public init(_ image: RGBImage, border: Color? = nil, caption: String? = nil) {
        self.image = image
        self.border = border
        self.caption = caption
    }
}

/// Images tiled in rows and columns, with optional row labels, column titles, captions and borders.
///
/// Callers add rows of cells; ``makeImage()`` lays them out. A nearest-neighbour picture, say, is one
/// row per test image: the test image, then its k nearest training images bordered green or red:
///
/// ```swift
/// var grid = ImageGrid(scale: 2, columnTitles: ["test", "1st", "2nd", "3rd"])
/// grid.addRow([GridCell(test)] + neighbours.map { GridCell($0.image, border: $0.correct ? .green : .red) },
///             label: "cat")
/// try grid.write(to: "out/knn/neighbours.png")
/// ```
///
/// Layout, in pixels of the output: `padding` around the edge and between cells; each column as wide
/// as its widest cell, caption or title, and each cell centred in its column; each row as tall as its
/// tallest cell plus a caption line if any cell in it has a caption. Row labels are drawn at the left,
/// vertically centred on the row's images; column titles are centred above their columns. When any cell
/// has a border, every cell gets room for one, so cells with and without borders line up.
public struct ImageGrid: Sendable {
    /// Integer nearest-neighbour upscaling of every cell image (32-pixel images want 2 to 4). At least 1.
    public var scale: Int
    /// Integer scale of the 5 x 7 pixel font used for labels, titles and captions. At least 1.
    public var textScale: Int
    /// Pixels around the edge and between cells.
    public var padding: Int
    /// Thickness of cell borders, in pixels.
    public var borderWidth: Int
    /// Fill behind and between the cells.
    public var background: Color
    /// Colour of labels, titles and captions.
    public var textColor: Color
    /// One title per column, drawn above it; "" leaves a column untitled.
    public var columnTitles: [String]

    /// The rows added so far, top to bottom.
    public private(set) var rows: [(label: String?, cells: [GridCell])] = []

    public init(scale: Int = 1, textScale: Int = 1, padding: Int = 4, borderWidth: Int = 2,
                background: Color = .white, textColor: Color = .black, columnTitles: [String] = []) {
        self.scale = scale
        self.textScale = textScale
        self.padding = padding
        self.borderWidth = borderWidth
        self.background = background
        self.textColor = textColor
        self.columnTitles = columnTitles
    }

    /// Appends a row of cells below the others, with an optional label at its left.
    /// Rows may have different numbers of cells; short rows leave their last columns empty.
    public mutating func addRow(_ cells: [GridCell], label: String? = nil) {
        rows.append((label, cells))
    }

    /// Lays out the grid as one image (at least 1 x 1 pixels, even when empty).
    /// - Precondition: `scale >= 1`, `textScale >= 1`, `padding >= 0` and `borderWidth >= 0`.
    public func makeImage() -> RGBImage {
        precondition(scale >= 1 && textScale >= 1, "ImageGrid: scale \(scale) and textScale \(textScale) must be at least 1")
        precondition(padding >= 0 && borderWidth >= 0, "ImageGrid: padding \(padding) and borderWidth \(borderWidth) must be >= 0")
        let textHeight = BitmapFont.height(scale: textScale)
        let textGap = 2 * textScale
        let frame = rows.contains { $0.cells.contains { $0.border != nil } } ? borderWidth : 0
        func textWidth(_ text: String?) -> Int { BitmapFont.width(of: text ?? "", scale: textScale) }
        func outerSize(_ cell: GridCell) -> (width: Int, height: Int) {
            (cell.image.width * scale + 2 * frame, cell.image.height * scale + 2 * frame)
        }

        // Column widths, and each row's image area, caption line and total height.
        let columnCount = max(columnTitles.count, rows.map(\.cells.count).max() ?? 0)
        var columnWidths = (0 ..< columnCount).map { $0 < columnTitles.count ? textWidth(columnTitles[$0]) : 0 }
        for row in rows {
            for (c, cell) in row.cells.enumerated() {
                columnWidths[c] = max(columnWidths[c], outerSize(cell).width, textWidth(cell.caption))
            }
        }
        let imageHeights = rows.map { row in row.cells.map { outerSize($0).height }.max() ?? 0 }
        let captionHeights = rows.map { row in row.cells.contains { textWidth($0.caption) > 0 } ? textGap + textHeight : 0 }
        let rowHeights = rows.indices.map { r in
            max(imageHeights[r] + captionHeights[r], textWidth(rows[r].label) > 0 ? textHeight : 0)
        }
        let labelWidth = rows.map { textWidth($0.label) }.max() ?? 0
        let labelColumn = labelWidth > 0 ? labelWidth + padding : 0
        let titleRow = columnTitles.contains { !$0.isEmpty } ? textHeight + textGap : 0

        var columnLefts: [Int] = []
        var x = padding + labelColumn
        for width in columnWidths {
            columnLefts.append(x)
            x += width + padding
        }
        let width = max(columnCount > 0 ? x : 2 * padding + labelColumn, 1)
        let height = max(2 * padding + titleRow + rowHeights.reduce(0, +) + padding * max(rows.count - 1, 0), 1)
        var canvas = RGBImage(width: width, height: height, color: background)

        for (c, title) in columnTitles.enumerated() {
            canvas.draw(title, x: columnLefts[c] + (columnWidths[c] - textWidth(title)) / 2, y: padding,
                        color: textColor, scale: textScale)
        }
        var top = padding + titleRow
        for (r, row) in rows.enumerated() {
            if let label = row.label {
                canvas.draw(label, x: padding, y: top + max((imageHeights[r] - textHeight) / 2, 0),
                            color: textColor, scale: textScale)
            }
            for (c, cell) in row.cells.enumerated() {
                let outer = outerSize(cell)
                let left = columnLefts[c] + (columnWidths[c] - outer.width) / 2
                if let border = cell.border {
                    canvas.fill(x: left, y: top, width: outer.width, height: outer.height, with: border)
                }
                canvas.paste(cell.image.upscaled(by: scale), x: left + frame, y: top + frame)
                if let caption = cell.caption {
                    canvas.draw(caption, x: columnLefts[c] + (columnWidths[c] - textWidth(caption)) / 2,
                                y: top + imageHeights[r] + textGap, color: textColor, scale: textScale)
                }
            }
            top += rowHeights[r] + padding
        }
        return canvas
    }

    /// Lays out the grid and writes it as a PNG file. The directory must exist.
    /// - Throws: `WriteError` naming `path` and libpng's message.
    public func write(to path: String) throws {
        try makeImage().write(to: path)
    }
}
