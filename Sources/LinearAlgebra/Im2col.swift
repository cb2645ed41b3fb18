import Foundation

/// The geometry of a window sliding over images: a convolution's filters, or a pooling window.
///
/// An input of C channels, H rows and W columns is padded with `padding` zeros on every side, and a
/// window of `filterHeight` x `filterWidth` moves over it `stride` entries at a time. The output has
///
///     outputHeight = (H + 2 · padding − filterHeight) / stride + 1
///     outputWidth  = (W + 2 · padding − filterWidth) / stride + 1
///
/// positions (the lecture's "(N − F) / stride + 1" with N the padded size), and the initialiser
/// throws ``ConvolutionGeometryError`` when a division leaves a remainder, when the window is
/// larger than the padded input, or when a size is not positive: such a geometry would silently
/// leave out rows or columns of the input.
public struct ConvolutionGeometry: Equatable, Sendable {
    /// Input channels C (3 for RGB images; the previous layer's filter count further on).
    public let channels: Int
    /// Input rows H and columns W, before padding.
    public let height: Int, width: Int
    /// Window rows and columns (HH, WW).
    public let filterHeight: Int, filterWidth: Int
    /// Step between neighbouring windows, in entries, and zeros added on each side.
    public let stride: Int, padding: Int
    /// Output rows and columns (H', W').
    public let outputHeight: Int, outputWidth: Int

    /// - Throws: ``ConvolutionGeometryError``, whose description names the axis and the numbers.
    public init(channels: Int, height: Int, width: Int, filterHeight: Int, filterWidth: Int,
                stride: Int = 1, padding: Int = 0) throws {
        for (name, value) in [("channels", channels), ("height", height), ("width", width),
                              ("filter height", filterHeight), ("filter width", filterWidth), ("stride", stride)]
        where value < 1 {
            throw ConvolutionGeometryError.notPositive(name: name, value: value)
        }
        guard padding >= 0 else { throw ConvolutionGeometryError.notPositive(name: "padding", value: padding) }
        func positions(_ axis: String, _ input: Int, _ filter: Int) throws -> Int {
            let span = input + 2 * padding - filter
            guard span >= 0 else {
                throw ConvolutionGeometryError.filterLargerThanInput(axis: axis, input: input, filter: filter, padding: padding)
            }
            guard span % stride == 0 else {
                throw ConvolutionGeometryError.notInteger(axis: axis, input: input, filter: filter, padding: padding, stride: stride)
            }
            return span / stride + 1
        }
        self.channels = channels
        self.height = height
        self.width = width
        self.filterHeight = filterHeight
        self.filterWidth = filterWidth
        self.stride = stride
        self.padding = padding
        self.outputHeight = try positions("height", height, filterHeight)
        self.outputWidth = try positions("width", width, filterWidth)
    }

    /// Entries in one window, C · HH · WW: the columns of ``im2col(_:_:)``.
    public var windowSize: Int { channels * filterHeight * filterWidth }

    /// Window positions per image, H' · W'.
    public var positionsPerImage: Int { outputHeight * outputWidth }
}

/// Why a ``ConvolutionGeometry`` cannot be built.
public enum ConvolutionGeometryError: Error, Equatable, CustomStringConvertible {
    /// A size or the stride below 1, or a negative padding.
    case notPositive(name: String, value: Int)
    /// The window does not fit in the padded input along `axis` ("height" or "width").
    case filterLargerThanInput(axis: String, input: Int, filter: Int, padding: Int)
    /// (input + 2 · padding − filter) / stride + 1 leaves a remainder along `axis`.
    case notInteger(axis: String, input: Int, filter: Int, padding: Int, stride: Int)

    public var description: String {
        switch self {
        case let .notPositive(name, value):
            return name == "padding"
                ? "the padding must be 0 or more, not \(value)"
                : "the \(name) must be at least 1, not \(value)"
        case let .filterLargerThanInput(axis, input, filter, padding):
            return "the filter \(axis) \(filter) is larger than the padded input \(axis) \(input) + 2 · \(padding) = \(input + 2 * padding)"
        case let .notInteger(axis, input, filter, padding, stride):
            let span = input + 2 * padding - filter
            return """
                along the \(axis), (N - F) / stride + 1 is not an integer: (\(input) + 2 · \(padding) - \(filter)) / \(stride) + 1 \
                = \(span) / \(stride) + 1, and \(span) is not a multiple of \(stride); change the padding or the stride
                """
        }
    }
}

/// Every window of a batch of images as one row of a matrix ("im2col"), so that a convolution
/// becomes one matrix product: with the filters (F, C, HH, WW) read as `w` (F, C·HH·WW),
/// `matmul(im2col(x, g), w, transposeB: true)` is (N·H'·W', F), the output at every position.
///
/// Row `(n · H' + i) · W' + j` holds the window whose top-left corner is at row `i · stride − padding`
/// and column `j · stride − padding` of image n, in the order (c, di, dj), which is the order of one
/// filter's entries; entries that fall into the zero padding are 0. Costs N·H'·W'·C·HH·WW entries of
/// memory: 7.5 million (60 MB) for 50 CIFAR-10 images and 7 x 7 filters at stride 1.
/// Source: the lecture's "implementation as matrix multiplication" of convolutional layers.
///
/// - Parameters:
///   - x: images (N, C, H, W) with C, H and W those of `geometry`.
///   - geometry: the window, stride and padding.
/// - Returns: (N · H' · W', C · HH · WW).
/// - Precondition: `x` is 4-D and its (C, H, W) is the geometry's; traps naming both otherwise.
public func im2col(_ x: Tensor, _ geometry: ConvolutionGeometry) -> Matrix {
    checkImages(x, geometry, "im2col")
    let g = geometry
    let (n, rowsPerImage, size) = (x.shape[0], g.positionsPerImage, g.windowSize)
    return Matrix(rows: n * rowsPerImage, cols: size) { out in
        x.withUnsafeBufferPointer { source in
            guard let images = source.baseAddress, let rows = out.baseAddress else { return }
            inChunks(n, entriesEach: rowsPerImage * size) { batch in
                for image in batch {
                    let input = images + image * g.channels * g.height * g.width
                    for row in 0 ..< rowsPerImage {
                        copyWindow(input, g, row / g.outputWidth, row % g.outputWidth,
                                   into: rows + (image * rowsPerImage + row) * size)
                    }
                }
            }
        }
    }
}

/// The adjoint of ``im2col(_:_:)`` ("col2im"): adds every entry of every row back into the image
/// position it was read from, so windows that overlap add up, and entries of the zero padding are
/// dropped. This is the backward pass of im2col: given the gradient of the loss with respect to
/// the im2col matrix, it returns the gradient with respect to the images.
///
/// - Parameters:
///   - columns: (N · H' · W', C · HH · WW), laid out as ``im2col(_:_:)`` lays out its result.
///   - batchSize: N.
///   - geometry: the window, stride and padding.
/// - Returns: (N, C, H, W).
/// - Precondition: `columns` has that shape; traps naming both shapes otherwise.
public func col2im(_ columns: Matrix, batchSize: Int, _ geometry: ConvolutionGeometry) -> Tensor {
    let g = geometry
    let (n, rowsPerImage, size) = (batchSize, g.positionsPerImage, g.windowSize)
    require(n >= 0 && columns.rows == n * rowsPerImage && columns.cols == size, """
        col2im: columns of shape \(columns.shapeDescription) do not come from \(n) images with windows of \
        \(g.channels) x \(g.filterHeight) x \(g.filterWidth) at \(rowsPerImage) positions: expected \
        (\(n * rowsPerImage), \(size))
        """)
    let imageSize = g.channels * g.height * g.width
    return Tensor(shape: [n, g.channels, g.height, g.width]) { out in
        columns.withUnsafeBufferPointer { source in
            guard let rows = source.baseAddress, let images = out.baseAddress else { return }
            // Images are independent: each thread clears and fills its own.
            inChunks(n, entriesEach: rowsPerImage * size) { batch in
                for image in batch {
                    let output = images + image * imageSize
                    output.initialize(repeating: 0, count: imageSize)
                    for row in 0 ..< rowsPerImage {
                        addWindow(rows + (image * rowsPerImage + row) * size, g, row / g.outputWidth, row % g.outputWidth,
                                  into: output)
                    }
                }
            }
        }
    }
}

/// Writes the window at output position (i, j) of one image (C, H, W) into `row`, C · HH · WW entries.
@inline(__always)
private func copyWindow(_ image: UnsafePointer<Double>, _ g: ConvolutionGeometry, _ i: Int, _ j: Int,
                        into row: UnsafeMutablePointer<Double>) {
    let (top, left) = (i * g.stride - g.padding, j * g.stride - g.padding)
    // Columns dj of the window that fall inside the image: firstColumn ..< lastColumn.
    let firstColumn = Swift.max(0, -left), lastColumn = Swift.min(g.filterWidth, g.width - left)
    var o = row
    for c in 0 ..< g.channels {
        let plane = image + c * g.height * g.width
        for di in 0 ..< g.filterHeight {
            let y = top + di
            if y < 0 || y >= g.height || firstColumn >= lastColumn {
                o.update(repeating: 0, count: g.filterWidth)
            } else {
                if firstColumn > 0 { o.update(repeating: 0, count: firstColumn) }
                (o + firstColumn).update(from: plane + y * g.width + left + firstColumn, count: lastColumn - firstColumn)
                if lastColumn < g.filterWidth { (o + lastColumn).update(repeating: 0, count: g.filterWidth - lastColumn) }
            }
            o += g.filterWidth
        }
    }
}

/// Adds `row`, the window at output position (i, j), into one image (C, H, W); the padding is dropped.
@inline(__always)
private func addWindow(_ row: UnsafePointer<Double>, _ g: ConvolutionGeometry, _ i: Int, _ j: Int,
                       into image: UnsafeMutablePointer<Double>) {
    let (top, left) = (i * g.stride - g.padding, j * g.stride - g.padding)
    let firstColumn = Swift.max(0, -left), lastColumn = Swift.min(g.filterWidth, g.width - left)
    guard firstColumn < lastColumn else { return }
    var r = row
    for c in 0 ..< g.channels {
        let plane = image + c * g.height * g.width
        for di in 0 ..< g.filterHeight {
            let y = top + di
            if y >= 0 && y < g.height {
                let (target, source) = (plane + y * g.width + left + firstColumn, r + firstColumn)
                for k in 0 ..< lastColumn - firstColumn { target[k] += source[k] }
            }
            r += g.filterWidth
        }
    }
}

private func checkImages(_ x: Tensor, _ g: ConvolutionGeometry, _ name: String) {
    require(x.rank == 4 && x.shape[1] == g.channels && x.shape[2] == g.height && x.shape[3] == g.width, """
        \(name): images of shape \(x.shapeDescription) do not match the geometry's (N, \(g.channels), \
        \(g.height), \(g.width))
        """)
}

// MARK: - One image at a time, in the caller's memory

/// ``im2col(_:_:)`` for one image, written into memory the caller owns: the given fast convolution
/// layer keeps one such buffer per thread and reuses it for every image of every step, where a
/// whole batch's matrix would be 60 MB of fresh memory each time.
///
/// - Parameters:
///   - image: one image (C, H, W), row-major, with C, H and W those of `geometry`.
///   - geometry: the window, stride and padding.
///   - rows: room for H' · W' rows of C · HH · WW entries, all of which are written.
public func im2col(image: UnsafePointer<Double>, _ geometry: ConvolutionGeometry, into rows: UnsafeMutablePointer<Double>) {
    let g = geometry
    for row in 0 ..< g.positionsPerImage {
        copyWindow(image, g, row / g.outputWidth, row % g.outputWidth, into: rows + row * g.windowSize)
    }
}

/// ``col2im(_:batchSize:_:)`` for one image, in memory the caller owns: clears the image (C, H, W),
/// then adds every row of `rows` (H' · W' rows of C · HH · WW entries, as ``im2col(image:_:into:)``
/// lays them out) back where it was read from; the padding is dropped.
public func col2im(rows: UnsafePointer<Double>, _ geometry: ConvolutionGeometry, into image: UnsafeMutablePointer<Double>) {
    let g = geometry
    image.initialize(repeating: 0, count: g.channels * g.height * g.width)
    for row in 0 ..< g.positionsPerImage {
        addWindow(rows + row * g.windowSize, g, row / g.outputWidth, row % g.outputWidth, into: image)
    }
}
