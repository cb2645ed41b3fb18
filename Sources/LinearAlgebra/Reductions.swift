/// Reductions: over all entries, or along an axis with NumPy's numbering and `keepdims=True`.
///
/// `axis: 0` reduces down the rows and gives a row vector (1, cols): one value per column.
/// `axis: 1` reduces across the columns and gives a column vector (rows, 1): one value per row.
/// Any other axis traps. Reducing an empty axis traps for `max`, `min` and `argmax` (no value exists)
/// and gives 0 for `sum` (and NaN for `mean`, as 0 / 0).
extension Matrix {
    /// The sum of all entries.
    public func sum() -> Double {
        storage.withUnsafeBufferPointer { p in
            var total = 0.0
            for x in p { total += x }
            return total
        }
    }

    /// The mean of all entries (NaN for an empty matrix).
    public func mean() -> Double { sum() / Double(count) }

    /// The largest entry. Traps on an empty matrix.
    public func max() -> Double {
        precondition(count > 0, "Matrix.max(): the matrix is empty")
        return storage.max()!
    }

    /// The smallest entry. Traps on an empty matrix.
    public func min() -> Double {
        precondition(count > 0, "Matrix.min(): the matrix is empty")
        return storage.min()!
    }

    /// Sums along `axis`: (1, cols) for axis 0, (rows, 1) for axis 1.
    public func sum(axis: Int) -> Matrix { reduce(axis: axis, name: "sum", initial: 0) { $0 + $1 } }

    /// Means along `axis`: (1, cols) for axis 0, (rows, 1) for axis 1.
    public func mean(axis: Int) -> Matrix {
        let n = Double(axis == 0 ? rows : cols)
        return sum(axis: axis) / n
    }

    /// Maxima along `axis`: (1, cols) for axis 0, (rows, 1) for axis 1.
    public func max(axis: Int) -> Matrix {
        precondition(axis == 0 ? rows > 0 : cols > 0, "Matrix.max(axis: \(axis)): shape \(shapeDescription) has no entries along that axis")
        return reduce(axis: axis, name: "max", initial: -.infinity) { Swift.max($0, $1) }
    }

    /// Minima along `axis`: (1, cols) for axis 0, (rows, 1) for axis 1.
    public func min(axis: Int) -> Matrix {
        precondition(axis == 0 ? rows > 0 : cols > 0, "Matrix.min(axis: \(axis)): shape \(shapeDescription) has no entries along that axis")
        return reduce(axis: axis, name: "min", initial: .infinity) { Swift.min($0, $1) }
    }

    /// Index of the largest entry along `axis` (the first one on ties): `cols` indices for axis 0,
    /// `rows` indices for axis 1. `argmax(axis: 1)` turns class scores (N, C) into predictions.
    public func argmax(axis: Int) -> [Int] {
        precondition(axis == 0 || axis == 1, "Matrix.argmax: axis must be 0 or 1, not \(axis)")
        precondition(axis == 0 ? rows > 0 : cols > 0, "Matrix.argmax(axis: \(axis)): shape \(shapeDescription) has no entries along that axis")
        let (outer, inner) = axis == 1 ? (rows, cols) : (cols, rows)
        let (outerStride, innerStride) = axis == 1 ? (cols, 1) : (1, cols)
        return storage.withUnsafeBufferPointer { p in
            (0 ..< outer).map { o in
                var best = 0
                var bestValue = p[o * outerStride]
                for i in 1 ..< Swift.max(inner, 1) where p[o * outerStride + i * innerStride] > bestValue {
                    best = i
                    bestValue = p[o * outerStride + i * innerStride]
                }
                return best
            }
        }
    }

    @inline(__always)
    private func reduce(axis: Int, name: String, initial: Double, _ op: (Double, Double) -> Double) -> Matrix {
        precondition(axis == 0 || axis == 1, "Matrix.\(name): axis must be 0 or 1, not \(axis)")
        let (r, c) = (rows, cols)
        if axis == 0 {
            var out = Matrix(rows: 1, cols: c, repeating: initial)
            storage.withUnsafeBufferPointer { p in
                out.buffer.withUnsafeMutableBufferPointer { o in
                    for i in 0 ..< r {
                        for j in 0 ..< c { o[j] = op(o[j], p[i * c + j]) }
                    }
                }
            }
            return out
        }
        var out = Matrix(rows: r, cols: 1, repeating: initial)
        storage.withUnsafeBufferPointer { p in
            out.buffer.withUnsafeMutableBufferPointer { o in
                for i in 0 ..< r {
                    var acc = initial
                    for j in 0 ..< c { acc = op(acc, p[i * c + j]) }
                    o[i] = acc
                }
            }
        }
        return out
    }
}
