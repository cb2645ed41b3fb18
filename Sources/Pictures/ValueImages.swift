import LinearAlgebra

// Turning numbers into pictures: weight templates, filters and matrices as images.

/// Rescales all `rows` together so that the smallest value becomes 0 and the largest 255.
///
/// The minimum and maximum are taken over every row at once, as the lecture rescales the ten weight
/// templates of a linear classifier together: a template that is brighter than another really has
/// larger weights. Each value v becomes `round(255 * (v - min) / (max - min))`.
///
/// - Parameter rows: any number of rows of any lengths (they need not match).
/// - Returns: bytes 0...255 in the same arrangement as `rows`.
///   When all finite values are equal (max == min), or there are none, every byte is 128 (a flat
///   mid-grey). Non-finite values take no part in the minimum and maximum; NaN becomes 0, +infinity
///   255 and -infinity 0.
public func rescaledJointly(_ rows: [[Double]]) -> [[UInt8]] {
    var low = Double.infinity
    var high = -Double.infinity
    for row in rows {
        for value in row where value.isFinite {
            low = min(low, value)
            high = max(high, value)
        }
    }
    guard low < high else { return rows.map { row in row.map { _ in 128 } } }
    return rows.map { row in row.map { byte(fraction: ($0 - low) / (high - low)) } }
}

/// The same pixel values reordered from planar CHW order to interleaved HWC order.
///
/// In CHW order (how CIFAR-10's files and a linear classifier's weight rows store an image) the whole
/// first channel comes first: for 32 x 32 RGB, values 0..<1024 are the red plane row by row, then 1,024
/// green, then 1,024 blue. In HWC order (what ``RGBImage`` holds) the channels of each pixel sit
/// together: value `c + channels * (x + width * y)` is channel c of pixel (x, y), which in CHW order
/// was `x + width * (y + height * c)`.
///
/// - Parameters:
///   - values: `channels * height * width` values in CHW order.
///   - channels: C, e.g. 3 for RGB. `height`: H in pixels. `width`: W in pixels.
/// - Precondition: `values.count == channels * height * width`.
public func hwcOrder<T>(fromCHW values: [T], channels: Int, height: Int, width: Int) -> [T] {
    let planeSize = height * width
    precondition(channels >= 0 && height >= 0 && width >= 0 && values.count == channels * planeSize,
                 "hwcOrder: \(values.count) values do not fill (C, H, W) = (\(channels), \(height), \(width))")
    var out: [T] = []
    out.reserveCapacity(values.count)
    for pixel in 0 ..< planeSize {
        for channel in 0 ..< channels { out.append(values[channel * planeSize + pixel]) }
    }
    return out
}

/// One image per row of `matrix`, each row read as a (C, H, W) image, all rows rescaled together.
///
/// For a linear classifier's weights W of shape (D, C) with D = 3,072 (without the bias row), the ten
/// templates are `templateImages(fromRows: W.transposed, channels: 3, height: 32, width: 32)`; for
/// first-layer convolution filters of shape (F, C, HH, WW), pass them flattened to (F, C * HH * WW).
/// The values are rescaled by ``rescaledJointly(_:)`` over the whole matrix, then reordered by
/// ``hwcOrder(fromCHW:channels:height:width:)``. A one-channel image comes out grey.
///
/// - Parameters:
///   - matrix: shape (N, C * H * W), each row in CHW order.
///   - channels: C, 3 (RGB) or 1 (grey). `height`: H in pixels. `width`: W in pixels.
/// - Returns: N images of `width` x `height` pixels.
/// - Precondition: `channels` is 1 or 3 and `matrix.cols == channels * height * width`.
public func templateImages(fromRows matrix: Matrix, channels: Int, height: Int, width: Int) -> [RGBImage] {
    precondition(channels == 1 || channels == 3, "templateImages: \(channels) channels; images here have 1 or 3")
    precondition(matrix.cols == channels * height * width,
                 "templateImages: rows of \(matrix.cols) values cannot be (C, H, W) = (\(channels), \(height), \(width)); shape \(matrix.shapeDescription)")
    return rescaledJointly(matrix.nestedRows).map { row in
        let hwc = hwcOrder(fromCHW: row, channels: channels, height: height, width: width)
        return channels == 3
            ? RGBImage(width: width, height: height, bytes: hwc)
            : RGBImage(GrayImage(width: width, height: height, bytes: hwc))
    }
}

extension GrayImage {
    /// A matrix as a grey image: entry (i, j) is pixel (x j, y i), the smallest entry black and the
    /// largest white (min-max, as ``rescaledJointly(_:)``; a constant matrix is flat mid-grey).
    ///
    /// Large matrices can be shrunk: with `maxWidth`, blocks of b x b entries are averaged into one pixel,
    /// b = ceil(cols / maxWidth), keeping the aspect ratio; a (500, 5000) distance matrix with
    /// `maxWidth: 1000` becomes 1000 x 100 pixels. Blocks at the right and bottom edges may be smaller.
    /// Non-finite entries are left out of the averages; a block with none finite is black.
    ///
    /// - Parameters:
    ///   - matrix: any shape (rows, cols); (0, 0) gives an empty image, which `write(to:)` refuses.
    ///   - maxWidth: the widest image wanted, in pixels; nil keeps one pixel per entry.
    /// - Precondition: `maxWidth`, if given, is at least 1.
    public init(scaling matrix: Matrix, maxWidth: Int? = nil) {
        precondition((maxWidth ?? 1) >= 1, "GrayImage(scaling:maxWidth:): maxWidth \(maxWidth ?? 0) must be at least 1")
        let block = maxWidth.map { max(1, (matrix.cols + $0 - 1) / $0) } ?? 1
        let width = (matrix.cols + block - 1) / block
        let height = (matrix.rows + block - 1) / block
        var averages = [Double](repeating: .nan, count: width * height)
        matrix.withUnsafeBufferPointer { entries in
            for y in 0 ..< height {
                for x in 0 ..< width {
                    var sum = 0.0
                    var count = 0
                    for i in y * block ..< min((y + 1) * block, matrix.rows) {
                        for j in x * block ..< min((x + 1) * block, matrix.cols) where entries[i * matrix.cols + j].isFinite {
                            sum += entries[i * matrix.cols + j]
                            count += 1
                        }
                    }
                    if count > 0 { averages[y * width + x] = sum / Double(count) }
                }
            }
        }
        self.init(width: width, height: height, bytes: rescaledJointly([averages])[0])
    }
}

/// A fraction 0...1 as a byte 0...255, clamped; NaN gives 0.
private func byte(fraction: Double) -> UInt8 {
    fraction.isNaN ? 0 : UInt8((min(max(fraction, 0), 1) * 255).rounded())
}
