/// A colour image: `height` rows of `width` pixels, each pixel three bytes (red, green, blue, 0...255).
///
/// The bytes are row-major and interleaved (HWC): pixel (x, y) is at `bytes[3 * (y * width + x) ..< +3]`.
/// This is the layout the CIFAR-10 loader hands out, so one 32 x 32 training image becomes
/// `RGBImage(width: 32, height: 32, bytes: image)` with its 3,072 bytes.
public struct RGBImage: Equatable, Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height * 3` bytes, row-major RGB (HWC).
    public private(set) var bytes: [UInt8]

    /// An image from HWC bytes, e.g. a CIFAR-10 image (32, 32, 3).
    /// - Precondition: `width >= 0`, `height >= 0` and `bytes.count == width * height * 3`.
    public init<Bytes: Collection>(width: Int, height: Int, bytes: Bytes) where Bytes.Element == UInt8 {
        precondition(width >= 0 && height >= 0, "RGBImage: negative size \(width) x \(height)")
        precondition(bytes.count == width * height * 3,
                     "RGBImage: \(bytes.count) bytes cannot fill \(width) x \(height) x 3")
        self.width = width
        self.height = height
        self.bytes = Array(bytes)
    }

    /// An image of one colour.
    /// - Precondition: `width >= 0` and `height >= 0`.
    public init(width: Int, height: Int, color: Color) {
        precondition(width >= 0 && height >= 0, "RGBImage: negative size \(width) x \(height)")
        self.width = width
        self.height = height
        var bytes: [UInt8] = []
        bytes.reserveCapacity(width * height * 3)
        for _ in 0 ..< width * height { bytes += [color.red, color.green, color.blue] }
        self.bytes = bytes
    }

    /// A grey image as colour (each grey level copied to red, green and blue), e.g. to put it in a grid.
    public init(_ gray: GrayImage) {
        self.init(width: gray.width, height: gray.height, bytes: gray.bytes.flatMap { [$0, $0, $0] })
    }

    /// The pixel in column `x` (0 at the left) and row `y` (0 at the top). Traps outside the image.
    public subscript(x: Int, y: Int) -> Color {
        get {
            let i = offset(x, y)
            return Color(red: bytes[i], green: bytes[i + 1], blue: bytes[i + 2])
        }
        set {
            let i = offset(x, y)
            bytes[i] = newValue.red
            bytes[i + 1] = newValue.green
            bytes[i + 2] = newValue.blue
        }
    }

    /// The image with every pixel repeated `factor` times across and down (nearest neighbour), so a
    /// 32 x 32 image becomes 32·factor x 32·factor with sharp pixels.
    /// - Precondition: `factor >= 1`.
    public func upscaled(by factor: Int) -> RGBImage {
        RGBImage(width: width * factor, height: height * factor,
                 bytes: upscale(bytes, width: width, height: height, channels: 3, factor: factor))
    }

    /// Writes the image as an 8-bit RGB PNG file. The directory must exist.
    /// - Throws: `WriteError` naming `path` and libpng's message (an unwritable path, a missing directory,
    ///   an empty image). Nothing is left at `path` after a failure.
    public func write(to path: String) throws {
        try writePNG(bytes, width: width, height: height, channels: 3, to: path)
    }

    /// Fills the rectangle at (x, y) of size width x height with `color`, clipped to the image.
    mutating func fill(x: Int, y: Int, width w: Int, height h: Int, with color: Color) {
        for row in Swift.max(y, 0) ..< Swift.max(Swift.min(y + h, height), 0) {
            for column in Swift.max(x, 0) ..< Swift.max(Swift.min(x + w, width), 0) {
                self[column, row] = color
            }
        }
    }

    /// Copies `image` into this one with its top-left corner at (x, y), clipped to this image.
    mutating func paste(_ image: RGBImage, x: Int, y: Int) {
        for row in 0 ..< image.height where (0 ..< height).contains(y + row) {
            for column in 0 ..< image.width where (0 ..< width).contains(x + column) {
                self[x + column, y + row] = image[column, row]
            }
        }
    }

    private func offset(_ x: Int, _ y: Int) -> Int {
        precondition(x >= 0 && x < width && y >= 0 && y < height,
                     "RGBImage: pixel (\(x), \(y)) is outside \(width) x \(height)")
        return 3 * (y * width + x)
    }
}

/// A grey image: `height` rows of `width` pixels, one byte each (0 black ... 255 white), row-major.
///
/// Pixel (x, y) is `bytes[y * width + x]`. ``GrayImage/init(scaling:maxWidth:)`` makes one from a
/// `Matrix`, e.g. the (500, 5000) matrix of test-to-training distances.
public struct GrayImage: Equatable, Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height` bytes, row-major, 0 black ... 255 white.
    public private(set) var bytes: [UInt8]

    /// An image from row-major grey levels.
    /// - Precondition: `width >= 0`, `height >= 0` and `bytes.count == width * height`.
    public init<Bytes: Collection>(width: Int, height: Int, bytes: Bytes) where Bytes.Element == UInt8 {
        precondition(width >= 0 && height >= 0, "GrayImage: negative size \(width) x \(height)")
        precondition(bytes.count == width * height, "GrayImage: \(bytes.count) bytes cannot fill \(width) x \(height)")
        self.width = width
        self.height = height
        self.bytes = Array(bytes)
    }

    /// The grey level in column `x` (0 at the left) and row `y` (0 at the top). Traps outside the image.
    public subscript(x: Int, y: Int) -> UInt8 {
        get { bytes[offset(x, y)] }
        set { bytes[offset(x, y)] = newValue }
    }

    /// The image with every pixel repeated `factor` times across and down (nearest neighbour).
    /// - Precondition: `factor >= 1`.
    public func upscaled(by factor: Int) -> GrayImage {
        GrayImage(width: width * factor, height: height * factor,
                  bytes: upscale(bytes, width: width, height: height, channels: 1, factor: factor))
    }

    /// Writes the image as an 8-bit greyscale PNG file. The directory must exist.
    /// - Throws: `WriteError` naming `path` and libpng's message. Nothing is left at `path` after a failure.
    public func write(to path: String) throws {
        try writePNG(bytes, width: width, height: height, channels: 1, to: path)
    }

    private func offset(_ x: Int, _ y: Int) -> Int {
        precondition(x >= 0 && x < width && y >= 0 && y < height,
                     "GrayImage: pixel (\(x), \(y)) is outside \(width) x \(height)")
        return y * width + x
    }
}

// MARK: - Helpers

/// Nearest-neighbour upscaling of row-major interleaved pixels: each pixel becomes a factor x factor block.
private func upscale(_ bytes: [UInt8], width: Int, height: Int, channels: Int, factor: Int) -> [UInt8] {
    precondition(factor >= 1, "upscaled(by:): factor \(factor) must be at least 1")
    let rowLength = width * channels
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * factor * factor)
    for y in 0 ..< height {
        var row: [UInt8] = []
        row.reserveCapacity(rowLength * factor)
        for x in 0 ..< width {
            let pixel = bytes[(y * rowLength + x * channels) ..< (y * rowLength + (x + 1) * channels)]
            for _ in 0 ..< factor { row += pixel }
        }
        for _ in 0 ..< factor { out += row }
    }
    return out
}
