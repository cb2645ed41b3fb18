import Foundation

/// Elementwise arithmetic with NumPy's two-dimensional broadcasting rule.
///
/// Two shapes combine when, in each dimension, they are equal or one of them is 1: an (N, M) matrix
/// with an (N, M) matrix, a (1, M) row vector (added to every row), an (N, 1) column vector (added to
/// every column), or an (N, 1) with a (1, M) giving (N, M) (the "outer sum" the no-loop distance uses).
/// Any other pair traps, naming both shapes.

// MARK: - Operations as types

/// An entrywise operation on two doubles, named by a type rather than passed as a closure.
///
/// The loops below run on several threads for large matrices (`inChunks`), and the part of a loop
/// that another thread runs is compiled as a closure of its own. A closure operation captured there
/// stays an indirect call per entry, which also stops the loop from vectorising: measured here, an
/// in-place `m *= s` on 25 million entries took 6.4 ms on one thread and 18 ms on two. A type
/// parameter is specialised into every copy of the loop, so two threads take no longer than one even
/// when memory is the limit, and half the time when arithmetic is (square roots, exponentials).
@usableFromInline protocol BinaryOperation {
    static func apply(_ x: Double, _ y: Double) -> Double
}

/// An entrywise function of one double, named by a type (see ``BinaryOperation``).
@usableFromInline protocol UnaryOperation {
    static func apply(_ x: Double) -> Double
}

@usableFromInline enum Addition: BinaryOperation {
    @inlinable @inline(__always) static func apply(_ x: Double, _ y: Double) -> Double { x + y }
}
@usableFromInline enum Subtraction: BinaryOperation {
    @inlinable @inline(__always) static func apply(_ x: Double, _ y: Double) -> Double { x - y }
}
@usableFromInline enum Multiplication: BinaryOperation {
    @inlinable @inline(__always) static func apply(_ x: Double, _ y: Double) -> Double { x * y }
}
@usableFromInline enum Division: BinaryOperation {
    @inlinable @inline(__always) static func apply(_ x: Double, _ y: Double) -> Double { x / y }
}
@usableFromInline enum Maximum: BinaryOperation {
    @inlinable @inline(__always) static func apply(_ x: Double, _ y: Double) -> Double { Swift.max(x, y) }
}
@usableFromInline enum Minimum: BinaryOperation {
    @inlinable @inline(__always) static func apply(_ x: Double, _ y: Double) -> Double { Swift.min(x, y) }
}

@usableFromInline enum Magnitude: UnaryOperation {
    @inlinable @inline(__always) static func apply(_ x: Double) -> Double { Swift.abs(x) }
}
@usableFromInline enum Square: UnaryOperation {
    @inlinable @inline(__always) static func apply(_ x: Double) -> Double { x * x }
}
@usableFromInline enum SquareRoot: UnaryOperation {
    @inlinable @inline(__always) static func apply(_ x: Double) -> Double { x.squareRoot() }
}
@usableFromInline enum Exponential: UnaryOperation {
    @inlinable @inline(__always) static func apply(_ x: Double) -> Double { Foundation.exp(x) }
}
@usableFromInline enum Logarithm: UnaryOperation {
    @inlinable @inline(__always) static func apply(_ x: Double) -> Double { Foundation.log(x) }
}

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
    /// (never a copy of an operand updated afterwards).
    @inlinable @inline(__always)
    static func combine<Op: BinaryOperation>(_ a: Matrix, _ b: Matrix, _ name: String, _ op: Op.Type) -> Matrix {
        let (r, c) = a.rows == b.rows && a.cols == b.cols ? (a.rows, a.cols) : broadcastShape(a, b, name)
        return Matrix(rows: r, cols: c) { out in
            a.buffer.withUnsafeBufferPointer { pa in
                b.buffer.withUnsafeBufferPointer { pb in
                    broadcast(pa, a.rows, a.cols, pb, b.rows, b.cols, into: out, r, c, op)
                }
            }
        }
    }

    /// `op(a[i, j], s)` for every entry, or `op(s, a[i, j])` when `scalarFirst`, into a new matrix.
    @inlinable @inline(__always)
    static func combine<Op: BinaryOperation>(_ a: Matrix, _ s: Double, _ op: Op.Type, scalarFirst: Bool = false) -> Matrix {
        Matrix(rows: a.rows, cols: a.cols) { out in
            a.buffer.withUnsafeBufferPointer { pa in
                guard let x = pa.baseAddress, let o = out.baseAddress else { return }
                inChunks(out.count) { range in
                    if scalarFirst {
                        for i in range { o[i] = Op.apply(s, x[i]) }
                    } else {
                        for i in range { o[i] = Op.apply(x[i], s) }
                    }
                }
            }
        }
    }

    /// Updates `self` in place with a broadcast operand whose shape must not grow `self`.
    @inlinable @inline(__always)
    mutating func update<Op: BinaryOperation>(with b: Matrix, _ name: String, _ op: Op.Type) {
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
    mutating func update<Op: BinaryOperation>(with s: Double, _ op: Op.Type) {
        buffer.withUnsafeMutableBufferPointer { out in
            guard let o = out.baseAddress else { return }
            inChunks(out.count) { range in
                for i in range { o[i] = Op.apply(o[i], s) }
            }
        }
    }

    /// out (r, c) = op(a, b) with a (ar, ac) and b (br, bc) broadcast to (r, c). The shapes are already
    /// checked. Each case has an inner loop over contiguous entries that the compiler vectorises, and
    /// large results are cut into bands of rows for several threads (`inChunks`).
    /// `a` may be `out` itself (in-place updates read each entry before writing it).
    @inlinable @inline(__always)
    static func broadcast<Op: BinaryOperation>(_ a: UnsafeBufferPointer<Double>, _ ar: Int, _ ac: Int,
                          _ b: UnsafeBufferPointer<Double>, _ br: Int, _ bc: Int,
                          into out: UnsafeMutableBufferPointer<Double>, _ r: Int, _ c: Int,
                          _ op: Op.Type) {
        guard r > 0 && c > 0, let pa = a.baseAddress, let pb = b.baseAddress, let po = out.baseAddress else { return }
        if ar == br && ac == bc {
            inChunks(r * c) { range in
                for i in range { po[i] = Op.apply(pa[i], pb[i]) }
            }
            return
        }
        // Row strides are 0 for a broadcast row vector; a column vector (one entry per row) is read as a scalar.
        let (aStep, bStep) = (ar == 1 ? 0 : ac, br == 1 ? 0 : bc)
        inChunks(r, entriesEach: c) { rows in
            for i in rows {
                let x = pa + i * aStep, y = pb + i * bStep, o = po + i * c
                switch (ac == c, bc == c) {
                case (true, true): for j in 0 ..< c { o[j] = Op.apply(x[j], y[j]) }
                case (true, false): let t = y[0]; for j in 0 ..< c { o[j] = Op.apply(x[j], t) }
                case (false, true): let s = x[0]; for j in 0 ..< c { o[j] = Op.apply(s, y[j]) }
                case (false, false): let v = Op.apply(x[0], y[0]); for j in 0 ..< c { o[j] = v }
                }
            }
        }
    }
}

// MARK: - Operators

extension Matrix {
    @inlinable public static func + (a: Matrix, b: Matrix) -> Matrix { combine(a, b, "+", Addition.self) }
    @inlinable public static func - (a: Matrix, b: Matrix) -> Matrix { combine(a, b, "-", Subtraction.self) }
    /// Elementwise (Hadamard) product; the matrix product is ``matmul(_:_:transposeA:transposeB:)``.
    @inlinable public static func * (a: Matrix, b: Matrix) -> Matrix { combine(a, b, "*", Multiplication.self) }
    @inlinable public static func / (a: Matrix, b: Matrix) -> Matrix { combine(a, b, "/", Division.self) }

    @inlinable public static func + (a: Matrix, s: Double) -> Matrix { combine(a, s, Addition.self) }
    @inlinable public static func - (a: Matrix, s: Double) -> Matrix { combine(a, s, Subtraction.self) }
    @inlinable public static func * (a: Matrix, s: Double) -> Matrix { combine(a, s, Multiplication.self) }
    @inlinable public static func / (a: Matrix, s: Double) -> Matrix { combine(a, s, Division.self) }
    @inlinable public static func + (s: Double, a: Matrix) -> Matrix { combine(a, s, Addition.self, scalarFirst: true) }
    @inlinable public static func - (s: Double, a: Matrix) -> Matrix { combine(a, s, Subtraction.self, scalarFirst: true) }
    @inlinable public static func * (s: Double, a: Matrix) -> Matrix { combine(a, s, Multiplication.self, scalarFirst: true) }
    @inlinable public static func / (s: Double, a: Matrix) -> Matrix { combine(a, s, Division.self, scalarFirst: true) }

    @inlinable public static prefix func - (a: Matrix) -> Matrix { combine(a, -1, Multiplication.self) }

    @inlinable public static func += (a: inout Matrix, b: Matrix) { a.update(with: b, "+=", Addition.self) }
    @inlinable public static func -= (a: inout Matrix, b: Matrix) { a.update(with: b, "-=", Subtraction.self) }
    @inlinable public static func *= (a: inout Matrix, b: Matrix) { a.update(with: b, "*=", Multiplication.self) }
    @inlinable public static func /= (a: inout Matrix, b: Matrix) { a.update(with: b, "/=", Division.self) }
    @inlinable public static func += (a: inout Matrix, s: Double) { a.update(with: s, Addition.self) }
    @inlinable public static func -= (a: inout Matrix, s: Double) { a.update(with: s, Subtraction.self) }
    @inlinable public static func *= (a: inout Matrix, s: Double) { a.update(with: s, Multiplication.self) }
    @inlinable public static func /= (a: inout Matrix, s: Double) { a.update(with: s, Division.self) }
}

// MARK: - Elementwise functions

extension Matrix {
    /// Entrywise `max(x, floor)`; `maximum(0)` is ReLU and clamps tiny negative squared distances.
    @inlinable public func maximum(_ floor: Double) -> Matrix { Matrix.combine(self, floor, Maximum.self) }
    /// Entrywise `min(x, ceiling)`.
    @inlinable public func minimum(_ ceiling: Double) -> Matrix { Matrix.combine(self, ceiling, Minimum.self) }
    /// Entrywise absolute value.
    @inlinable public var magnitude: Matrix { applying(Magnitude.self) }
    /// Entrywise square.
    @inlinable public var squared: Matrix { applying(Square.self) }
    /// Entrywise square root.
    @inlinable public var squareRoot: Matrix { applying(SquareRoot.self) }

    /// `Op` applied to every entry, written once into a new matrix.
    @inlinable @inline(__always)
    func applying<Op: UnaryOperation>(_ op: Op.Type) -> Matrix {
        Matrix(rows: rows, cols: cols) { out in
            buffer.withUnsafeBufferPointer { p in
                guard let x = p.baseAddress, let o = out.baseAddress else { return }
                inChunks(out.count) { range in
                    for i in range { o[i] = Op.apply(x[i]) }
                }
            }
        }
    }
}

/// Entrywise e^x.
public func exp(_ m: Matrix) -> Matrix { m.applying(Exponential.self) }
/// Entrywise natural logarithm.
public func log(_ m: Matrix) -> Matrix { m.applying(Logarithm.self) }
/// Entrywise square root.
public func sqrt(_ m: Matrix) -> Matrix { m.squareRoot }
/// Entrywise absolute value.
public func abs(_ m: Matrix) -> Matrix { m.magnitude }
