import LinearAlgebra
import XCTest
@testable import Pictures

final class ValueImageTests: XCTestCase {
    func testJointRescaleMapsTheGlobalMinimumTo0AndMaximumTo255() {
        // Over all rows: min -3, max 5; v -> round(255 (v + 3) / 8).
        let bytes = rescaledJointly([[1, 2], [3, 5], [-3]])
        XCTAssertEqual(bytes, [[128, 159], [191, 255], [0]])
    }

    func testJointRescaleOfAConstantInputIsFlatMidGrey() {
        XCTAssertEqual(rescaledJointly([[4, 4], [4]]), [[128, 128], [128]])
        XCTAssertEqual(rescaledJointly([[.nan, 7]]), [[128, 128]], "one finite value is a constant input")
        XCTAssertEqual(rescaledJointly([[], []]), [[], []])
        let flat = templateImages(fromRows: Matrix(rows: 2, cols: 12, repeating: -0.25), channels: 3, height: 2, width: 2)
        XCTAssertEqual(flat, [RGBImage](repeating: RGBImage(width: 2, height: 2, color: Color(gray: 128)), count: 2))
    }

    func testJointRescaleLeavesNonFiniteValuesOutOfTheRange() {
        XCTAssertEqual(rescaledJointly([[.nan, 0, 1, .infinity, -.infinity, 0.5]]), [[0, 0, 255, 255, 0, 128]])
    }

    func testCHWToHWCPutsTheChannelsOfOnePixelTogether() {
        // (C, H, W) = (3, 2, 2): red plane 0...3, green 4...7, blue 8...11.
        let hwc = hwcOrder(fromCHW: Array(0 ..< 12), channels: 3, height: 2, width: 2)
        XCTAssertEqual(hwc, [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])

        // A CIFAR-10 row: pixel (x 5, y 7) is plane offset 7 * 32 + 5 = 229 in each of the three planes,
        // and HWC offset 3 * 229 = 687.
        let cifar = hwcOrder(fromCHW: Array(0 ..< 3072), channels: 3, height: 32, width: 32)
        XCTAssertEqual(Array(cifar[687 ... 689]), [229, 1024 + 229, 2048 + 229])
        // Non-square images keep rows and columns apart: (C, H, W) = (2, 1, 3).
        XCTAssertEqual(hwcOrder(fromCHW: ["r0", "r1", "r2", "g0", "g1", "g2"], channels: 2, height: 1, width: 3),
                       ["r0", "g0", "r1", "g1", "r2", "g2"])
    }

    func testTemplateImagesAreRescaledTogetherAndReadAsCHW() {
        // Two (3, 1, 2) templates. Row 0: R (0, 1), G (2, 3), B (4, 5); row 1 doubles row 0, so the
        // joint range is 0...10 and row 0 stays darker than row 1.
        let row: [Double] = [0, 1, 2, 3, 4, 5]
        let weights = Matrix([row, row.map { 2 * $0 }])
        let images = templateImages(fromRows: weights, channels: 3, height: 1, width: 2)
        XCTAssertEqual(images.count, 2)
        XCTAssertEqual(images[0][0, 0], Color(red: 0, green: 51, blue: 102))
        XCTAssertEqual(images[0][1, 0], Color(red: 26, green: 77, blue: 128))
        XCTAssertEqual(images[1][1, 0], Color(red: 51, green: 153, blue: 255))

        let grey = templateImages(fromRows: Matrix([[0, 2], [1, 1]]), channels: 1, height: 2, width: 1)
        XCTAssertEqual(grey[0][0, 1], Color(gray: 255))
        XCTAssertEqual(grey[1][0, 0], Color(gray: 128))
    }

    func testMatrixAsGrayImageMapsEntriesToPixels() {
        let matrix = Matrix([[0, 1, 2, 3],
                             [4, 5, 6, 8]])
        let full = GrayImage(scaling: matrix)
        XCTAssertEqual([full.width, full.height], [4, 2])
        XCTAssertEqual(full[0, 0], 0)
        XCTAssertEqual(full[3, 1], 255)
        XCTAssertEqual(full[2, 0], 64, "entry (0, 2) = 2 is a quarter of the way from 0 to 8")

        // maxWidth 2: 2 x 2 blocks averaged, (0 + 1 + 4 + 5) / 4 = 2.5 and (2 + 3 + 6 + 8) / 4 = 4.75.
        let shrunk = GrayImage(scaling: matrix, maxWidth: 2)
        XCTAssertEqual([shrunk.width, shrunk.height], [2, 1])
        XCTAssertEqual(shrunk.bytes, [0, 255])

        XCTAssertEqual(GrayImage(scaling: Matrix(rows: 3, cols: 3, repeating: 7)).bytes, [UInt8](repeating: 128, count: 9))
        let distances = GrayImage(scaling: Matrix(rows: 500, cols: 5000, repeating: 1), maxWidth: 1000)
        XCTAssertEqual([distances.width, distances.height], [1000, 100])
    }
}
