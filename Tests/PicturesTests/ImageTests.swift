import Foundation
import XCTest
@testable import Pictures

final class ImageTests: XCTestCase {
    func testRGBImageRoundTripsThroughPNGExactly() throws {
        let directory = try makeTemporaryDirectory(for: self)
        // 3 x 2 pixels, HWC: every byte different, so a swapped channel or row shows.
        let bytes: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255,
                              10, 20, 30, 40, 50, 60, 250, 251, 252]
        let image = RGBImage(width: 3, height: 2, bytes: bytes)
        XCTAssertEqual(image[2, 0], Color(red: 0, green: 0, blue: 255))
        XCTAssertEqual(image[0, 1], Color(red: 10, green: 20, blue: 30))

        let path = directory + "/small.png"
        try image.write(to: path)
        let decoded = try readPNG(path)
        XCTAssertEqual(decoded.width, 3)
        XCTAssertEqual(decoded.height, 2)
        XCTAssertTrue(decoded.storesColor)
        XCTAssertEqual(decoded.bytes, bytes)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["small.png"],
                       "no temporary file may be left next to the PNG")
    }

    func testGrayImageRoundTripsThroughPNGExactly() throws {
        let directory = try makeTemporaryDirectory(for: self)
        let bytes: [UInt8] = [0, 1, 127, 128, 254, 255]
        let path = directory + "/gray.png"
        try GrayImage(width: 2, height: 3, bytes: bytes).write(to: path)
        let decoded = try readPNG(path, asGray: true)
        XCTAssertEqual(decoded.width, 2)
        XCTAssertEqual(decoded.height, 3)
        XCTAssertFalse(decoded.storesColor, "a grey image is written as a greyscale PNG")
        XCTAssertEqual(decoded.bytes, bytes)
    }

    func testUpscalingRepeatsEachPixelInABlock() {
        let red = Color(red: 200, green: 0, blue: 0)
        let blue = Color(red: 0, green: 0, blue: 200)
        var image = RGBImage(width: 2, height: 1, color: red)
        image[1, 0] = blue
        let big = image.upscaled(by: 3)
        XCTAssertEqual(big.width, 6)
        XCTAssertEqual(big.height, 3)
        for y in 0 ..< 3 {
            for x in 0 ..< 6 { XCTAssertEqual(big[x, y], x < 3 ? red : blue, "pixel (\(x), \(y))") }
        }
        let gray = GrayImage(width: 2, height: 2, bytes: [1, 2, 3, 4]).upscaled(by: 2)
        XCTAssertEqual(gray.bytes, [1, 1, 2, 2,
                                    1, 1, 2, 2,
                                    3, 3, 4, 4,
                                    3, 3, 4, 4])
    }

    func testUnwritablePathThrowsWriteErrorNamingThePath() throws {
        let image = RGBImage(width: 1, height: 1, color: .white)
        let missing = "/nonexistent/dir/x.png"
        XCTAssertThrowsError(try image.write(to: missing)) { error in
            guard let error = error as? WriteError else { return XCTFail("expected a WriteError, got \(error)") }
            XCTAssertEqual(error.path, missing)
            XCTAssertTrue(error.description.contains(missing), error.description)
            XCTAssertTrue(error.reason.hasPrefix("libpng: "), error.reason)
            XCTAssertTrue(error.reason.contains("the directory /nonexistent/dir does not exist"), error.reason)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/nonexistent/dir"))

        // A "directory" that is a file: unwritable even for root.
        let directory = try makeTemporaryDirectory(for: self)
        let notADirectory = directory + "/file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: notADirectory))
        XCTAssertThrowsError(try GrayImage(width: 1, height: 1, bytes: [0]).write(to: notADirectory + "/x.png")) { error in
            XCTAssertTrue("\(error)".contains(notADirectory + "/x.png"), "\(error)")
            XCTAssertTrue("\(error)".contains("is not a directory"), "\(error)")
        }
    }

    func testEmptyImageIsRefusedAndLeavesNothingBehind() throws {
        let directory = try makeTemporaryDirectory(for: self)
        XCTAssertThrowsError(try RGBImage(width: 0, height: 4, color: .black).write(to: directory + "/empty.png")) { error in
            XCTAssertTrue("\(error)".contains("no pixels"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [])
    }
}
