import CLibPNG
import Foundation
import XCTest

/// A PNG file read back through libpng's simplified API, as 8-bit pixels.
struct DecodedPNG {
    let width: Int
    let height: Int
    /// Row-major, interleaved: 3 bytes per pixel when read as RGB, 1 when read as grey.
    let bytes: [UInt8]
    /// Whether the file itself stores colour (as opposed to grey) pixels.
    let storesColor: Bool
}

/// Reads the PNG at `path`, converting to RGB (or grey when `asGray`). Fails the test with libpng's
/// message if the file cannot be read.
func readPNG(_ path: String, asGray: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws -> DecodedPNG {
    var image = png_image()
    image.version = png_uint_32(PNG_IMAGE_VERSION)
    guard png_image_begin_read_from_file(&image, path) != 0 else {
        throw PNGReadFailure(path: path, message: message(image))
    }
    let storesColor = image.format & png_uint_32(PNG_FORMAT_FLAG_COLOR) != 0
    image.format = asGray ? png_uint_32(PNG_FORMAT_GRAY) : png_uint_32(PNG_FORMAT_RGB)
    let channels = asGray ? 1 : 3
    var bytes = [UInt8](repeating: 0, count: Int(image.width) * Int(image.height) * channels)
    let finished = bytes.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
    guard finished != 0 else {
        png_image_free(&image)
        throw PNGReadFailure(path: path, message: message(image))
    }
    return DecodedPNG(width: Int(image.width), height: Int(image.height), bytes: bytes, storesColor: storesColor)
}

struct PNGReadFailure: Error, CustomStringConvertible {
    let path: String
    let message: String
    var description: String { "cannot read \(path): \(message)" }
}

private func message(_ image: png_image) -> String {
    withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
}

/// A fresh empty directory for one test, removed when the test ends.
func makeTemporaryDirectory(for test: XCTestCase) throws -> String {
    let path = NSTemporaryDirectory() + "PicturesTests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}
