import XCTest
import LinearAlgebra
import GradientCheck
@testable import Workbook

/// Chapter 6, convolutional networks: Exercises/06-convolutional-networks/ConvolutionArithmetic.swift,
/// Convolution.swift and MaxPooling.swift.
///
/// Forward passes are compared with the direct sums and maxima of ConvolutionReferences.swift (within
/// 1e-10: only the order of the additions may differ). Backward passes are compared with centred
/// numerical gradients of the reference forward pass by relative error, which must be below 1e-8. A
/// convolution is linear in each of x, w and b, so its centred difference has no truncation error at
/// any step, and h = 1e-3 keeps the rounding error (about eps |L| / h) a hundred times below that of
/// h = 1e-5; max pooling uses h = 1e-5 on inputs whose entries all lie at least 0.01 apart, so that no
/// step crosses a change of the maximum.
final class ConvolutionalNetworkTests: XCTestCase {
    typealias R = ConvolutionReference

    // MARK: the lecture's bookkeeping

    func test_convOutputSize_lectureExamples() throws {
        let one = try attempt { try convOutputSize(inputSize: 7, filterSize: 3, stride: 1, padding: 0) }
        expectEqual(one, 5, "convOutputSize", "a 7 x 7 input with a 3 x 3 filter at stride 1",
                    hint: "(N - F) / stride + 1 = (7 - 3) / 1 + 1")
        expectEqual(try convOutputSize(inputSize: 7, filterSize: 3, stride: 2), 3, "convOutputSize",
                    "a 7 x 7 input with a 3 x 3 filter at stride 2", hint: "(7 - 3) / 2 + 1")
        expectEqual(try convOutputSize(inputSize: 32, filterSize: 5, stride: 1, padding: 2), 32, "convOutputSize",
                    "32 wide, 5 x 5 filter, stride 1, padding 2", hint: "the padding adds 2 · padding to N before subtracting F")
        for filter in [1, 3, 5, 7] {
            expectEqual(try convOutputSize(inputSize: 10, filterSize: filter, stride: 1, padding: (filter - 1) / 2), 10,
                        "convOutputSize", "10 wide, \(filter) x \(filter) filter, stride 1, padding (F - 1) / 2 = \((filter - 1) / 2)",
                        hint: "padding (F - 1) / 2 at stride 1 keeps the size")
        }
        expectEqual(try convOutputSize(inputSize: 9, filterSize: 3, stride: 3, padding: 0), 3, "convOutputSize",
                    "9 wide, 3 x 3 filter, stride 3 (windows that just touch)")
    }

    func test_convOutputSize_impossibleGeometryIsAnError() throws {
        _ = try attempt { try convOutputSize(inputSize: 7, filterSize: 3, stride: 1, padding: 0) }
        do {
            let size = try convOutputSize(inputSize: 7, filterSize: 3, stride: 3, padding: 0)
            fail("convOutputSize", "a 7 x 7 input with a 3 x 3 filter at stride 3 gave \(size) instead of an error",
                 hint: "(7 - 3) / 3 + 1 is not an integer: the filter does not fit; check span % stride")
        } catch let error as ConvolutionGeometryError {
            expectEqual(error, .notInteger(axis: "width", input: 7, filter: 3, padding: 0, stride: 3), "convOutputSize",
                        "the error for a 7 x 7 input, 3 x 3 filter, stride 3")
        }
        do {
            let size = try convOutputSize(inputSize: 4, filterSize: 7, stride: 1, padding: 1)
            fail("convOutputSize", "a 7 x 7 filter on a 4 x 4 input padded by 1 gave \(size) instead of an error",
                 hint: "the filter is larger than the padded input (4 + 2 = 6)")
        } catch let error as ConvolutionGeometryError {
            expectEqual(error, .filterLargerThanInput(axis: "width", input: 4, filter: 7, padding: 1), "convOutputSize",
                        "the error for a 7 x 7 filter on a 4 x 4 input with padding 1")
        }
        XCTAssertThrowsError(try convOutputSize(inputSize: 7, filterSize: 3, stride: 0), "stride 0 must be an error")
    }

    func test_convOutputVolume_lectureExample() throws {
        let input = VolumeShape(width: 32, height: 32, depth: 3)
        let volume = try attempt { try convOutputVolume(input, filterCount: 10, filterSize: 5, stride: 1, padding: 2) }
        expectEqual(volume, VolumeShape(width: 32, height: 32, depth: 10), "convOutputVolume",
                    "ten 5 x 5 filters, stride 1, padding 2 on 32 x 32 x 3", hint: "the depth is the number of filters")
        expectEqual(try convOutputVolume(input, filterCount: 6, filterSize: 5), VolumeShape(width: 28, height: 28, depth: 6),
                    "convOutputVolume", "six 5 x 5 filters, stride 1, no padding on 32 x 32 x 3")
        let wide = VolumeShape(width: 9, height: 5, depth: 2)
        expectEqual(try convOutputVolume(wide, filterCount: 4, filterSize: 3, stride: 2), VolumeShape(width: 4, height: 2, depth: 4),
                    "convOutputVolume", "four 3 x 3 filters at stride 2 on 9 wide x 5 high", hint: "width and height each have their own size")
        XCTAssertThrowsError(try convOutputVolume(VolumeShape(width: 7, height: 8, depth: 1), filterCount: 1, filterSize: 3, stride: 2)) { error in
            expectEqual(error as? ConvolutionGeometryError, .notInteger(axis: "height", input: 8, filter: 3, padding: 0, stride: 2),
                        "convOutputVolume", "the error when the width fits and the height does not")
        }
    }

    func test_convParameterCount_lectureExample() throws {
        let count = try attempt { try convParameterCount(inputDepth: 3, filterCount: 10, filterSize: 5) }
        expectEqual(count, 760, "convParameterCount", "ten 5 x 5 filters on a depth-3 input",
                    hint: "each filter has 5 · 5 · 3 = 75 weights and 1 bias")
        // Counted from the shapes of the layer's tensors, (F, C, HH, WW) filters and F biases.
        for (depth, filters, size) in [(32, 64, 3), (1, 1, 1), (16, 8, 7)] {
            let expected = Tensor.zeros(filters, depth, size, size).count + filters
            expectEqual(try convParameterCount(inputDepth: depth, filterCount: filters, filterSize: size), expected,
                        "convParameterCount", "\(filters) filters \(size) x \(size) on depth \(depth)")
        }
    }

    func test_receptiveField_stackOfConvolutions() throws {
        _ = try attempt { try receptiveField(convolutions: 1) }
        for filterSize in [3, 5] {
            for layers in 0 ... 4 {
                let expected = Self.measuredReceptiveField(layers: layers, filterSize: filterSize)
                expectEqual(try receptiveField(convolutions: layers, filterSize: filterSize), expected, "receptiveField",
                            "\(layers) stacked \(filterSize) x \(filterSize) convolutions at stride 1",
                            hint: "each layer widens what the layer before saw by F - 1 (three 3 x 3 layers see 7 x 7)")
            }
        }
    }

    /// The receptive field measured: one bright pixel pushed through `layers` all-ones convolutions
    /// (padding keeps the size) lights up a square whose side is the receptive field.
    static func measuredReceptiveField(layers: Int, filterSize: Int) -> Int {
        let side = 2 * layers * (filterSize - 1) + 1
        var x = Tensor.zeros(1, 1, side, side)
        x[0, 0, side / 2, side / 2] = 1
        let ones = Tensor(shape: [1, 1, filterSize, filterSize], repeating: 1)
        for _ in 0 ..< layers {
            x = R.convolution(x, ones, Tensor.zeros(1), stride: 1, padding: (filterSize - 1) / 2)
        }
        return (0 ..< side).filter { x[0, 0, side / 2, $0] != 0 }.count
    }

    // MARK: the convolution, forward

    func test_convForwardNaive_blurExample() throws {
        // The lecture's 3 x 3 blur kernel over one patch of an image.
        let kernel = Tensor(shape: [1, 1, 3, 3], [1 / 16, 1 / 8, 1 / 16, 1 / 8, 1 / 4, 1 / 8, 1 / 16, 1 / 8, 1 / 16])
        let patch = Tensor(shape: [1, 1, 3, 3], [178, 174, 177, 179, 178, 179, 168, 171, 178])
        let (out, _) = try attempt { try convForwardNaive(patch, kernel, Tensor.zeros(1), stride: 1, padding: 0) }
        expectEqual(out.shape, [1, 1, 1, 1], "convForwardNaive", "the output shape of a 3 x 3 filter on a 3 x 3 patch")
        guard out.count == 1 else { return }
        expectClose(out.storage[0], 176.1875, tolerance: 1e-12, "convForwardNaive", "the blurred centre pixel",
                    hint: "the sum of kernel[di, dj] · patch[di, dj], with no flip")
        let (shifted, _) = try convForwardNaive(patch, kernel, Tensor(shape: [1], [-0.5]))
        expectClose(shifted.storage.first ?? .nan, 175.6875, tolerance: 1e-12, "convForwardNaive", "the same with bias -0.5",
                    hint: "add b[f] once per output entry")
    }

    func test_convForwardNaive_matchesDirectSums() throws {
        // Non-square images and filters, several channels, strides and paddings (the lecture's and more).
        let cases: [(x: [Int], w: [Int], stride: Int, padding: Int)] = [
            ([2, 3, 4, 4], [3, 3, 4, 4], 2, 1),
            ([2, 3, 5, 5], [4, 3, 3, 3], 1, 1),
            ([1, 2, 7, 7], [2, 2, 3, 3], 2, 0),
            ([2, 2, 5, 7], [3, 2, 3, 2], 1, 0),
            ([1, 1, 6, 6], [2, 1, 3, 3], 3, 0),
            ([1, 2, 4, 5], [2, 2, 2, 3], 2, 2),
        ]
        for (xShape, wShape, stride, padding) in cases {
            let x = R.linspace(-0.1, 0.5, xShape)
            let w = R.linspace(-0.2, 0.3, wShape)
            let b = R.linspace(-0.1, 0.2, [wShape[0]])
            let original = x
            let (out, _) = try attempt { try convForwardNaive(x, w, b, stride: stride, padding: padding) }
            let setting = "x \(x.shapeDescription), w \(w.shapeDescription), stride \(stride), padding \(padding)"
            expectTensor(out, R.convolution(x, w, b, stride: stride, padding: padding), tolerance: 1e-10, "convForwardNaive", setting,
                         hint: "row i · stride + di - padding of x, zero outside the image; the bias once per output entry")
            expectEqual(x, original, "convForwardNaive", "x after the forward pass (\(setting))",
                        hint: "the input must not be modified: pad a copy, or test the bounds")
        }
    }

    func test_convForwardNaive_oneByOneIsAnAffineAtEveryPixel() throws {
        let (n, c, h, w, f) = (2, 4, 3, 5, 6)
        let x = R.gaussian([n, c, h, w], seed: 601)
        let filters = R.gaussian([f, c, 1, 1], seed: 602)
        let b = R.gaussian([f], seed: 603)
        let (out, _) = try attempt { try convForwardNaive(x, filters, b) }
        expectEqual(out.shape, [n, f, h, w], "convForwardNaive", "the output shape of 1 x 1 filters")
        guard out.shape == [n, f, h, w] else { return }
        // Every pixel's depth column (C values) times the filters read as a (C, F) matrix, plus b.
        let weights = Matrix(reshaping: filters, rows: f, cols: c).transposed
        var worst = 0.0
        for image in 0 ..< n {
            for i in 0 ..< h {
                for j in 0 ..< w {
                    let column = Matrix(row: (0 ..< c).map { x[image, $0, i, j] })
                    let affine = matmul(column, weights) + Matrix(row: b.storage)
                    for filter in 0 ..< f { worst = max(worst, abs(out[image, filter, i, j] - affine[0, filter])) }
                }
            }
        }
        if !(worst < 1e-10) {
            fail("convForwardNaive", "1 x 1 filters: largest difference \(format(worst)) from the affine layer at each pixel (must be < 1e-10)",
                 hint: "a 1 x 1 filter is a dot product over the channels at one pixel, plus its bias")
        }
    }

    func test_convForwardNaive_impossibleGeometryIsAnError() throws {
        _ = try attempt { try convForwardNaive(Tensor.zeros(1, 1, 7, 7), Tensor.zeros(1, 1, 3, 3), Tensor.zeros(1), stride: 2) }
        XCTAssertThrowsError(try convForwardNaive(Tensor.zeros(1, 1, 7, 7), Tensor.zeros(1, 1, 3, 3), Tensor.zeros(1), stride: 3)) { error in
            expectEqual(error as? ConvolutionGeometryError, .notInteger(axis: "height", input: 7, filter: 3, padding: 0, stride: 3),
                        "convForwardNaive", "the error for the lecture's 7 x 7 input, 3 x 3 filter, stride 3",
                        hint: "keep the given check at the top: it throws with the formula and the numbers")
        }
        XCTAssertThrowsError(try convForwardNaive(Tensor.zeros(1, 2, 5, 5), Tensor.zeros(1, 3, 3, 3), Tensor.zeros(1))) { error in
            XCTAssertTrue(error is ConvolutionalNetworkError, "filters with 3 channels on images with 2: \(error)")
        }
    }

    // MARK: the convolution, backward

    func test_convBackwardNaive_stride1Pad1() throws {
        try checkConvolutionBackward(x: [2, 3, 5, 5], w: [4, 3, 3, 3], stride: 1, padding: 1, seed: 610)
    }

    func test_convBackwardNaive_stride2Pad1() throws {
        try checkConvolutionBackward(x: [2, 3, 5, 5], w: [2, 3, 3, 3], stride: 2, padding: 1, seed: 620)
        try checkConvolutionBackward(x: [1, 2, 6, 4], w: [3, 2, 2, 2], stride: 2, padding: 1, seed: 630)
    }

    private func checkConvolutionBackward(x xShape: [Int], w wShape: [Int], stride: Int, padding: Int, seed: UInt64) throws {
        let x = R.gaussian(xShape, seed: seed), w = R.gaussian(wShape, seed: seed + 1), b = R.gaussian([wShape[0]], seed: seed + 2)
        let reference = R.convolution(x, w, b, stride: stride, padding: padding)
        let dout = R.gaussian(reference.shape, seed: seed + 3)
        let (_, cache) = try attempt { try convForwardNaive(x, w, b, stride: stride, padding: padding) }
        let (dx, dw, db) = try attempt { try convBackwardNaive(dout, cache: cache) }
        let setting = "x \(x.shapeDescription), w \(w.shapeDescription), stride \(stride), padding \(padding)"
        let expected = [
            ("dx", dx, R.numericalGradient(of: { R.convolution($0, w, b, stride: stride, padding: padding) }, at: x, upstream: dout, step: 1e-3),
             "every input entry read by a window gets w times dout there, added over all the windows that read it"),
            ("dw", dw, R.numericalGradient(of: { R.convolution(x, $0, b, stride: stride, padding: padding) }, at: w, upstream: dout, step: 1e-3),
             "dw[f, c, di, dj] adds x at the window's entry times dout, over images and positions (zero in the padding)"),
            ("db", db, R.numericalGradient(of: { R.convolution(x, w, $0, stride: stride, padding: padding) }, at: b, upstream: dout, step: 1e-3),
             "db[f] is the sum of dout over images and positions"),
        ]
        for (name, actual, numerical, hint) in expected {
            guard actual.shape == numerical.shape else {
                fail("convBackwardNaive", "\(name) has shape \(actual.shapeDescription), expected \(numerical.shapeDescription) (\(setting))")
                continue
            }
            let error = R.relativeError(actual, numerical)
            if !(error < 1e-8) {
                fail("convBackwardNaive", "\(name) relative error \(format(error)) (must be < 1e-8) against the numerical gradient (\(setting))",
                     hint: hint)
            }
        }
        XCTAssertThrowsError(try convBackwardNaive(Tensor.zeros(1, 1, 1, 1), cache: cache), "an upstream gradient of the wrong shape")
    }

    // MARK: max pooling

    func test_maxPoolForwardNaive_matchesDirectMaxima() throws {
        let cases: [(x: [Int], ph: Int, pw: Int, stride: Int)] = [
            ([2, 3, 4, 4], 2, 2, 2), ([1, 2, 5, 5], 3, 3, 1), ([2, 1, 6, 5], 3, 2, 3), ([1, 2, 5, 7], 3, 3, 2),
        ]
        for (shape, ph, pw, stride) in cases {
            // linspace with a sign pattern, so that the maximum is not always the last entry of a window.
            let ramp = R.linspace(-0.3, 0.4, shape)
            let x = Tensor(shape: shape, ramp.storage.enumerated().map { $0.offset % 3 == 1 ? -$0.element : $0.element })
            let original = x
            let (out, _) = try attempt { try maxPoolForwardNaive(x, poolHeight: ph, poolWidth: pw, stride: stride) }
            let setting = "x \(x.shapeDescription), \(ph) x \(pw) windows, stride \(stride)"
            expectTensor(out, R.maxPool(x, poolHeight: ph, poolWidth: pw, stride: stride), tolerance: 0, "maxPoolForwardNaive", setting,
                         hint: "window (i, j) starts at row i · stride, column j · stride, and is poolHeight x poolWidth")
            expectEqual(x, original, "maxPoolForwardNaive", "x after the forward pass", hint: "the input must not be modified")
        }
        XCTAssertThrowsError(try maxPoolForwardNaive(Tensor.zeros(1, 1, 5, 5), poolHeight: 2, poolWidth: 2, stride: 2)) { error in
            expectEqual(error as? ConvolutionGeometryError, .notInteger(axis: "height", input: 5, filter: 2, padding: 0, stride: 2),
                        "maxPoolForwardNaive", "the error for 2 x 2 windows at stride 2 on a 5 x 5 input")
        }
    }

    func test_maxPoolBackwardNaive_2x2Stride2() throws {
        try checkPoolingBackward(x: [2, 3, 4, 4], pool: 2, stride: 2, seed: 640)
    }

    func test_maxPoolBackwardNaive_overlapping3x3Stride1() throws {
        try checkPoolingBackward(x: [2, 2, 5, 5], pool: 3, stride: 1, seed: 650)
    }

    private func checkPoolingBackward(x shape: [Int], pool: Int, stride: Int, seed: UInt64) throws {
        // A shuffled ramp: every entry differs from every other by at least 0.01, far more than h.
        var rng = SeededGenerator(seed: seed)
        let count = shape.reduce(1, *)
        let x = Tensor(shape: shape, rng.permutation(count).map { Double($0) * 0.01 - 0.5 })
        let dout = R.gaussian(R.maxPool(x, poolHeight: pool, poolWidth: pool, stride: stride).shape, seed: seed + 1)
        let (_, cache) = try attempt { try maxPoolForwardNaive(x, poolHeight: pool, poolWidth: pool, stride: stride) }
        let dx = try attempt { try maxPoolBackwardNaive(dout, cache: cache) }
        let numerical = R.numericalGradient(of: { R.maxPool($0, poolHeight: pool, poolWidth: pool, stride: stride) }, at: x, upstream: dout)
        guard dx.shape == numerical.shape else {
            fail("maxPoolBackwardNaive", "dx has shape \(dx.shapeDescription), expected \(numerical.shapeDescription)")
            return
        }
        let error = R.relativeError(dx, numerical)
        if !(error < 1e-8) {
            fail("maxPoolBackwardNaive", "dx relative error \(format(error)) (must be < 1e-8) against the numerical gradient "
                 + "(x \(x.shapeDescription), \(pool) x \(pool) windows, stride \(stride))",
                 hint: stride < pool ? "windows overlap: an entry that is the maximum of several windows gets the sum (+=, not =)"
                                     : "only the maximum of each window gets its dout; the others get 0")
        }
    }

    func test_maxPoolBackwardNaive_tiesGoToTheFirstMaximum() throws {
        // Four 2 x 2 windows: all equal; two equal maxima in one column; exact zeros; equal negative maxima.
        let x = Tensor(shape: [1, 1, 4, 4], [3, 3, 1, 5,
                                             3, 3, 2, 5,
                                             0, 0, -1, -2,
                                             0, 0, -1, -3])
        let dout = Tensor(shape: [1, 1, 2, 2], [10, 20, 30, 40])
        let (out, cache) = try attempt { try maxPoolForwardNaive(x, poolHeight: 2, poolWidth: 2, stride: 2) }
        expectEqual(out.storage, [3, 5, 0, -1], "maxPoolForwardNaive", "the maxima of windows with ties")
        let dx = try attempt { try maxPoolBackwardNaive(dout, cache: cache) }
        expectEqual(dx.storage, [10, 0, 0, 20,
                                 0, 0, 0, 0,
                                 30, 0, 40, 0,
                                 0, 0, 0, 0], "maxPoolBackwardNaive", "dx where windows tie (first maximum in row-major order)",
                    hint: "replace the winner only by a strictly larger entry, scanning rows top to bottom, columns left to right")
        // Overlapping 3 x 3 windows at stride 1 on a constant map: each window's first entry wins, and
        // a shared maximum collects the gradients of all the windows it wins.
        let flat = Tensor(shape: [1, 1, 4, 4], repeating: 7)
        let (_, flatCache) = try maxPoolForwardNaive(flat, poolHeight: 3, poolWidth: 3, stride: 1)
        let flatDx = try maxPoolBackwardNaive(Tensor(shape: [1, 1, 2, 2], [1, 2, 3, 4]), cache: flatCache)
        expectEqual(flatDx.storage, [1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "maxPoolBackwardNaive",
                    "dx of overlapping 3 x 3 windows on a constant map", hint: "a tie goes to the window's first entry")
        var peak = Tensor(shape: [1, 1, 4, 4], repeating: 0)
        peak[0, 0, 1, 2] = 9
        let (_, peakCache) = try maxPoolForwardNaive(peak, poolHeight: 3, poolWidth: 3, stride: 1)
        let peakDx = try maxPoolBackwardNaive(Tensor(shape: [1, 1, 2, 2], [1, 2, 3, 4]), cache: peakCache)
        expectClose(peakDx[0, 0, 1, 2], 10, tolerance: 0, "maxPoolBackwardNaive", "dx at a maximum shared by all four overlapping windows",
                    hint: "add (+=) the gradients of every window the entry wins")
    }

    // MARK: helpers

    /// Checks a tensor against a reference: the shape, then the largest difference.
    func expectTensor(_ actual: Tensor, _ expected: Tensor, tolerance: Double, _ exercise: String, _ what: String,
                      hint: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
        guard actual.shape == expected.shape else {
            fail(exercise, "\(what): the output has shape \(actual.shapeDescription), expected \(expected.shapeDescription)",
                 hint: hint, file: file, line: line)
            return
        }
        let difference = R.maxDifference(actual, expected)
        guard !(difference <= tolerance) else { return }
        var message = "\(what): largest difference \(format(difference)) from the direct computation (must be ≤ \(format(tolerance)))"
        if let index = actual.storage.indices.first(where: { !(abs(actual.storage[$0] - expected.storage[$0]) <= tolerance) }) {
            var position: [Int] = []
            var rest = index
            for size in actual.shape.reversed() { position.insert(rest % size, at: 0); rest /= size }
            message += "; first at \(position): \(format(actual.storage[index])) instead of \(format(expected.storage[index]))"
        }
        fail(exercise, message, hint: hint, file: file, line: line)
    }
}
