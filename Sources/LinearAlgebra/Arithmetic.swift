import Foundation

/// Elementwise arithmetic with NumPy's two-dimensional broadcasting rule.
///
/// Two shapes combine when, in each dimension, they are equal or one of them is 1: an (N, M) matrix
/// with an (N, M) matrix, a (1, M) row vector (added to every row), an (N, 1) column vector (added to
/// every column), or an (N, 1) with a (1, M) giving (N, M) (the "outer sum" the no-loop distance uses).
/// Any other pair traps, naming both shapes.

// MARK: - Broadcasting

extension Matrix {
    /// The shape two operands broadcast to, or a trap naming both shapes and the operator.
    @usableFromInline
    static func broadcastShape(_ a: Matrix, _ b: Matrix, _ op: String) -> (Int, Int) {
        func dim(_ x: Int, _ y: Int) -> Int? { x == y ? x : (x == 1 ? y : (y == 1 ? x : nil)) }
        guard let r = dim(a.rows, b.rows), let c = dim(a.cols, b.cols) else {
            preconditionFailure("Matrix \(op): shapes \(a.shapeDescription) and \(b.shapeDescription) do not broadcast")
        }
        return (r, c)
    }

    /// Combines two matrices entry by entry after broadcasting; `op` is inlined at each call site.
    @inlinable @inline(__always)
    static func combine(_ a: Matrix, _ b: Matrix, _ name: String, _ op: (Double, Double) -> Double) -> Matrix {
        if a.rows == b.rows && a.cols == b.cols {
            var out = a
            out.buffer.withUnsafeMutableBufferPointer { o in
                b.storage.withUnsafeBufferPointer { bb in
                    for i in 0 ..< o.count { o[i] = op(o[i], bb[i]) }
                }
            }
            return out
        }
        let (r, c) = broadcastShape(a, b, name)
        var out = Matrix(rows: r, cols: c)
        // Strides of 0 repeat a broadcast dimension.
        let (ars, acs) = (a.rows == 1 ? 0 : a.cols, a.cols == 1 ? 0 : 1)
        let (brs, bcs) = (b.rows == 1 ? 0 : b.cols, b.cols == 1 ? 0 : 1)
        a.storage.withUnsafeBufferPointer { aa in
            b.storage.withUnsafeBufferPointer { bb in
                out.buffer.withUnsafeMutableBufferPointer { o in
                    for i in 0 ..< r {
                        let ai = i * ars, bi = i * brs, oi = i * c
                        for j in 0 ..< c { o[oi + j] = op(aa[ai + j * acs], bb[bi + j * bcs]) }
                    }
                }
            }
        }
        return out
    }

    @inlinable @inline(__always)
    static func combine(_ a: Matrix, _ s: Double, _ op: (Double, Double) -> Double) -> Matrix {
        var out = a
        out.buffer.withUnsafeMutableBufferPointer { o in
            for i in 0 ..< o.count { o[i] = op(o[i], s) }
        }
        return out
    }

    /// Updates `self` in place with a broadcast operand whose shape must not grow `self`.
    @inlinable @inline(__always)
    mutating func update(with b: Matrix, _ name: String, _ op: (Double, Double) -> Double) {
        let (r, c) = Matrix.broadcastShape(self, b, name)
        precondition(r == rows && c == cols,
                     "Matrix \(name): cannot update shape \(shapeDescription) in place with \(b.shapeDescription)")
        self = Matrix.combine(self, b, name, op)
    }
}

// MARK: - Operators

extension Matrix {
    @inlinable public static func + (a: Matrix, b: Matrix) -> Matrix { combine(a, b, "+") { $0 + $1 } }
    @inlinable public static func - (a: Matrix, b: Matrix) -> Matrix { combine(a, b, "-") { $0 - $1 } }
    /// Elementwise (Hadamard) product; the matrix product is ``matmul(_:_:transposeA:transposeB:)``.
    @inlinable public static func * (a: Matrix, b: Matrix) -> Matrix { combine(a, b, "*") { $0 * $1 } }
    @inlinable public static func / (a: Matrix, b: Matrix) -> Matrix { combine(a, b, "/") { $0 / $1 } }

    @inlinable public static func + (a: Matrix, s: Double) -> Matrix { combine(a, s) { $0 + $1 } }
    @inlinable public static func - (a: Matrix, s: Double) -> Matrix { combine(a, s) { $0 - $1 } }
    @inlinable public static func * (a: Matrix, s: Double) -> Matrix { combine(a, s) { $0 * $1 } }
    @inlinable public static func / (a: Matrix, s: Double) -> Matrix { combine(a, s) { $0 / $1 } }
    @inlinable public static func + (s: Double, a: Matrix) -> Matrix { combine(a, s) { $1 + $0 } }
    @inlinable public static func - (s: Double, a: Matrix) -> Matrix { combine(a, s) { $1 - $0 } }
    @inlinable public static func * (s: Double, a: Matrix) -> Matrix { combine(a, s) { $1 * $0 } }
    @inlinable public static func / (s: Double, a: Matrix) -> Matrix { combine(a, s) { $1 / $0 } }

    @inlinable public static prefix func - (a: Matrix) -> Matrix { combine(a, -1) { $0 * $1 } }

    @inlinable public static func += (a: inout Matrix, b: Matrix) { a.update(with: b, "+=") { $0 + $1 } }
    @inlinable public static func -= (a: inout Matrix, b: Matrix) { a.update(with: b, "-=") { $0 - $1 } }
    @inlinable public static func *= (a: inout Matrix, b: Matrix) { a.update(with: b, "*=") { $0 * $1 } }
    @inlinable public static func /= (a: inout Matrix, b: Matrix) { a.update(with: b, "/=") { $0 / $1 } }
    @inlinable public static func += (a: inout Matrix, s: Double) { a = combine(a, s) { $0 + $1 } }
    @inlinable public static func -= (a: inout Matrix, s: Double) { a = combine(a, s) { $0 - $1 } }
    @inlinable public static func *= (a: inout Matrix, s: Double) { a = combine(a, s) { $0 * $1 } }
    @inlinable public static func /= (a: inout Matrix, s: Double) { a = combine(a, s) { $0 / $1 } }
}

// MARK: - Elementwise functions

extension Matrix {
    /// Entrywise `max(x, floor)`; `maximum(0)` is ReLU and clamps tiny negative squared distances.
    @inlinable public func maximum(_ floor: Double) -> Matrix { Matrix.combine(self, floor) { Swift.max($0, $1) } }
    /// Entrywise `min(x, ceiling)`.
    @inlinable public func minimum(_ ceiling: Double) -> Matrix { Matrix.combine(self, ceiling) { Swift.min($0, $1) } }
    /// Entrywise absolute value.
    @inlinable public var magnitude: Matrix { map { Swift.abs($0) } }
    /// Entrywise square.
    @inlinable public var squared: Matrix { map { $0 * $0 } }
    /// Entrywise square root.
    @inlinable public var squareRoot: Matrix { map { $0.squareRoot() } }
}

/// Entrywise e^x.
public func exp(_ m: Matrix) -> Matrix { m.map { Foundation.exp($0) } }
/// Entrywise natural logarithm.
public func log(_ m: Matrix) -> Matrix { m.map { Foundation.log($0) } }
/// Entrywise square root.
public func sqrt(_ m: Matrix) -> Matrix { m.squareRoot }
/// Entrywise absolute value.
public func abs(_ m: Matrix) -> Matrix { m.magnitude }
