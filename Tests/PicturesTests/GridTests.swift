import XCTest
@testable import Pictures

final class GridTests: XCTestCase {
    func testGridPNGHasBordersAndUpscaledCellsAtExactPixels() throws {
        let directory = try makeTemporaryDirectory(for: self)
        let orange = Color(red: 250, green: 120, blue: 10)
        let violet = Color(red: 90, green: 20, blue: 160)
        let one = RGBImage(width: 1, height: 1, color: orange)
        var two = RGBImage(width: 2, height: 1, color: orange)
        two[1, 0] = violet
        var grid = ImageGrid(scale: 2, padding: 1, borderWidth: 1)
        grid.addRow([GridCell(one, border: .green), GridCell(two, border: .red)])

        // Column 0 is 1*2 + 2*1 = 4 wide, column 1 is 2*2 + 2 = 6, the row 1*2 + 2 = 4 tall; padding 1.
        let path = directory + "/grid.png"
        try grid.write(to: path)
        let png = try readPNG(path)
        XCTAssertEqual([png.width, png.height], [1 + 4 + 1 + 6 + 1, 1 + 4 + 1])
        func pixel(_ x: Int, _ y: Int) -> Color {
            let i = 3 * (y * png.width + x)
            return Color(red: png.bytes[i], green: png.bytes[i + 1], blue: png.bytes[i + 2])
        }
        var expected = [[Color]](repeating: [Color](repeating: .white, count: 13), count: 6)
        for y in 1 ... 4 {
            for x in 1 ... 4 { expected[y][x] = .green }
            for x in 6 ... 11 { expected[y][x] = .red }
        }
        for y in 2 ... 3 {
            for x in 2 ... 3 { expected[y][x] = orange }   // 1 pixel upscaled to 2 x 2
            for x in 7 ... 8 { expected[y][x] = orange }   // first pixel of `two`, 2 x 2
            for x in 9 ... 10 { expected[y][x] = violet }  // second pixel of `two`, 2 x 2
        }
        for y in 0 ..< 6 {
            for x in 0 ..< 13 { XCTAssertEqual(pixel(x, y), expected[y][x], "pixel (\(x), \(y))") }
        }
    }

    func testTextIsDrawnOnlyWhereTheLayoutPutsIt() {
        // padding 2, text 9 tall and 6 per character, gap 2 between an image and its caption or a title
        // and its row. Title "ab" and caption "cd" are 11 wide, the label "x" 5; the 16 x 10 cell decides
        // the column width. Columns start at 2 + 5 + 2 = 9; the row starts at 2 + 9 + 2 = 13.
        var grid = ImageGrid(padding: 2, columnTitles: ["ab"])
        grid.addRow([GridCell(RGBImage(width: 16, height: 10, color: Color(gray: 128)), caption: "cd")], label: "x")
        let image = grid.makeImage()
        XCTAssertEqual([image.width, image.height], [9 + 16 + 2, 13 + 10 + 2 + 9 + 2])

        let cell = (x: 9 ..< 25, y: 13 ..< 23)
        let textAreas = [
            "title": (x: 11 ..< 22, y: 2 ..< 11),    // centred over the column
            "label": (x: 2 ..< 7, y: 13 ..< 22),     // at the left, centred on the 10-pixel image
            "caption": (x: 11 ..< 22, y: 25 ..< 34), // centred under the cell
        ]
        var inkPerArea = [String: Int]()
        for y in 0 ..< image.height {
            for x in 0 ..< image.width {
                if cell.x.contains(x) && cell.y.contains(y) {
                    XCTAssertEqual(image[x, y], Color(gray: 128), "cell pixel (\(x), \(y))")
                } else if image[x, y] == .black {
                    let area = textAreas.first { $0.value.x.contains(x) && $0.value.y.contains(y) }
                    XCTAssertNotNil(area, "ink at (\(x), \(y)) outside every text area")
                    inkPerArea[area?.key ?? "none", default: 0] += 1
                } else {
                    XCTAssertEqual(image[x, y], .white, "background pixel (\(x), \(y))")
                }
            }
        }
        for name in textAreas.keys { XCTAssertGreaterThan(inkPerArea[name, default: 0], 5, "\(name) has no ink") }
    }

    func testTextScaleDrawsEachFontPixelAsABlock() {
        var image = RGBImage(width: 20, height: 30, color: .white)
        image.draw("|", x: 0, y: 0, color: .black, scale: 3)
        // "|" is the middle column of the glyph, rows 0...6: pixels 6...8 across, 0..<21 down.
        for y in 0 ..< 30 {
            for x in 0 ..< 20 {
                XCTAssertEqual(image[x, y], (6 ... 8).contains(x) && y < 21 ? .black : .white, "(\(x), \(y))")
            }
        }
        XCTAssertEqual(BitmapFont.width(of: "abc", scale: 2), (3 * 6 - 1) * 2)
        XCTAssertEqual(BitmapFont.width(of: "", scale: 2), 0)
    }

    func testFontHasADistinctGlyphForEveryPrintableASCIICharacter() {
        var seen = [[[Bool]]: Character]()
        for code in UInt8(32) ... 126 {
            let character = Character(Unicode.Scalar(code))
            let glyph = BitmapFont.glyphs[character]
            XCTAssertNotNil(glyph, "no glyph for \(character)")
            guard let glyph else { continue }
            XCTAssertEqual(glyph.count, 9)
            XCTAssertTrue(glyph.allSatisfy { $0.count == 5 }, "glyph \(character) is not 5 wide")
            XCTAssertNotEqual(glyph, BitmapFont.missingGlyph, "\(character) looks like the missing-glyph box")
            if let twin = seen[glyph] { XCTFail("\(character) and \(twin) have the same glyph") }
            seen[glyph] = character
        }
        XCTAssertEqual(BitmapFont.glyph(for: "é"), BitmapFont.missingGlyph)
    }
}
