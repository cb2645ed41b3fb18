import XCTest
@testable import LinearAlgebra

/// The entry points on caller-owned memory (one image's im2col and col2im, the product into a buffer)
/// against the allocating forms they share their kernels with.
final class InPlaceKernelTests: XCTestCase {
    func testOneImageIm2colAndCol2imMatchTheBatchForms() throws {
        var rng = SeededGenerator(seed: 71)
        for (c, h, w, f, stride, padding) in [(3, 7, 6, 3, 1, 1), (2, 8, 8, 4, 2, 1), (1, 7, 10, 2, 3, 2)] {
            let g = try ConvolutionGeometry(channels: c, height: h, width: w, filterHeight: f, filterWidth: f, stride: stride, padding: padding)
            let x = Tensor.gaussian([2, c, h, w], using: &rng)
            let batch = im2col(x, g)
            let columns = Matrix.gaussianForTest(batch.rows, batch.cols, &rng)
            let images = col2im(columns, batchSize: 2, g)
            let imageSize = c * h * w, rows = g.positionsPerImage * g.windowSize
            var one = [Double](repeating: .nan, count: rows)
            var back = [Double](repeating: .nan, count: imageSize)
            for n in 0 ..< 2 {
                x.withUnsafeBufferPointer { xs in one.withUnsafeMutableBufferPointer { im2col(image: xs.baseAddress! + n * imageSize, g, into: $0.baseAddress!) } }
                XCTAssertEqual(one, Array(batch.storage[n * rows ..< (n + 1) * rows]), "im2col(image:) of image \(n), \(g)")
                columns.withUnsafeBufferPointer { cs in back.withUnsafeMutableBufferPointer { col2im(rows: cs.baseAddress! + n * rows, g, into: $0.baseAddress!) } }
                XCTAssertEqual(back, Array(images.storage[n * imageSize ..< (n + 1) * imageSize]), "col2im(rows:) of image \(n), \(g)")
            }
        }
    }

    func testProductIntoABufferMatchesMatmulWithStridesAndBeta() {
        var rng = SeededGenerator(seed: 72)
        for (m, n, k) in [(32, 1024, 147), (5, 7, 3), (130, 20, 300)] {
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                let a = Matrix.gaussianForTest(ta ? k : m, ta ? m : k, &rng), b = Matrix.gaussianForTest(tb ? n : k, tb ? k : n, &rng)
                let expected = matmul(a, b, transposeA: ta, transposeB: tb)
                // C lies inside a wider buffer (ldc = n + 3) that starts as ones, with beta = 1.
                let ldc = n + 3
                for threads in [1, 2] {
                    var c = [Double](repeating: 1, count: m * ldc)
                    a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                        matmul(m: m, n: n, k: k, pa.baseAddress!, lda: a.cols, transposeA: ta, pb.baseAddress!, ldb: b.cols, transposeB: tb,
                               beta: 1, into: pc.baseAddress!, ldc: ldc, threads: threads)
                    } } }
                    var worst = 0.0
                    for i in 0 ..< m {
                        for j in 0 ..< n { worst = max(worst, abs(c[i * ldc + j] - 1 - expected[i, j])) }
                        for j in n ..< ldc { XCTAssertEqual(c[i * ldc + j], 1, "entries past the row are left alone") }
                    }
                    XCTAssertLessThan(worst, 1e-10, "(\(m), \(n), \(k)) ta \(ta) tb \(tb) on \(threads) threads")
                }
            }
        }
    }
}

private extension Matrix {
    static func gaussianForTest(_ rows: Int, _ cols: Int, _ rng: inout SeededGenerator) -> Matrix {
        Matrix(rows: rows, cols: cols, (0 ..< rows * cols).map { _ in rng.gaussian() })
    }
}
