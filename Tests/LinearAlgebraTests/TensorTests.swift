import Foundation
import XCTest
@testable import LinearAlgebra

/// `Tensor`: row-major indexing, reshapes to and from `Matrix`, and axis permutations against the
/// definition entry by entry.
final class TensorTests: XCTestCase {
    func testIndexingIsRowMajor() {
        var t = Tensor(shape: [2, 3, 4], (0 ..< 24).map(Double.init))
        XCTAssertEqual(t[0, 0, 0], 0)
        XCTAssertEqual(t[0, 1, 0], 4, "one step along axis 1 skips a row of 4")
        XCTAssertEqual(t[1, 0, 0], 12, "one step along axis 0 skips 3 x 4 entries")
        XCTAssertEqual(t[1, 2, 3], 23)
        t[1, 2, 3] = -1
        XCTAssertEqual(t.storage.last, -1)
        XCTAssertEqual(t.rank, 3)
        XCTAssertEqual(t.count, 24)
        XCTAssertEqual(t.shapeDescription, "(2, 3, 4)")
        XCTAssertEqual(Tensor.zeros(5).shapeDescription, "(5,)")
    }

    func testReshapesToAndFromMatrixKeepTheOrder() {
        let t = Tensor(shape: [2, 3, 2, 2], (0 ..< 24).map(Double.init))
        let m = Matrix(reshaping: t, rows: 2, cols: 12)      // (N, C·H·W)
        XCTAssertEqual(m[1, 0], 12)
        XCTAssertEqual(m[0, 11], 11)
        XCTAssertEqual(Tensor(reshaping: m, shape: [2, 3, 2, 2]), t)
        XCTAssertEqual(t.reshaped([6, 4])[5, 3], 23)
    }

    func testSeededDrawsRepeat() {
        var a = SeededGenerator(seed: 3), b = SeededGenerator(seed: 3)
        XCTAssertEqual(Tensor.gaussian([2, 3, 4, 5], using: &a), Tensor.gaussian([2, 3, 4, 5], using: &b))
        let u = Tensor.uniform([1000], low: 2, high: 3, using: &a)
        XCTAssertTrue(u.storage.allSatisfy { $0 >= 2 && $0 < 3 })
    }

    /// Every order of four axes, and a few shapes with ones and odd sizes, against the definition:
    /// entry `[i0, i1, i2, i3]` of `x.permuted(axes)` is the entry of `x` with index `i_k` on axis `axes[k]`.
    func testPermutedMatchesTheDefinition() {
        var rng = SeededGenerator(seed: 5)
        for shape in [[2, 3, 4, 5], [1, 3, 1, 7], [3, 1, 2, 1]] {
            let x = Tensor.gaussian(shape, using: &rng)
            for axes in permutations([0, 1, 2, 3]) {
                let y = x.permuted(axes)
                XCTAssertEqual(y.shape, axes.map { shape[$0] })
                for i0 in 0 ..< y.shape[0] {
                    for i1 in 0 ..< y.shape[1] {
                        for i2 in 0 ..< y.shape[2] {
                            for i3 in 0 ..< y.shape[3] {
                                var source = [0, 0, 0, 0]
                                for (k, index) in [i0, i1, i2, i3].enumerated() { source[axes[k]] = index }
                                guard y[i0, i1, i2, i3] == x[source[0], source[1], source[2], source[3]] else {
                                    return XCTFail("permuted(\(axes)) of \(x.shapeDescription) differs at [\(i0), \(i1), \(i2), \(i3)]")
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    func testPermutingBackGivesTheOriginal() {
        var rng = SeededGenerator(seed: 6)
        let x = Tensor.gaussian([4, 3, 5, 6], using: &rng)
        XCTAssertEqual(x.permuted([0, 2, 3, 1]).permuted([0, 3, 1, 2]), x, "NCHW to NHWC and back")
        XCTAssertEqual(x.permuted([0, 1, 2, 3]), x)
        XCTAssertEqual(Tensor(shape: [3, 4], (0 ..< 12).map(Double.init)).permuted([1, 0]),
                       Tensor(reshaping: Matrix(rows: 3, cols: 4, (0 ..< 12).map(Double.init)).transposed, shape: [4, 3]),
                       "a 2-D permutation is the transpose")
    }

    private func permutations(_ items: [Int]) -> [[Int]] {
        guard items.count > 1 else { return [items] }
        return items.flatMap { first in permutations(items.filter { $0 != first }).map { [first] + $0 } }
    }
}
