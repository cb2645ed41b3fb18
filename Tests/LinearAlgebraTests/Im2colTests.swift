import Foundation
import XCTest
@testable import LinearAlgebra

/// The convolution geometry, `im2col` against its definition, and `col2im` as its adjoint.
final class Im2colTests: XCTestCase {
    // MARK: - Geometry

    func testOutputSizeIsNMinusFOverStridePlusOne() throws {
        let same = try ConvolutionGeometry(channels: 3, height: 32, width: 32, filterHeight: 7, filterWidth: 7, stride: 1, padding: 3)
        XCTAssertEqual([same.outputHeight, same.outputWidth], [32, 32], "7 x 7 filters with padding 3 keep 32 x 32")
        XCTAssertEqual(same.windowSize, 147)
        XCTAssertEqual(same.positionsPerImage, 1024)
        // The lecture's 7 x 7 input with a 3 x 3 filter: stride 1 gives 5, stride 2 gives 3.
        let one = try ConvolutionGeometry(channels: 1, height: 7, width: 7, filterHeight: 3, filterWidth: 3)
        let two = try ConvolutionGeometry(channels: 1, height: 7, width: 7, filterHeight: 3, filterWidth: 3, stride: 2)
        XCTAssertEqual([one.outputHeight, two.outputHeight], [5, 3])
        let rectangular = try ConvolutionGeometry(channels: 2, height: 5, width: 9, filterHeight: 2, filterWidth: 3, stride: 3, padding: 0)
        XCTAssertEqual([rectangular.outputHeight, rectangular.outputWidth], [2, 3])
    }

    func testImpossibleGeometriesThrowNamingTheNumbers() {
        // The lecture's 7 x 7 input, 3 x 3 filter, stride 3: (7 - 3) / 3 + 1 is not an integer.
        XCTAssertThrowsError(try ConvolutionGeometry(channels: 1, height: 7, width: 7, filterHeight: 3, filterWidth: 3, stride: 3)) { error in
            XCTAssertEqual(error as? ConvolutionGeometryError,
                           .notInteger(axis: "height", input: 7, filter: 3, padding: 0, stride: 3))
            let text = "\(error)"
            XCTAssertTrue(text.contains("(N - F) / stride + 1 is not an integer"), text)
            XCTAssertTrue(text.contains("(7 + 2 · 0 - 3) / 3 + 1"), text)
        }
        XCTAssertThrowsError(try ConvolutionGeometry(channels: 1, height: 7, width: 8, filterHeight: 3, filterWidth: 3, stride: 2)) { error in
            XCTAssertEqual(error as? ConvolutionGeometryError,
                           .notInteger(axis: "width", input: 8, filter: 3, padding: 0, stride: 2), "the height fits, the width does not")
        }
        XCTAssertThrowsError(try ConvolutionGeometry(channels: 1, height: 4, width: 4, filterHeight: 7, filterWidth: 7, padding: 1)) { error in
            XCTAssertEqual(error as? ConvolutionGeometryError, .filterLargerThanInput(axis: "height", input: 4, filter: 7, padding: 1))
            XCTAssertTrue("\(error)".contains("4 + 2 · 1 = 6"), "\(error)")
        }
        XCTAssertThrowsError(try ConvolutionGeometry(channels: 3, height: 4, width: 4, filterHeight: 3, filterWidth: 3, stride: 0)) { error in
            XCTAssertEqual("\(error)", "the stride must be at least 1, not 0")
        }
        XCTAssertThrowsError(try ConvolutionGeometry(channels: 3, height: 4, width: 4, filterHeight: 3, filterWidth: 3, padding: -1)) { error in
            XCTAssertEqual("\(error)", "the padding must be 0 or more, not -1")
        }
    }

    // MARK: - im2col

    /// A worked example: one 3 x 3 image, 2 x 2 windows, stride 1, padding 0: four windows.
    func testIm2colWorkedExample() throws {
        let g = try ConvolutionGeometry(channels: 1, height: 3, width: 3, filterHeight: 2, filterWidth: 2)
        let x = Tensor(shape: [1, 1, 3, 3], [1, 2, 3,
                                             4, 5, 6,
                                             7, 8, 9])
        XCTAssertEqual(im2col(x, g), Matrix([[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]]))
    }

    /// Every entry against the definition, on geometries with padding, strides, several channels,
    /// rectangular windows and windows that reach past both borders.
    func testIm2colMatchesTheDefinition() throws {
        var rng = SeededGenerator(seed: 11)
        for (n, g) in try geometries() {
            let x = Tensor.gaussian([n, g.channels, g.height, g.width], using: &rng)
            let columns = im2col(x, g)
            XCTAssertEqual(columns.shape.rows, n * g.outputHeight * g.outputWidth)
            XCTAssertEqual(columns.shape.cols, g.channels * g.filterHeight * g.filterWidth)
            XCTAssertEqual(columns, referenceIm2col(x, g), "im2col of \(x.shapeDescription), \(describe(g))")
        }
    }

    /// The reason im2col exists: one matrix product gives the convolution, here checked against the
    /// direct sum out[n, f, i, j] = b[f] + Σ w[f, c, di, dj] · x_padded[n, c, i·s + di, j·s + dj].
    func testConvolutionByIm2colMatchesTheDirectSum() throws {
        var rng = SeededGenerator(seed: 12)
        let (n, c, h, w, f, k, stride, padding) = (2, 3, 7, 5, 4, 3, 2, 1)
        let g = try ConvolutionGeometry(channels: c, height: h, width: w, filterHeight: k, filterWidth: k,
                                        stride: stride, padding: padding)
        let x = Tensor.gaussian([n, c, h, w], using: &rng)
        let filters = Tensor.gaussian([f, c, k, k], using: &rng)
        let bias = Matrix.gaussian(1, f, using: &rng)
        let rows = matmul(im2col(x, g), Matrix(reshaping: filters, rows: f, cols: c * k * k), transposeB: true) + bias
        let out = Tensor(reshaping: rows, shape: [n, g.outputHeight, g.outputWidth, f]).permuted([0, 3, 1, 2])
        for image in 0 ..< n {
            for filter in 0 ..< f {
                for i in 0 ..< g.outputHeight {
                    for j in 0 ..< g.outputWidth {
                        var sum = bias[0, filter]
                        for channel in 0 ..< c {
                            for di in 0 ..< k {
                                for dj in 0 ..< k {
                                    let (y, xx) = (i * stride + di - padding, j * stride + dj - padding)
                                    guard y >= 0, y < h, xx >= 0, xx < w else { continue }
                                    sum += filters[filter, channel, di, dj] * x[image, channel, y, xx]
                                }
                            }
                        }
                        XCTAssertEqual(out[image, filter, i, j], sum, accuracy: 1e-12, "output [\(image), \(filter), \(i), \(j)]")
                    }
                }
            }
        }
    }

    // MARK: - col2im

    /// col2im of all ones counts how many windows cover each pixel.
    func testCol2imCountsOverlappingWindows() throws {
        let g = try ConvolutionGeometry(channels: 1, height: 3, width: 3, filterHeight: 2, filterWidth: 2)
        let counts = col2im(Matrix.ones(4, 4), batchSize: 1, g)
        XCTAssertEqual(counts, Tensor(shape: [1, 1, 3, 3], [1, 2, 1,
                                                             2, 4, 2,
                                                             1, 2, 1]))
        // Padding 1 and stride 2 on a 4 x 4 image: nine 2 x 2 windows tile the padded 6 x 6 without
        // overlapping, so every pixel is covered once and the padding is dropped.
        let padded = try ConvolutionGeometry(channels: 1, height: 4, width: 4, filterHeight: 2, filterWidth: 2, stride: 2, padding: 1)
        XCTAssertEqual(col2im(Matrix.ones(9, 4), batchSize: 1, padded), Tensor(shape: [1, 1, 4, 4], repeating: 1))
    }

    /// col2im is the adjoint (the backward pass) of im2col: ⟨im2col(x), Y⟩ = ⟨x, col2im(Y)⟩ for any
    /// x and Y, which is what makes it the gradient with respect to x.
    func testCol2imIsTheAdjointOfIm2col() throws {
        var rng = SeededGenerator(seed: 13)
        for (n, g) in try geometries() {
            let x = Tensor.gaussian([n, g.channels, g.height, g.width], using: &rng)
            let y = Matrix.gaussian(n * g.positionsPerImage, g.windowSize, using: &rng)
            let left = (im2col(x, g) * y).sum()
            let right = zip(x.storage, col2im(y, batchSize: n, g).storage).reduce(0) { $0 + $1.0 * $1.1 }
            XCTAssertEqual(left, right, accuracy: 1e-9 * Swift.max(1, Swift.abs(left)), describe(g))
        }
    }

    /// Batches large enough to be split over two threads give the same entries as one thread.
    func testThreadedIm2colAndCol2imMatchOneThread() throws {
        var rng = SeededGenerator(seed: 14)
        let g = try ConvolutionGeometry(channels: 3, height: 32, width: 32, filterHeight: 7, filterWidth: 7, stride: 1, padding: 3)
        let x = Tensor.gaussian([16, 3, 32, 32], using: &rng)          // 16 x 1,024 x 147: 2.4 million entries
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }
        Parallelism.threadCount = 1
        let columns = im2col(x, g)
        let back = col2im(columns, batchSize: 16, g)
        Parallelism.threadCount = 2
        XCTAssertEqual(im2col(x, g), columns)
        XCTAssertEqual(col2im(columns, batchSize: 16, g), back)
        XCTAssertEqual(columns, referenceIm2col(x, g))
    }

    // MARK: - Helpers

    /// Batch sizes N with geometries that have padding, strides, several channels, rectangular
    /// windows, and windows reaching past both borders.
    private func geometries() throws -> [(Int, ConvolutionGeometry)] {
        // (N, C, H, W, HH, WW, stride, padding)
        let cases = [
            (1, 1, 3, 3, 2, 2, 1, 0), (2, 3, 5, 5, 3, 3, 1, 1), (2, 2, 7, 7, 3, 3, 2, 0), (1, 3, 5, 9, 2, 3, 3, 0),
            (3, 2, 4, 6, 3, 1, 1, 2), (1, 1, 1, 1, 1, 1, 1, 0), (2, 3, 8, 8, 7, 7, 1, 3), (1, 2, 5, 7, 5, 5, 2, 2),
        ]
        return try cases.map { n, c, h, w, fh, fw, stride, padding in
            (n, try ConvolutionGeometry(channels: c, height: h, width: w, filterHeight: fh, filterWidth: fw,
                                        stride: stride, padding: padding))
        }
    }

    /// im2col by its definition, entry by entry.
    private func referenceIm2col(_ x: Tensor, _ g: ConvolutionGeometry) -> Matrix {
        let n = x.shape[0]
        var out = Matrix.zeros(n * g.outputHeight * g.outputWidth, g.windowSize)
        for image in 0 ..< n {
            for i in 0 ..< g.outputHeight {
                for j in 0 ..< g.outputWidth {
                    let row = (image * g.outputHeight + i) * g.outputWidth + j
                    for c in 0 ..< g.channels {
                        for di in 0 ..< g.filterHeight {
                            for dj in 0 ..< g.filterWidth {
                                let (y, xx) = (i * g.stride - g.padding + di, j * g.stride - g.padding + dj)
                                let inside = y >= 0 && y < g.height && xx >= 0 && xx < g.width
                                out[row, (c * g.filterHeight + di) * g.filterWidth + dj] = inside ? x[image, c, y, xx] : 0
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    private func describe(_ g: ConvolutionGeometry) -> String {
        "C \(g.channels), \(g.height) x \(g.width), window \(g.filterHeight) x \(g.filterWidth), stride \(g.stride), padding \(g.padding)"
    }
}
