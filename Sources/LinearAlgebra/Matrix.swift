import Foundation

/// A dense two-dimensional array of `Double`, stored row-major.
///
/// `Matrix` is the one numeric type of the workbook: a batch of N images flattened to D features is an
/// (N, D) matrix, a weight matrix is (D, C), a row vector is (1, M) and a column vector is (N, 1).
/// It is a value type with copy-on-write storage, like `Array`.
///
/// Every operation checks shapes and traps on a mismatch with a message that names both shapes,
/// e.g. `Matrix +: shapes (3, 4) and (4, 3) do not broadcast`. Element access is bounds-checked.
public struct Matrix: Equatable, Sendable {
    /// Number of rows (the batch dimension N for data matrices).
    public let rows: Int
    /// Number of columns (the feature dimension D for data matrices).
    public let cols: Int
    /// The entries, row after row: entry (i, j) is `storage[i * cols + j]`.
    public var storage: [Double] { buffer }
    /// The stored entries; internal so that the count always matches the shape.
    @usableFromInline var buffer: [Double]

    /// A matrix of the given shape with every entry equal to `value`.
    /// - Precondition: `rows >= 0` and `cols >= 0`.
    public init(rows: Int, cols: Int, repeating value: Double = 0) {
        require(rows >= 0 && cols >= 0, "Matrix: negative shape (\(rows), \(cols))")
        self.rows = rows
        self.cols = cols
        self.buffer = [Double](largeStorage: rows * cols) { storage in
            inChunks(storage.count) { range in
                UnsafeMutableBufferPointer(rebasing: storage[range]).initialize(repeating: value)
            }
        }
    }

    /// A matrix of the given shape from its entries in row-major order.
    /// - Precondition: `values.count == rows * cols`.
    public init(rows: Int, cols: Int, _ values: [Double]) {
        require(rows >= 0 && cols >= 0, "Matrix: negative shape (\(rows), \(cols))")
        require(values.count == rows * cols,
                     "Matrix: \(values.count) values cannot fill shape (\(rows), \(cols))")
        self.rows = rows
        self.cols = cols
        self.buffer = values
    }

    /// A matrix of the given shape whose entries `fill` writes, all of them, into uninitialised
    /// storage: one pass over memory instead of zeroing it first.
    @inlinable
    init(rows: Int, cols: Int, filling fill: (UnsafeMutableBufferPointer<Double>) -> Void) {
        self.rows = rows
        self.cols = cols
        self.buffer = [Double](largeStorage: rows * cols, fill)
    }

    /// A matrix from nested rows, e.g. `Matrix([[1, 2], [3, 4]])` is (2, 2).
    /// - Precondition: all rows have the same length.
    public init(_ nestedRows: [[Double]]) {
        let cols = nestedRows.first?.count ?? 0
        for (i, row) in nestedRows.enumerated() {
            require(row.count == cols, "Matrix: row \(i) has \(row.count) entries, row 0 has \(cols)")
        }
        self.init(rows: nestedRows.count, cols: cols, nestedRows.flatMap { $0 })
    }

    /// A row vector, shape (1, M).
    public init(row values: [Double]) { self.init(rows: 1, cols: values.count, values) }

    /// A column vector, shape (N, 1).
    public init(column values: [Double]) { self.init(rows: values.count, cols: 1, values) }

    /// A matrix of zeros, shape (rows, cols).
    public static func zeros(_ rows: Int, _ cols: Int) -> Matrix { Matrix(rows: rows, cols: cols) }

    /// A matrix of ones, shape (rows, cols).
    public static func ones(_ rows: Int, _ cols: Int) -> Matrix { Matrix(rows: rows, cols: cols, repeating: 1) }

    /// The identity matrix, shape (n, n).
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix.zeros(n, n)
        for i in 0..<n { m.buffer[i * n + i] = 1 }
        return m
    }

    /// `(rows, cols)`, as the field writes shapes.
    public var shape: (rows: Int, cols: Int) { (rows, cols) }

    /// Number of entries, `rows * cols`.
    public var count: Int { storage.count }

    /// The shape as text, e.g. `(500, 3072)`, for error messages.
    public var shapeDescription: String { "(\(rows), \(cols))" }

    /// Entry (i, j). Traps when out of bounds, naming the index and the shape.
    public subscript(i: Int, j: Int) -> Double {
        get {
            require(i >= 0 && i < rows && j >= 0 && j < cols,
                         "Matrix: index (\(i), \(j)) is outside shape \(shapeDescription)")
            return storage[i * cols + j]
        }
        set {
            require(i >= 0 && i < rows && j >= 0 && j < cols,
                         "Matrix: index (\(i), \(j)) is outside shape \(shapeDescription)")
            buffer[i * cols + j] = newValue
        }
    }

    /// Entry number `index` in row-major order (entry (i, j) is number i * cols + j).
    public subscript(flat index: Int) -> Double {
        get {
            require(index >= 0 && index < buffer.count, "Matrix: flat index \(index) is outside shape \(shapeDescription)")
            return buffer[index]
        }
        set {
            require(index >= 0 && index < buffer.count, "Matrix: flat index \(index) is outside shape \(shapeDescription)")
            buffer[index] = newValue
        }
    }

    /// Row i as a row vector, shape (1, cols).
    public func row(_ i: Int) -> Matrix {
        require(i >= 0 && i < rows, "Matrix: row \(i) is outside shape \(shapeDescription)")
        return Matrix(rows: 1, cols: cols, Array(storage[i * cols ..< (i + 1) * cols]))
    }

    /// Column j as a column vector, shape (rows, 1).
    public func column(_ j: Int) -> Matrix {
        require(j >= 0 && j < cols, "Matrix: column \(j) is outside shape \(shapeDescription)")
        return Matrix(rows: rows, cols: 1, (0..<rows).map { storage[$0 * cols + j] })
    }

    /// Row i as a row vector (1, cols); assigning a (1, cols) row vector replaces the row.
    public subscript(row i: Int) -> Matrix {
        get { row(i) }
        set {
            require(i >= 0 && i < rows, "Matrix: row \(i) is outside shape \(shapeDescription)")
            require(newValue.rows == 1 && newValue.cols == cols,
                         "Matrix: cannot assign shape \(newValue.shapeDescription) to a row of shape \(shapeDescription)")
            buffer.replaceSubrange(i * cols ..< (i + 1) * cols, with: newValue.storage)
        }
    }

    /// The entries of row i, without copying them into a new matrix.
    public func rowSlice(_ i: Int) -> ArraySlice<Double> {
        require(i >= 0 && i < rows, "Matrix: row \(i) is outside shape \(shapeDescription)")
        return storage[i * cols ..< (i + 1) * cols]
    }

    /// The rows at `indices`, in that order (repeats allowed): shape (indices.count, cols).
    /// Used for minibatches and cross-validation folds.
    public func rows(at indices: [Int]) -> Matrix {
        var out = Matrix(rows: indices.count, cols: cols)
        storage.withUnsafeBufferPointer { src in
            out.buffer.withUnsafeMutableBufferPointer { dst in
                for (r, i) in indices.enumerated() {
                    require(i >= 0 && i < rows, "Matrix.rows(at:): row \(i) is outside shape \(shapeDescription)")
                    let from = src.baseAddress! + i * cols
                    (dst.baseAddress! + r * cols).update(from: from, count: cols)
                }
            }
        }
        return out
    }

    /// Rows `range.lowerBound ..< range.upperBound`, shape (range.count, cols).
    public func rows(_ range: Range<Int>) -> Matrix {
        require(range.lowerBound >= 0 && range.upperBound <= rows,
                     "Matrix.rows(_:): rows \(range) are outside shape \(shapeDescription)")
        return Matrix(rows: range.count, cols: cols, Array(storage[range.lowerBound * cols ..< range.upperBound * cols]))
    }

    /// The rows of `parts` stacked on top of each other. All parts must have the same number of columns.
    public static func stacking(_ parts: [Matrix]) -> Matrix {
        guard let first = parts.first else { return Matrix.zeros(0, 0) }
        for p in parts {
            require(p.cols == first.cols, "Matrix.stacking: shapes \(first.shapeDescription) and \(p.shapeDescription) have different column counts")
        }
        var values: [Double] = []
        values.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for p in parts { values += p.storage }
        return Matrix(rows: parts.reduce(0) { $0 + $1.rows }, cols: first.cols, values)
    }

    /// The same entries read as another shape with the same count (row-major order is kept).
    public func reshaped(rows newRows: Int, cols newCols: Int) -> Matrix {
        require(newRows * newCols == count,
                     "Matrix.reshaped: cannot read shape \(shapeDescription) as (\(newRows), \(newCols))")
        return Matrix(rows: newRows, cols: newCols, storage)
    }

    /// The transpose, shape (cols, rows). Copies in cache-sized tiles.
    public var transposed: Matrix {
        var out = Matrix(rows: cols, cols: rows)
        let (r, c) = (rows, cols)
        let tile = 32
        storage.withUnsafeBufferPointer { src in
            out.buffer.withUnsafeMutableBufferPointer { dst in
                for i0 in stride(from: 0, to: r, by: tile) {
                    for j0 in stride(from: 0, to: c, by: tile) {
                        for i in i0 ..< Swift.min(i0 + tile, r) {
                            for j in j0 ..< Swift.min(j0 + tile, c) { dst[j * r + i] = src[i * c + j] }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Calls `body` with the entries, row-major, for fast read-only loops.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        try buffer.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the entries, row-major, for fast loops that write in place (the shape stays).
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Double>) throws -> R) rethrows -> R {
        try buffer.withUnsafeMutableBufferPointer(body)
    }

    /// Applies `transform` to every entry.
    @inlinable
    public func map(_ transform: (Double) throws -> Double) rethrows -> Matrix {
        Matrix(rows: rows, cols: cols, try storage.map(transform))
    }

    /// Nested rows, handy for printing small matrices in tests.
    public var nestedRows: [[Double]] {
        (0..<rows).map { Array(storage[$0 * cols ..< ($0 + 1) * cols]) }
    }
}

extension Matrix: CustomStringConvertible {
    /// Small matrices print in full; large ones print their shape and corners.
    public var description: String {
        func format(_ x: Double) -> String { String(format: "%.4g", x) }
        if rows <= 8 && cols <= 8 {
            let body = nestedRows.map { "[" + $0.map(format).joined(separator: ", ") + "]" }.joined(separator: ",\n ")
            return "Matrix\(shapeDescription) [\(body)]"
        }
        return "Matrix\(shapeDescription) first entries [\(storage.prefix(4).map(format).joined(separator: ", ")), ...]"
    }
}

