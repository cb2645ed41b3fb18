import Foundation
import LinearAlgebra
import CLibPNG

/// Writes 8-bit pixels as a PNG file through libpng's simplified API, whole or not at all.
///
/// - Parameters:
///   - bytes: `width * height * channels` bytes, row-major, interleaved.
///   - channels: 1 (grey) or 3 (RGB).
/// - Throws: `WriteError` naming `path` and libpng's message from `png_image.message`.
func writePNG(_ bytes: [UInt8], width: Int, height: Int, channels: Int, to path: String) throws {
    require(channels == 1 || channels == 3, "writePNG: \(channels) channels; PNG here is grey (1) or RGB (3)")
    guard width > 0, height > 0 else {
        throw WriteError(path: path, reason: "an image of \(width) x \(height) pixels has no pixels to write")
    }
    try writeWhole(to: path) { temporary in
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = channels == 3 ? png_uint_32(PNG_FORMAT_RGB) : png_uint_32(PNG_FORMAT_GRAY)
        // A row stride of 0 means "rows are packed": width * channels bytes each.
        errno = 0
        let written = bytes.withUnsafeBytes { pixels in
            png_image_write_to_file(&image, temporary, 0, pixels.baseAddress, 0, nil)
        }
        let code = errno      // libpng keeps the errno of a failed write through its clean-up
        png_image_free(&image)
        return written != 0 ? nil : pngFailure(libpngMessage(image), errno: code)
    }
}

/// The NUL-terminated text libpng leaves in `image.message` after a failure.
func libpngMessage(_ image: png_image) -> String {
    withUnsafeBytes(of: image.message) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// The reason a PNG write failed: libpng's message, or, for a full device or quota, the plain words the
/// other reasons use (libpng says only "Write Error").
func pngFailure(_ message: String, errno code: Int32) -> String {
    if let plain = plainSystemReason(code) { return "\(plain) (libpng: \(message))" }
    return "libpng: " + message
}
