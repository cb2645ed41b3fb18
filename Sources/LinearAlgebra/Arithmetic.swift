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
            fatalError("Matrix \(op): shapes \(a.shapeDescription) and \(b.shapeDescription) do not broadcast")
        }
        return (r, c)
    }

    /// Combines two matrices entry by entry after broadcasting, into a new matrix written once
    /// (never a copy of an operand updated afterwards); `op` is inlined at each call site.
    @inlinable @inline(__always)
    static func combine(_ a: Matrix, _ b: Matrix, _ name: String, _ op: (Double, Double) -> Double) -> Matrix {
        let (r, c) = a.rows == b.rows && a.cols == b.cols ? (a.rows, a.cols) : broadcastShape(a, b, name)
        return Matrix(rows: r, cols: c) { out in
            a.buffer.withUnsafeBufferPointer { pa in
                b.buffer.withUnsafeBufferPointer { pb in
                    broadcast(pa, a.rows, a.cols, pb, b.rows, b.cols, into: out, r, c, op)
                }
            }
        }
    }

    @inlinable @inline(__always)
    static func combine(_ a: Matrix, _ s: Double, _ op: (Double, Double) -> Double) -> Matrix {
        Matrix(rows: a.rows, cols: a.cols) { out in
            a.buffer.withUnsafeBufferPointer { pa in
                inChunks(out.count) { range in
                    for i in range { out[i] = op(pa[i], s) }
                }
            }
        }
    }

    /// Updates `self` in place with a broadcast operand whose shape must not grow `self`.
    @inlinable @inline(__always)
    mutating func update(with b: Matrix, _ name: String, _ op: (Double, Double) -> Double) {
        let (r, c) = Matrix.broadcastShape(self, b, name)
        require(r == rows && c == cols,
                     "Matrix \(name): cannot update shape \(shapeDescription) in place with \(b.shapeDescription)")
        let (rows, cols) = (self.rows, self.cols)
        b.buffer.withUnsafeBufferPointer { pb in
            buffer.withUnsafeMutableBufferPointer { out in
                Matrix.broadcast(UnsafeBufferPointer(out), rows, cols, pb, b.rows, b.cols, into: out, rows, cols, op)
            }
        }
    }

    /// Updates every entry of `self` in place with a scalar operand.
    @inlinable @inline(__always)
    mutating func update(with s: Double, _ op: (Double, Double) -> Double) {
        buffer.withUnsafeMutableBufferPointer { out in
            inChunks(out.count) { range in
                for i in range { out[i] = op(out[i], s) }
            }
        }
    }

    /// out (r, c) = op(a, b) with a (ar, ac) and b (br, bc) broadcast to (r, c). The shapes are already
    /// checked. Each case has an inner loop over contiguous entries that the compiler vectorises, and
    /// large results are cut into bands of rows for several threads (`inChunks`).
    /// `a` may be `out` itself (in-place updates read each entry before writing it).
    @inlinable @inline(__always)
    static func broadcast(_ a: UnsafeBufferPointer<Double>, _ ar: Int, _ ac: Int,
                          _ b: UnsafeBufferPointer<Double>, _ br: Int, _ bc: Int,
                          into out: UnsafeMutableBufferPointer<Double>, _ r: Int, _ c: Int,
                          _ op: (Double, Double) -> Double) {
        guard r > 0 && c > 0, let pa = a.baseAddress, let pb = b.baseAddress, let po = out.baseAddress else { return }
        if ar == br && ac == bc {
            inChunks(r * c) { range in
                for i in range { po[i] = op(pa[i], pb[i]) }
            }
            return
        }
        // Row strides are 0 for a broadcast row vector; a column vector (one entry per row) is read as a scalar.
        let (aStep, bStep) = (ar == 1 ? 0 : ac, br == 1 ? 0 : bc)
        inChunks(r, entriesEach: c) { rows in
            for i in rows {
                let x = pa + i * aStep, y = pb + i * bStep, o = po + i * c
                switch (ac == c, bc == c) {
                case (true, true): for j in 0 ..< c { o[j] = op(x[j], y[j]) }
                case (true, false): let t = y[0]; for j in 0 ..< c { o[j] = op(x[j], t) }
                case (false, true): let s = x[0]; for j in 0 ..< c { o[j] = op(s, y[j]) }
                case (false, false): let v = op(x[0], y[0]); for j in 0 ..< c { o[j] = v }
                }
            }
        }
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
    @inlinable public static func += (a: inout Matrix, s: Double) { a.update(with: s) { $0 + $1 } }
    @inlinable public static func -= (a: inout Matrix, s: Double) { a.update(with: s) { $0 - $1 } }
    @inlinable public static func *= (a: inout Matrix, s: Double) { a.update(with: s) { $0 * $1 } }
    @inlinable public static func /= (a: inout Matrix, s: Double) { a.update(with: s) { $0 / $1 } }
}

// MARK: - Elementwise functions

extension Matrix {
    /// Entrywise `max(x, floor)`; `maximum(0)` is ReLU and clamps tiny negative squared distances.
    @inlinable public func maximum(_ floor: Double) -> Matrix { Matrix.combine(self, floor) { Swift.max($0, $1) } }
    /// Entrywise `min(x, ceiling)`.
    @inlinable public func minimum(_ ceiling: Double) -> Matrix { Matrix.combine(self, ceiling) { Swift.min($0, $1) } }
    /// Entrywise absolute value.
    @inlinable public var magnitude: Matrix { applying { Swift.abs($0) } }
    /// Entrywise square.
    @inlinable public var squared: Matrix { applying { $0 * $0 } }
    /// Entrywise square root.
    @inlinable public var squareRoot: Matrix { applying { $0.squareRoot() } }

    /// `transform` applied to every entry, written once into a new matrix (the non-throwing `map`).
    @inlinable @inline(__always)
    func applying(_ transform: (Double) -> Double) -> Matrix {
        Matrix(rows: rows, cols: cols) { out in
            buffer.withUnsafeBufferPointer { p in
                inChunks(out.count) { range in
                    for i in range { out[i] = transform(p[i]) }
                }
            }
        }
    }
}

/// Entrywise e^x.
public func exp(_ m: Matrix) -> Matrix { m.applying { Foundation.exp($0) } }
/// Entrywise natural logarithm.
public func log(_ m: Matrix) -> Matrix { m.applying { Foundation.log($0) } }
/// Entrywise square root.
public func sqrt(_ m: Matrix) -> Matrix { m.squareRoot }
/// Entrywise absolute value.
public func abs(_ m: Matrix) -> Matrix { m.magnitude }
