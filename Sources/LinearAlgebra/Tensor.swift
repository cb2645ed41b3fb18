import Foundation

/// A dense N-dimensional array of `Double`, stored row-major (the last index varies fastest).
///
/// Image batches are 4-D tensors of shape (N, C, H, W): N images, C channels, H rows and W columns,
/// the layout of the course's convolutional layers. Convolution filters are (F, C, HH, WW).
/// Everything that is not about the spatial layout happens on ``Matrix``:
/// `Matrix(reshaping: x, rows: n, cols: d)` reads an (N, C, H, W) batch as (N, C·H·W) and
/// `Tensor(reshaping: m, shape: [n, c, h, w])` goes back. Both share the stored entries with the
/// original (copy-on-write, as `Array` does), so a reshape copies nothing until one side is changed.
///
/// Shapes are checked; a mismatch traps with a message naming the shapes, e.g.
/// `Tensor: 10 values cannot fill shape (2, 3, 2)`. Element access is bounds-checked.
public struct Tensor: Equatable, Sendable {
    /// The size of each dimension, e.g. `[50, 3, 32, 32]`.
    public let shape: [Int]
    /// The entries in row-major order.
    public var storage: [Double] { buffer }
    /// The stored entries; internal so that the count always matches the shape.
    @usableFromInline var buffer: [Double]

    /// A tensor of the given shape with every entry equal to `value`.
    /// - Precondition: no dimension is negative.
    public init(shape: [Int], repeating value: Double = 0) {
        Tensor.checkShape(shape)
        self.shape = shape
        let count = shape.reduce(1, *)
        self.buffer = [Double](largeStorage: count) { $0.initialize(repeating: value) }
    }

    /// A tensor of the given shape from its entries in row-major order.
    /// - Precondition: `values.count` is the product of `shape`.
    public init(shape: [Int], _ values: [Double]) {
        Tensor.checkShape(shape)
        require(values.count == shape.reduce(1, *),
                "Tensor: \(values.count) values cannot fill shape \(Tensor.describe(shape))")
        self.shape = shape
        self.buffer = values
    }

    /// The entries of a matrix read as `shape` (same count, row-major order kept), without copying.
    /// - Precondition: the product of `shape` is `matrix.count`.
    public init(reshaping matrix: Matrix, shape: [Int]) {
        Tensor.checkShape(shape)
        require(matrix.count == shape.reduce(1, *),
                "Tensor(reshaping:): cannot read a matrix of shape \(matrix.shapeDescription) as \(Tensor.describe(shape))")
        self.shape = shape
        self.buffer = matrix.buffer
    }

    /// A tensor whose entries `fill` writes, all of them, into uninitialised storage.
    @inlinable
    init(shape: [Int], filling fill: (UnsafeMutableBufferPointer<Double>) -> Void) {
        self.shape = shape
        self.buffer = [Double](largeStorage: shape.reduce(1, *), fill)
    }

    /// A tensor of zeros, e.g. `Tensor.zeros(50, 3, 32, 32)`.
    public static func zeros(_ shape: Int...) -> Tensor { Tensor(shape: shape) }

    /// Independent normal entries, drawn in row-major order from `rng`.
    public static func gaussian(_ shape: [Int], mean: Double = 0, standardDeviation: Double = 1,
                                using rng: inout SeededGenerator) -> Tensor {
        checkShape(shape)
        return Tensor(shape: shape) { out in
            for i in 0 ..< out.count { out[i] = mean + standardDeviation * rng.gaussian() }
        }
    }

    /// Independent uniform entries in [low, high), drawn in row-major order from `rng`.
    public static func uniform(_ shape: [Int], low: Double = 0, high: Double = 1,
                               using rng: inout SeededGenerator) -> Tensor {
        checkShape(shape)
        return Tensor(shape: shape) { out in
            for i in 0 ..< out.count { out[i] = rng.uniform(low, high) }
        }
    }

    /// The number of dimensions (4 for an image batch).
    public var rank: Int { shape.count }

    /// The number of entries, the product of the shape.
    public var count: Int { buffer.count }

    /// The shape as the course writes it, e.g. `(50, 3, 32, 32)`.
    public var shapeDescription: String { Tensor.describe(shape) }

    /// The entry at one index per dimension, e.g. `x[n, c, i, j]`. Traps on a wrong number of
    /// indices or an index out of range, naming both.
    public subscript(indices: Int...) -> Double {
        get { buffer[offset(indices)] }
        set { buffer[offset(indices)] = newValue }
    }

    /// The same entries read as another shape with the same count, without copying.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor.checkShape(newShape)
        require(newShape.reduce(1, *) == count,
                "Tensor.reshaped: cannot read shape \(shapeDescription) as \(Tensor.describe(newShape))")
        return Tensor(shape: newShape, buffer)
    }

    /// The dimensions reordered: `x.permuted([0, 2, 3, 1])` turns (N, C, H, W) into (N, H, W, C), and
    /// entry `[n, h, w, c]` of the result is entry `[n, c, h, w]` of `x` (NumPy's `transpose(axes)`,
    /// but copied into row-major order). `axes` must hold each of `0 ..< rank` once.
    public func permuted(_ axes: [Int]) -> Tensor {
        require(axes.sorted() == Array(0 ..< rank),
                "Tensor.permuted: \(axes) is not an order of the \(rank) axes of shape \(shapeDescription)")
        let newShape = axes.map { shape[$0] }
        let strides = Tensor.strides(of: shape)
        let sourceStrides = axes.map { strides[$0] }
        guard count > 0, let last = newShape.indices.last else { return Tensor(shape: newShape, buffer) }
        let (inner, innerStride) = (newShape[last], sourceStrides[last])
        return Tensor(shape: newShape) { out in
            buffer.withUnsafeBufferPointer { src in
                guard let source = src.baseAddress, let destination = out.baseAddress else { return }
                // An odometer over every output index but the last; the last one is the inner loop.
                var index = [Int](repeating: 0, count: last)
                var base = 0
                for rowStart in stride(from: 0, to: out.count, by: inner) {
                    let o = destination + rowStart, s = source + base
                    if innerStride == 1 {
                        o.update(from: s, count: inner)
                    } else {
                        for j in 0 ..< inner { o[j] = s[j * innerStride] }
                    }
                    var axis = last - 1
                    while axis >= 0 {
                        index[axis] += 1
                        base += sourceStrides[axis]
                        if index[axis] < newShape[axis] { break }
                        base -= sourceStrides[axis] * newShape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
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

    // MARK: Helpers

    /// Row-major strides: the distance in `storage` between neighbours along each dimension.
    static func strides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in shape.indices.dropLast().reversed() { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        return strides
    }

    private func offset(_ indices: [Int]) -> Int {
        require(indices.count == rank,
                "Tensor: \(indices.count) indices for a tensor of shape \(shapeDescription)")
        var offset = 0
        for (axis, (index, size)) in zip(indices, shape).enumerated() {
            require(index >= 0 && index < size,
                    "Tensor: index \(indices) out of range for shape \(shapeDescription) (axis \(axis))")
            offset = offset * size + index
        }
        return offset
    }

    private static func checkShape(_ shape: [Int]) {
        require(shape.allSatisfy { $0 >= 0 }, "Tensor: negative shape \(describe(shape))")
    }

    static func describe(_ shape: [Int]) -> String {
        "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
    }
}

extension Matrix {
    /// The entries of a tensor read as a (rows, cols) matrix, without copying: an (N, C, H, W) batch
    /// as (N, C·H·W) for an affine layer, or (F, C, HH, WW) filters as (F, C·HH·WW).
    /// - Precondition: `rows * cols == tensor.count`.
    public init(reshaping tensor: Tensor, rows: Int, cols: Int) {
        require(rows >= 0 && cols >= 0 && rows * cols == tensor.count,
                "Matrix(reshaping:): cannot read a tensor of shape \(tensor.shapeDescription) as (\(rows), \(cols))")
        self.init(rows: rows, cols: cols, tensor.buffer)
    }
}

extension Tensor: CustomStringConvertible {
    /// The shape and, for up to 64 entries, the entries in row-major order.
    public var description: String {
        count <= 64 ? "Tensor\(shapeDescription) \(storage)" : "Tensor\(shapeDescription)"
    }
}
