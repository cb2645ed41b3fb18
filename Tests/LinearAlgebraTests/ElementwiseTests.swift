import Foundation
import XCTest
@testable import LinearAlgebra

/// The fast elementwise and reduction paths against plain loops over `Matrix` subscripts, on shapes
/// that exercise every broadcast case and every vector-loop remainder (widths 1 to 19 cover the
/// 16-, 8- and 4-entry steps and their leftovers).
final class ElementwiseTests: XCTestCase {
    private let shapes = [(1, 1), (1, 7), (7, 1), (3, 4), (5, 16), (4, 17), (2, 19), (33, 9)]

    func testBroadcastArithmeticMatchesLoops() {
        var rng = SeededGenerator(seed: 21)
        for (r, c) in shapes {
            let a = Matrix.gaussian(r, c, using: &rng)
            // Every operand shape that broadcasts against (r, c), on either side.
            for (br, bc) in Set([[r, c], [1, c], [r, 1], [1, 1]]).map({ ($0[0], $0[1]) }) {
                let b = Matrix.uniform(br, bc, low: 0.5, high: 2, using: &rng)
                let context = "(\(r), \(c)) with (\(br), \(bc))"
                XCTAssertEqual(a + b, loop(a, b, +), "+ " + context)
                XCTAssertEqual(a - b, loop(a, b, -), "- " + context)
                XCTAssertEqual(a * b, loop(a, b, *), "* " + context)
                XCTAssertEqual(a / b, loop(a, b, /), "/ " + context)
                XCTAssertEqual(b - a, loop(b, a, -), "- reversed " + context)
                var c = a
                c -= b
                XCTAssertEqual(c, loop(a, b, -), "-= " + context)
                c = a
                c /= b
                XCTAssertEqual(c, loop(a, b, /), "/= " + context)
            }
        }
        // The outer broadcast (N, 1) with (1, M), as in ||a||^2 + ||b||^2.
        let column = Matrix.gaussian(6, 1, using: &rng), row = Matrix.gaussian(1, 11, using: &rng)
        XCTAssertEqual(column + row, loop(column, row, +))
        XCTAssertEqual(row - column, loop(row, column, -))
    }

    func testScalarArithmeticAndFunctionsMatchLoops() {
        var rng = SeededGenerator(seed: 22)
        for (r, c) in shapes {
            let a = Matrix.gaussian(r, c, using: &rng)
            XCTAssertEqual(a * 3, a.map { $0 * 3 })
            XCTAssertEqual(2 - a, a.map { 2 - $0 })
            XCTAssertEqual(1 / a, a.map { 1 / $0 })
            XCTAssertEqual(-a, a.map { -$0 })
            var b = a
            b += 1.5
            XCTAssertEqual(b, a.map { $0 + 1.5 })
            b *= 2
            XCTAssertEqual(b, a.map { ($0 + 1.5) * 2 })
            XCTAssertEqual(a.maximum(0), a.map { Swift.max($0, 0) }, "ReLU")
            XCTAssertEqual(a.minimum(0.25), a.map { Swift.min($0, 0.25) })
            XCTAssertEqual(a.magnitude, a.map { Swift.abs($0) })
            XCTAssertEqual(a.squared, a.map { $0 * $0 })
            XCTAssertEqual(exp(a), a.map { Foundation.exp($0) })
            XCTAssertEqual(log(a.magnitude), a.map { Foundation.log(Swift.abs($0)) })
            XCTAssertEqual(sqrt(a.magnitude), a.map { Swift.abs($0).squareRoot() })
        }
        XCTAssertTrue(Matrix([[.nan, -1]]).maximum(0)[0, 0].isNaN, "ReLU keeps NaN, as NumPy's maximum does")
    }

    /// Sums are compared with a relative tolerance (their order of addition differs from the loop's);
    /// maxima and minima exactly.
    func testReductionsMatchLoops() {
        var rng = SeededGenerator(seed: 23)
        for (r, c) in shapes + [(3, 1000), (1000, 3)] {
            let a = Matrix.gaussian(r, c, using: &rng)
            let tolerance = 1e-12 * Double(Swift.max(r, c))
            XCTAssertEqual(a.sum(), loopSum(a), accuracy: tolerance * a.magnitude.max() * Double(r * c))
            let rowSums = a.sum(axis: 1), columnSums = a.sum(axis: 0)
            XCTAssertEqual(rowSums.shapeDescription, "(\(r), 1)")
            XCTAssertEqual(columnSums.shapeDescription, "(1, \(c))")
            for i in 0 ..< r { XCTAssertEqual(rowSums[i, 0], loopSum(a.row(i)), accuracy: tolerance * Double(c)) }
            for j in 0 ..< c { XCTAssertEqual(columnSums[0, j], loopSum(a.column(j)), accuracy: tolerance * Double(r)) }
            XCTAssertEqual(a.max(axis: 1).storage, (0 ..< r).map { i in (0 ..< c).map { a[i, $0] }.max()! })
            XCTAssertEqual(a.min(axis: 1).storage, (0 ..< r).map { i in (0 ..< c).map { a[i, $0] }.min()! })
            XCTAssertEqual(a.max(axis: 0).storage, (0 ..< c).map { j in (0 ..< r).map { a[$0, j] }.max()! })
            XCTAssertEqual(a.min(axis: 0).storage, (0 ..< c).map { j in (0 ..< r).map { a[$0, j] }.min()! })
            XCTAssertEqual(a.max(), a.storage.max()!)
            XCTAssertEqual(a.min(), a.storage.min()!)
        }
    }

    /// A NaN anywhere in what is reduced makes the maximum or minimum NaN, wherever it sits in the
    /// vector loop (first lane, a later block, the scalar remainder).
    func testMaximaAndMinimaPropagateNaN() {
        for position in [0, 3, 7, 8, 13, 18] {
            var values = (0 ..< 19).map { Double($0) }
            values[position] = .nan
            let row = Matrix(row: values)
            XCTAssertTrue(row.max(axis: 1)[0, 0].isNaN, "max, NaN at \(position)")
            XCTAssertTrue(row.min(axis: 1)[0, 0].isNaN, "min, NaN at \(position)")
            XCTAssertTrue(row.max().isNaN && row.min().isNaN, "whole matrix, NaN at \(position)")
            XCTAssertTrue(Matrix(column: values).max(axis: 0)[0, 0].isNaN, "axis 0, NaN at \(position)")
        }
        XCTAssertEqual(Matrix(row: [-.infinity, -.infinity]).max(axis: 1)[0, 0], -.infinity)
    }

    func testEmptyShapes() {
        XCTAssertEqual(Matrix.zeros(3, 0).sum(axis: 1), Matrix.zeros(3, 1))
        XCTAssertEqual(Matrix.zeros(0, 4).sum(axis: 0), Matrix.zeros(1, 4))
        XCTAssertEqual(Matrix.zeros(0, 4).sum(axis: 1).shapeDescription, "(0, 1)")
        XCTAssertEqual(Matrix.zeros(0, 4).max(axis: 1).shapeDescription, "(0, 1)")
        XCTAssertEqual(Matrix.zeros(3, 0).max(axis: 0).shapeDescription, "(1, 0)")
        XCTAssertEqual(Matrix.zeros(0, 0).sum(), 0)
        XCTAssertEqual((Matrix.zeros(0, 3) + Matrix.ones(1, 3)).shapeDescription, "(0, 3)")
        XCTAssertEqual((Matrix.zeros(2, 0) * 2).shapeDescription, "(2, 0)")
    }

    /// Operations build new matrices and leave their operands alone, also when the operand's storage
    /// is shared with another matrix (copy-on-write happens before an in-place update, never after).
    func testOperandsAreNotModified() {
        let a = Matrix([[1, 2], [3, 4]])
        let shared = a
        var b = a
        b += Matrix(row: [10, 20])
        b *= 2
        _ = a + a
        _ = exp(a)
        XCTAssertEqual(a, Matrix([[1, 2], [3, 4]]))
        XCTAssertEqual(shared, a)
        XCTAssertEqual(b, Matrix([[22, 44], [26, 48]]))
    }

    /// Matrices of 4 MiB and more get their storage with the huge-page advice (Linux): the advice must
    /// change nothing but speed, whatever the buffer's alignment.
    func testLargeMatricesHoldTheirValues() {
        for count in [(1 << 19) - 1, 1 << 19, (1 << 19) + 3, 3 << 19] {
            let filled = Matrix(rows: 1, cols: count, repeating: 2.5)
            XCTAssertEqual(filled.sum(), 2.5 * Double(count))
            XCTAssertEqual(filled.min(), 2.5)
            XCTAssertEqual(filled.max(), 2.5)
            let doubled = filled + filled
            XCTAssertEqual(doubled.storage.first, 5)
            XCTAssertEqual(doubled.storage.last, 5)
            XCTAssertEqual(doubled.sum(), 5 * Double(count))
        }
        let product = matmul(Matrix.ones(1100, 3), Matrix.ones(3, 1000))
        XCTAssertEqual(product.min(), 3)
        XCTAssertEqual(product.max(), 3)
    }

    /// Results of two million entries and more are computed by two threads in bands: the same
    /// entries as on one thread, bit for bit, in every broadcast case and reduction along rows.
    func testThreadedElementwiseMatchesOneThread() {
        var rng = SeededGenerator(seed: 24)
        let a = Matrix.gaussian(1100, 2000, using: &rng)
        let row = Matrix.gaussian(1, 2000, using: &rng), column = Matrix.gaussian(1100, 1, using: &rng)
        func all() -> [Matrix] {
            var updated = a
            updated -= row
            updated *= 1.5
            return [a + a, a - row, column * a, column + row, a / 3, exp(a), a.maximum(0), updated,
                    a.sum(axis: 1), a.max(axis: 1), Matrix(rows: 1100, cols: 2000, repeating: 0.25),
                    2 - a, a.magnitude.squareRoot]
        }
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }
        Parallelism.threadCount = 1
        let one = all()
        Parallelism.threadCount = 2
        let two = all()
        for (index, (x, y)) in zip(one, two).enumerated() {
            XCTAssertEqual(x, y, "operation \(index): one and two threads differ")
        }
        XCTAssertEqual(one[3], loop(column, row, +), "the outer sum, threaded")
        XCTAssertEqual(two[11], a.map { 2 - $0 }, "scalar first: 2 - a, threaded")
    }

    // MARK: - Helpers

    /// op(a, b) entry by entry with NumPy broadcasting, by subscripts.
    private func loop(_ a: Matrix, _ b: Matrix, _ op: (Double, Double) -> Double) -> Matrix {
        let (r, c) = (Swift.max(a.rows, b.rows), Swift.max(a.cols, b.cols))
        var out = Matrix.zeros(r, c)
        for i in 0 ..< r {
            for j in 0 ..< c {
                out[i, j] = op(a[a.rows == 1 ? 0 : i, a.cols == 1 ? 0 : j], b[b.rows == 1 ? 0 : i, b.cols == 1 ? 0 : j])
            }
        }
        return out
    }

    private func loopSum(_ a: Matrix) -> Double {
        var total = 0.0
        for x in a.storage { total += x }
        return total
    }
}
