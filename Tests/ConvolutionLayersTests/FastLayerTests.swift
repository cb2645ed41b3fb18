import XCTest
import LinearAlgebra
import GradientCheck
import ExerciseSupport
@testable import ConvolutionLayers

/// The given fast layers against direct sums and maxima written here, and against centred numerical
/// gradients; the same results on one thread or two, bit for bit.
final class FastLayerTests: XCTestCase {
    // MARK: convolution

    /// (x, w, stride, padding): small and odd shapes, and CIFAR-10-sized images that use both threads.
    /// At stride 1 on an AVX-512 CPU the direct kernels run (the rest, and every geometry with
    /// WORKBOOK_SIMD=avx2, take im2col): output rows of 5, 13, 19 and 36 positions reach their blocks
    /// of one, two and four vectors and a partial last vector; 5 and 7 filters leave partial tiles of
    /// filters; filters 1, 3, 5, 7 and 9 wide (more than 7 takes its columns in two groups).
    static let geometries: [([Int], [Int], Int, Int)] = [
        ([2, 3, 5, 5], [4, 3, 3, 3], 1, 1), ([2, 3, 5, 5], [2, 3, 3, 3], 2, 1), ([1, 2, 7, 10], [3, 2, 3, 2], 2, 0),
        ([3, 1, 6, 6], [2, 1, 1, 1], 1, 0), ([2, 2, 4, 5], [5, 2, 2, 3], 2, 2), ([4, 3, 32, 32], [4, 3, 7, 7], 1, 3),
        ([2, 2, 9, 40], [5, 2, 3, 9], 1, 2), ([1, 3, 12, 20], [7, 3, 5, 2], 1, 0), ([1, 1, 4, 15], [3, 1, 2, 3], 1, 0),
        ([1, 2, 6, 17], [7, 2, 5, 5], 1, 2),
    ]

    func testForwardMatchesDirectSums() throws {
        for (index, (xs, ws, stride, padding)) in Self.geometries.enumerated() {
            let (x, w, b) = (gaussian(xs, seed: 10 + UInt64(index)), gaussian(ws, seed: 20 + UInt64(index)), gaussian([ws[0]], seed: 30))
            let original = x
            let (out, _) = try convForwardFast(x, w, b, stride: stride, padding: padding)
            let expected = Direct.convolution(x, w, b, stride: stride, padding: padding)
            XCTAssertEqual(out.shape, expected.shape)
            XCTAssertLessThan(maxDifference(out, expected), 1e-10, "x \(xs), w \(ws), stride \(stride), padding \(padding)")
            XCTAssertEqual(x, original, "the input is not modified")
        }
    }

    func testBackwardMatchesDirectSums() throws {
        for (index, (xs, ws, stride, padding)) in Self.geometries.enumerated() {
            let (x, w, b) = (gaussian(xs, seed: 40 + UInt64(index)), gaussian(ws, seed: 50 + UInt64(index)), gaussian([ws[0]], seed: 60))
            let (out, cache) = try convForwardFast(x, w, b, stride: stride, padding: padding)
            let dout = gaussian(out.shape, seed: 70 + UInt64(index))
            let (dx, dw, db) = try convBackwardFast(dout, cache: cache)
            let expected = Direct.convolutionBackward(dout, x, w, stride: stride, padding: padding)
            let setting = "x \(xs), w \(ws), stride \(stride), padding \(padding)"
            XCTAssertLessThan(maxDifference(dx, expected.dx), 1e-10, "dx, \(setting)")
            XCTAssertLessThan(maxDifference(dw, expected.dw), 1e-9, "dw, \(setting)")
            XCTAssertLessThan(maxDifference(db, expected.db), 1e-9, "db, \(setting)")
            let (dwOnly, dbOnly) = try convParameterGradientsFast(dout, cache: cache)
            XCTAssertEqual(dwOnly, dw, "the parameter gradients alone are those of the full backward pass")
            XCTAssertEqual(dbOnly, db)
        }
    }

    func testBackwardMatchesNumericalGradients() throws {
        for (index, (xs, ws, stride, padding)) in Self.geometries.prefix(5).enumerated() {
            let (x, w, b) = (gaussian(xs, seed: 80 + UInt64(index)), gaussian(ws, seed: 90 + UInt64(index)), gaussian([ws[0]], seed: 100))
            let forward = { (x: Tensor, w: Tensor, b: Tensor) in try! convForwardFast(x, w, b, stride: stride, padding: padding).out }
            let (out, cache) = try convForwardFast(x, w, b, stride: stride, padding: padding)
            let dout = gaussian(out.shape, seed: 110 + UInt64(index))
            let (dx, dw, db) = try convBackwardFast(dout, cache: cache)
            // Linear in each argument: no truncation error at any step, and h = 1e-3 keeps rounding small.
            XCTAssertLessThan(relativeError(dx, numericalGradient(of: { forward($0, w, b) }, at: x, upstream: dout, step: 1e-3)), 1e-8, "dx \(xs)")
            XCTAssertLessThan(relativeError(dw, numericalGradient(of: { forward(x, $0, b) }, at: w, upstream: dout, step: 1e-3)), 1e-8, "dw \(ws)")
            XCTAssertLessThan(relativeError(db, numericalGradient(of: { forward(x, w, $0) }, at: b, upstream: dout, step: 1e-3)), 1e-8, "db")
        }
    }

    func testSameResultOnOneThreadOrTwo() throws {
        let x = gaussian([8, 3, 32, 32], seed: 120), w = gaussian([32, 3, 7, 7], seed: 121), b = gaussian([32], seed: 122)
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }
        var results: [[Tensor]] = []
        for threads in [1, 2] {
            Parallelism.threadCount = threads
            let (out, cache) = try convForwardFast(x, w, b, padding: 3)
            let (dx, dw, db) = try convBackwardFast(out, cache: cache)
            let (pooled, poolCache) = try maxPoolForwardFast(out)
            results.append([out, dx, dw, db, pooled, try maxPoolBackwardFast(pooled, cache: poolCache)])
        }
        XCTAssertEqual(results[0], results[1], "one thread and two give the same bits")
    }

    func testBadInputIsAClearError() {
        XCTAssertThrowsError(try convForwardFast(Tensor.zeros(1, 1, 7, 7), Tensor.zeros(1, 1, 3, 3), Tensor.zeros(1), stride: 3)) { error in
            XCTAssertEqual(error as? ConvolutionGeometryError, .notInteger(axis: "height", input: 7, filter: 3, padding: 0, stride: 3))
            XCTAssertTrue("\(error)".contains("(7 + 2 · 0 - 3) / 3 + 1"), "\(error)")
        }
        XCTAssertThrowsError(try convForwardFast(Tensor.zeros(1, 3, 4, 4), Tensor.zeros(2, 3, 7, 7), Tensor.zeros(2), padding: 1)) { error in
            XCTAssertEqual(error as? ConvolutionGeometryError, .filterLargerThanInput(axis: "height", input: 4, filter: 7, padding: 1))
        }
        XCTAssertThrowsError(try convForwardFast(Tensor.zeros(1, 2, 4, 4), Tensor.zeros(2, 3, 3, 3), Tensor.zeros(2))) { error in
            XCTAssertEqual("\(error)", "convForwardFast: filters (2, 3, 3, 3) are (F, C, HH, WW) with C the images' channels, but the images are (1, 2, 4, 4)")
        }
        XCTAssertThrowsError(try convForwardFast(Tensor.zeros(1, 3, 4, 4), Tensor.zeros(2, 3, 3, 3), Tensor.zeros(3))) { error in
            XCTAssertEqual(error as? ConvolutionalNetworkError, .biasMismatch(layer: "convForwardFast", bias: "(3,)", filters: 2))
        }
        XCTAssertThrowsError(try convForwardFast(Tensor.zeros(3, 4, 4), Tensor.zeros(2, 3, 3, 3), Tensor.zeros(2))) { error in
            XCTAssertEqual(error as? ConvolutionalNetworkError, .notImages(layer: "convForwardFast", name: "x", shape: "(3, 4, 4)"))
        }
        let cache = try! convForwardFast(Tensor.zeros(1, 3, 4, 4), Tensor.zeros(2, 3, 3, 3), Tensor.zeros(2)).cache
        XCTAssertThrowsError(try convBackwardFast(Tensor.zeros(1, 2, 4, 4), cache: cache)) { error in
            XCTAssertEqual(error as? ConvolutionalNetworkError,
                           .upstreamShapeMismatch(layer: "convBackwardFast", expected: "(1, 2, 2, 2)", got: "(1, 2, 4, 4)"))
        }
    }

    // MARK: max pooling

    func testMaxPoolMatchesDirectMaximaAndTiesGoToTheFirst() throws {
        for (index, (shape, pool)) in [([2, 3, 4, 4], 2), ([1, 2, 6, 9], 3), ([8, 32, 32, 32], 2)].enumerated() {
            // Rounded values, so that windows hold ties.
            let x = Tensor(shape: shape, gaussian(shape, seed: 130 + UInt64(index)).storage.map { ($0 * 2).rounded() })
            let (out, cache) = try maxPoolForwardFast(x, poolHeight: pool, poolWidth: pool, stride: pool)
            let expected = Direct.maxPool(x, pool: pool, stride: pool)
            XCTAssertEqual(out, expected.out, "\(shape), \(pool) x \(pool)")
            let dout = gaussian(out.shape, seed: 140 + UInt64(index))
            XCTAssertEqual(try maxPoolBackwardFast(dout, cache: cache), Direct.maxPoolBackward(dout, expected.winners, x.shape),
                           "the gradient goes to the first maximum of each window")
        }
    }

    func testMaxPoolBackwardMatchesNumericalGradient() throws {
        var rng = SeededGenerator(seed: 150)
        let x = Tensor(shape: [2, 3, 4, 6], rng.permutation(144).map { Double($0) * 0.01 })
        let (out, cache) = try maxPoolForwardFast(x)
        let dout = gaussian(out.shape, seed: 151)
        let dx = try maxPoolBackwardFast(dout, cache: cache)
        let numerical = numericalGradient(of: { try! maxPoolForwardFast($0).out }, at: x, upstream: dout)
        XCTAssertLessThan(relativeError(dx, numerical), 1e-8)
    }

    func testPoolThatDoesNotTileIsAnError() {
        XCTAssertThrowsError(try maxPoolForwardFast(Tensor.zeros(1, 1, 5, 5), poolHeight: 3, poolWidth: 3, stride: 1)) { error in
            XCTAssertEqual(error as? ConvolutionalNetworkError,
                           .poolDoesNotTile(layer: "maxPoolForwardFast", poolHeight: 3, poolWidth: 3, stride: 1))
        }
        XCTAssertThrowsError(try maxPoolForwardFast(Tensor.zeros(1, 1, 5, 5))) { error in
            XCTAssertEqual(error as? ConvolutionGeometryError, .notInteger(axis: "height", input: 5, filter: 2, padding: 0, stride: 2))
        }
    }

    // MARK: helpers

    private func gaussian(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.gaussian(shape, using: &rng)
    }

    private func maxDifference(_ a: Tensor, _ b: Tensor) -> Double {
        XCTAssertEqual(a.shape, b.shape)
        return zip(a.storage, b.storage).map { abs($0 - $1) }.max() ?? 0
    }

    private func row(_ t: Tensor) -> Matrix { Matrix(reshaping: t, rows: 1, cols: t.count) }

    private func relativeError(_ a: Tensor, _ b: Tensor) -> Double { GradientCheck.relativeError(row(a), row(b)) }

    private func numericalGradient(of f: (Tensor) -> Tensor, at x: Tensor, upstream: Tensor, step: Double = 1e-5) -> Tensor {
        Tensor(reshaping: GradientCheck.numericalGradient(of: { row(f(Tensor(reshaping: $0, shape: x.shape))) }, at: row(x),
                                                          upstream: row(upstream), step: step), shape: x.shape)
    }
}

/// Convolution and max pooling as the definitions write them, entry by entry (on flat row-major
/// indices: subscripting a tensor by four indices is slow in an unoptimised test build).
enum Direct {
    static func convolution(_ x: Tensor, _ w: Tensor, _ b: Tensor, stride: Int, padding: Int) -> Tensor {
        let (f, ho, wo) = outputSize(x, w, stride: stride, padding: padding)
        let (xs, ws, bs) = (x.storage, w.storage, b.storage)
        var out = [Double](repeating: 0, count: x.shape[0] * f * ho * wo)
        forEachTerm(x.shape, w.shape, ho, wo, stride, padding) { o, xi, wi, filter in
            out[o] += ws[wi] * xs[xi]
        }
        for o in out.indices { out[o] += bs[(o / (ho * wo)) % f] }
        return Tensor(shape: [x.shape[0], f, ho, wo], out)
    }

    static func convolutionBackward(_ dout: Tensor, _ x: Tensor, _ w: Tensor, stride: Int, padding: Int) -> (dx: Tensor, dw: Tensor, db: Tensor) {
        let (f, ho, wo) = outputSize(x, w, stride: stride, padding: padding)
        let (xs, ws, ds) = (x.storage, w.storage, dout.storage)
        var (dx, dw, db) = ([Double](repeating: 0, count: x.count), [Double](repeating: 0, count: w.count), [Double](repeating: 0, count: f))
        forEachTerm(x.shape, w.shape, ho, wo, stride, padding) { o, xi, wi, filter in
            dx[xi] += ws[wi] * ds[o]
            dw[wi] += xs[xi] * ds[o]
        }
        for o in ds.indices { db[(o / (ho * wo)) % f] += ds[o] }
        return (Tensor(shape: x.shape, dx), Tensor(shape: w.shape, dw), Tensor(shape: [f], db))
    }

    private static func outputSize(_ x: Tensor, _ w: Tensor, stride: Int, padding: Int) -> (Int, Int, Int) {
        (w.shape[0], (x.shape[2] + 2 * padding - w.shape[2]) / stride + 1, (x.shape[3] + 2 * padding - w.shape[3]) / stride + 1)
    }

    /// Calls `body(output index, x index, w index, filter)` for every term of the sum that is not in the padding.
    private static func forEachTerm(_ xShape: [Int], _ wShape: [Int], _ ho: Int, _ wo: Int, _ stride: Int, _ padding: Int,
                                    _ body: (Int, Int, Int, Int) -> Void) {
        let (n, c, h, wd, f, hh, ww) = (xShape[0], xShape[1], xShape[2], xShape[3], wShape[0], wShape[2], wShape[3])
        for image in 0 ..< n { for filter in 0 ..< f { for i in 0 ..< ho { for j in 0 ..< wo {
            let o = ((image * f + filter) * ho + i) * wo + j
            for channel in 0 ..< c { for di in 0 ..< hh { for dj in 0 ..< ww {
                let (row, column) = (i * stride + di - padding, j * stride + dj - padding)
                if row >= 0 && row < h && column >= 0 && column < wd {
                    body(o, ((image * c + channel) * h + row) * wd + column, ((filter * c + channel) * hh + di) * ww + dj, filter)
                }
            } } }
        } } } }
    }

    /// The maxima and, for each, the flat index in x of the first maximum of its window.
    static func maxPool(_ x: Tensor, pool: Int, stride: Int) -> (out: Tensor, winners: [Int]) {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (ho, wo) = ((h - pool) / stride + 1, (w - pool) / stride + 1)
        let xs = x.storage
        var out: [Double] = [], winners: [Int] = []
        for plane in 0 ..< n * c { for i in 0 ..< ho { for j in 0 ..< wo {
            var indices: [Int] = []
            for di in 0 ..< pool { for dj in 0 ..< pool { indices.append((plane * h + i * stride + di) * w + j * stride + dj) } }
            let best = indices.map { xs[$0] }.max()!
            out.append(best)
            winners.append(indices.first { xs[$0] == best }!)
        } } }
        return (Tensor(shape: [n, c, ho, wo], out), winners)
    }

    static func maxPoolBackward(_ dout: Tensor, _ winners: [Int], _ shape: [Int]) -> Tensor {
        var dx = [Double](repeating: 0, count: shape.reduce(1, *))
        for (o, index) in winners.enumerated() { dx[index] += dout.storage[o] }
        return Tensor(shape: shape, dx)
    }
}
