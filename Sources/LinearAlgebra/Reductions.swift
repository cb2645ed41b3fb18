/// Reductions: over all entries, or along an axis with NumPy's numbering and `keepdims=True`.
///
/// `axis: 0` reduces down the rows and gives a row vector (1, cols): one value per column.
/// `axis: 1` reduces across the columns and gives a column vector (rows, 1): one value per row.
/// Any other axis traps. Reducing an empty axis traps for `max`, `min` and `argmax` (no value exists)
/// and gives 0 for `sum` (and NaN for `mean`, as 0 / 0).
///
/// Sums along a row, and over all entries, keep sixteen partial sums (four 4-lane vectors) that are
/// added at the end, so that they run at the speed of memory; like NumPy's pairwise summation, this
/// rounds differently from one running sum (and usually less). Maxima and minima are exact in any
/// order; a NaN entry makes its maximum or minimum NaN, as in NumPy.
extension Matrix {
    /// The sum of all entries.
    public func sum() -> Double {
        buffer.withUnsafeBufferPointer { p in p.baseAddress.map { laneSum($0, p.count) } ?? 0 }
    }

    /// The mean of all entries (NaN for an empty matrix).
    public func mean() -> Double { sum() / Double(count) }

    /// The largest entry (NaN if any entry is NaN). Traps on an empty matrix.
    public func max() -> Double {
        require(count > 0, "Matrix.max(): the matrix is empty")
        return buffer.withUnsafeBufferPointer { laneExtreme($0.baseAddress!, $0.count, largest: true) }
    }

    /// The smallest entry (NaN if any entry is NaN). Traps on an empty matrix.
    public func min() -> Double {
        require(count > 0, "Matrix.min(): the matrix is empty")
        return buffer.withUnsafeBufferPointer { laneExtreme($0.baseAddress!, $0.count, largest: false) }
    }

    /// Sums along `axis`: (1, cols) for axis 0, (rows, 1) for axis 1.
    public func sum(axis: Int) -> Matrix {
        checkAxis(axis, "sum")
        if count == 0 { return Matrix.zeros(axis == 0 ? 1 : rows, axis == 0 ? cols : 1) }
        if axis == 1 { return alongRows { laneSum($0, $1) } }
        return downColumns(initial: 0) { $0 + $1 }
    }

    /// Sums of squares along `axis`, the same as `squared.sum(axis:)` without the squared temporary:
    /// (rows, 1) squared row norms for axis 1 (a training set of 50,000 x 3,072 would need a 1.2 GB
    /// temporary), (1, cols) for axis 0.
    public func sumOfSquares(axis: Int) -> Matrix {
        checkAxis(axis, "sumOfSquares")
        if count == 0 { return Matrix.zeros(axis == 0 ? 1 : rows, axis == 0 ? cols : 1) }
        if axis == 1 { return alongRows { laneSumOfSquares($0, $1) } }
        return downColumns(initial: 0) { $0 + $1 * $1 }
    }

    /// Means along `axis`: (1, cols) for axis 0, (rows, 1) for axis 1.
    public func mean(axis: Int) -> Matrix {
        let n = Double(axis == 0 ? rows : cols)
        return sum(axis: axis) / n
    }

    /// Maxima along `axis`: (1, cols) for axis 0, (rows, 1) for axis 1. NaN where a NaN is reduced.
    public func max(axis: Int) -> Matrix {
        checkAxis(axis, "max")
        require(axis == 0 ? rows > 0 : cols > 0, "Matrix.max(axis: \(axis)): shape \(shapeDescription) has no entries along that axis")
        if axis == 1 { return alongRows { laneExtreme($0, $1, largest: true) } }
        return downColumns(initial: -.infinity) { greater($1, than: $0) ? $1 : $0 }
    }

    /// Minima along `axis`: (1, cols) for axis 0, (rows, 1) for axis 1. NaN where a NaN is reduced.
    public func min(axis: Int) -> Matrix {
        checkAxis(axis, "min")
        require(axis == 0 ? rows > 0 : cols > 0, "Matrix.min(axis: \(axis)): shape \(shapeDescription) has no entries along that axis")
        if axis == 1 { return alongRows { laneExtreme($0, $1, largest: false) } }
        return downColumns(initial: .infinity) { greater($0, than: $1) ? $1 : $0 }
    }

    /// Index of the largest entry along `axis` (the first one on ties): `cols` indices for axis 0,
    /// `rows` indices for axis 1. `argmax(axis: 1)` turns class scores (N, C) into predictions.
    public func argmax(axis: Int) -> [Int] {
        checkAxis(axis, "argmax")
        require(axis == 0 ? rows > 0 : cols > 0, "Matrix.argmax(axis: \(axis)): shape \(shapeDescription) has no entries along that axis")
        let (outer, inner) = axis == 1 ? (rows, cols) : (cols, rows)
        let (outerStride, innerStride) = axis == 1 ? (cols, 1) : (1, cols)
        return buffer.withUnsafeBufferPointer { p in
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

    // MARK: Helpers

    private func checkAxis(_ axis: Int, _ name: String) {
        require(axis == 0 || axis == 1, "Matrix.\(name): axis must be 0 or 1, not \(axis)")
    }

    /// (rows, 1): `reduce(row, cols)` for each row.
    @inline(__always)
    private func alongRows(_ reduce: (UnsafePointer<Double>, Int) -> Double) -> Matrix {
        let c = cols
        return Matrix(rows: rows, cols: 1) { out in
            buffer.withUnsafeBufferPointer { p in
                // No address means no entries: then there are no rows either (callers handle cols == 0).
                guard let base = p.baseAddress else { return }
                inChunks(out.count, entriesEach: c) { rows in
                    for i in rows { out[i] = reduce(base + i * c, c) }
                }
            }
        }
    }

    /// (1, cols): `combine` folded down each column from `initial`, row after row, so that the inner
    /// loop runs along a row and vectorises.
    @inline(__always)
    private func downColumns(initial: Double, _ combine: (Double, Double) -> Double) -> Matrix {
        let (r, c) = (rows, cols)
        var out = Matrix(rows: 1, cols: c, repeating: initial)
        buffer.withUnsafeBufferPointer { p in
            out.buffer.withUnsafeMutableBufferPointer { o in
                guard let base = p.baseAddress else { return }    // no entries: `initial` stays
                for i in 0 ..< r {
                    let row = base + i * c
                    for j in 0 ..< c { o[j] = combine(o[j], row[j]) }
                }
            }
        }
        return out
    }
}

/// Whether `x` should replace `y` as a maximum: x is larger, or x is NaN (NaN wins and stays).
@inline(__always)
private func greater(_ x: Double, than y: Double) -> Bool { x > y || x != x }

/// The sum of `count` doubles from `p`, added as ``Matrix/sum()`` adds a matrix's entries (sixteen
/// running sums, then those): for given code that sums a row of a buffer it holds.
public func laneSum(of p: UnsafePointer<Double>, count: Int) -> Double { count > 0 ? laneSum(p, count) : 0 }

/// The sum of `p[0 ..< n]` in sixteen partial sums.
@inline(__always)
private func laneSum(_ p: UnsafePointer<Double>, _ n: Int) -> Double {
    var s0 = Lane(), s1 = Lane(), s2 = Lane(), s3 = Lane()
    var i = 0
    while i + 16 <= n {
        s0 += loadLane(p + i); s1 += loadLane(p + i + 4); s2 += loadLane(p + i + 8); s3 += loadLane(p + i + 12)
        i += 16
    }
    while i + 4 <= n {
        s0 += loadLane(p + i)
        i += 4
    }
    var total = ((s0 + s1) + (s2 + s3)).sum()
    while i < n {
        total += p[i]
        i += 1
    }
    return total
}

/// The sum of the squares of `p[0 ..< n]`, with four vector accumulators like ``laneSum``.
@inline(__always)
private func laneSumOfSquares(_ p: UnsafePointer<Double>, _ n: Int) -> Double {
    var s0 = Lane(), s1 = Lane(), s2 = Lane(), s3 = Lane()
    var i = 0
    while i + 16 <= n {
        let (a, b, c, d) = (loadLane(p + i), loadLane(p + i + 4), loadLane(p + i + 8), loadLane(p + i + 12))
        s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d
        i += 16
    }
    while i + 4 <= n {
        let a = loadLane(p + i)
        s0 += a * a
        i += 4
    }
    var total = ((s0 + s1) + (s2 + s3)).sum()
    while i < n {
        total += p[i] * p[i]
        i += 1
    }
    return total
}

/// The largest (or smallest) of `p[0 ..< n]`, n > 0; NaN if any entry is NaN.
@inline(__always)
private func laneExtreme(_ p: UnsafePointer<Double>, _ n: Int, largest: Bool) -> Double {
    @inline(__always) func better(_ x: Double, _ y: Double) -> Bool { largest ? greater(x, than: y) : greater(-x, than: -y) }
    var best = p[0]
    var i = 0
    if n >= 8 {
        var m0 = loadLane(p), m1 = loadLane(p + 4)
        i = 8
        while i + 8 <= n {
            let x0 = loadLane(p + i), x1 = loadLane(p + i + 4)
            m0.replace(with: x0, where: largest ? (x0 .> m0) .| (x0 .!= x0) : (x0 .< m0) .| (x0 .!= x0))
            m1.replace(with: x1, where: largest ? (x1 .> m1) .| (x1 .!= x1) : (x1 .< m1) .| (x1 .!= x1))
            i += 8
        }
        m0.replace(with: m1, where: largest ? (m1 .> m0) .| (m1 .!= m1) : (m1 .< m0) .| (m1 .!= m1))
        best = m0[0]
        for k in 1 ..< 4 where better(m0[k], best) { best = m0[k] }
    }
    while i < n {
        if better(p[i], best) { best = p[i] }
        i += 1
    }
    return best
}

/// Four entries from `p` on, as one vector (defined here, beside its callers, so that debug builds,
/// compiled file by file, inline it).
@inline(__always)
private func loadLane(_ p: UnsafePointer<Double>) -> Lane { UnsafeRawPointer(p).loadUnaligned(as: Lane.self) }
