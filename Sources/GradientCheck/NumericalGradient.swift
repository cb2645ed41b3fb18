import LinearAlgebra

// Numerical gradients by centred differences, and the relative error used to compare them with the
// analytic gradients the exercises compute. Source: the lecture "Backpropagation" and the course notes
// on gradient checking (use the centred formula, compare with relative error, check a few coordinates).
//
// Everything is in Double. A centred difference has truncation error O(h^2) and rounding error about
// eps * |f| / h; with h = 1e-5 in Double (eps = 2.2e-16) both are near 1e-10 to 1e-11, so a correct
// gradient shows a relative error of 1e-7 or less. In Float (eps = 1.2e-7) the rounding term alone is
// about 1e-2 at h = 1e-5: the centred difference of x^2 at x = 1 is off by about 1e-3 relative with
// the best h, which is why gradient checks need Double.

/// The centred numerical gradient of a scalar function: entry i is (f(x + h e_i) - f(x - h e_i)) / 2h.
///
/// - Parameters:
///   - f: the function, e.g. a loss as a function of the weights.
///   - x: the point, any shape.
///   - step: h, 1e-5 by default.
/// - Returns: df/dx, the same shape as `x`.
/// - Cost: 2 * x.count evaluations of `f`; use ``sparseGradientCheck(of:at:analytic:samples:seed:step:)``
///   for large `x`.
public func numericalGradient(of f: (Matrix) throws -> Double, at x: Matrix, step: Double = 1e-5) rethrows -> Matrix {
    var point = x
    var gradient = Matrix.zeros(x.rows, x.cols)
    for i in 0 ..< x.count {
        gradient[flat: i] = try centredDifference(f, &point, i, step)
    }
    return gradient
}

/// The centred numerical gradient of an array-valued function, contracted with an upstream gradient:
/// entry i is sum over the outputs of (f(x + h e_i) - f(x - h e_i)) * upstream / 2h.
///
/// This is what a layer's backward pass must return for `x` when `upstream` is dL/d(output).
///
/// - Parameters:
///   - f: the function, e.g. a layer's forward pass as a function of its input.
///   - x: the point, any shape.
///   - upstream: dL/df, the shape of f(x).
///   - step: h, 1e-5 by default.
/// - Returns: dL/dx, the same shape as `x`.
/// - Precondition: f(x) has the shape of `upstream`; a mismatch traps naming both shapes.
public func numericalGradient(of f: (Matrix) throws -> Matrix, at x: Matrix, upstream: Matrix,
                              step: Double = 1e-5) rethrows -> Matrix {
    try numericalGradient(of: { point -> Double in
        let out = try f(point)
        require(out.rows == upstream.rows && out.cols == upstream.cols,
                     "numericalGradient: f(x) has shape \(out.shapeDescription) but upstream has \(upstream.shapeDescription)")
        return (out * upstream).sum()
    }, at: x, step: step)
}

/// The relative error max over entries of |a - b| / max(1e-8, |a| + |b|).
///
/// The 1e-8 floor makes two zero gradients a pass (0) rather than 0 / 0. A correct gradient checked
/// with centred differences in Double gives about 1e-7 or less; 1e-2 or more means a bug.
/// - Precondition: the shapes agree; a mismatch traps naming both shapes.
public func relativeError(_ a: Matrix, _ b: Matrix) -> Double {
    require(a.rows == b.rows && a.cols == b.cols,
                 "relativeError: shapes \(a.shapeDescription) and \(b.shapeDescription) differ")
    var worst = 0.0
    for i in 0 ..< a.count {
        worst = max(worst, relativeError(a[flat: i], b[flat: i]))
    }
    return worst
}

/// The relative error |a - b| / max(1e-8, |a| + |b|) of two numbers.
public func relativeError(_ a: Double, _ b: Double) -> Double {
    let error = abs(a - b) / max(1e-8, abs(a) + abs(b))
    return error.isNaN ? .infinity : error
}

/// One sampled coordinate of a sparse gradient check.
public struct GradientSample: Sendable, CustomStringConvertible {
    /// Row and column of the checked entry.
    public let row: Int, column: Int
    /// The centred difference and the analytic value at that entry.
    public let numerical: Double, analytic: Double
    /// Their relative error.
    public var relativeError: Double { GradientCheck.relativeError(numerical, analytic) }

    public var description: String {
        func show(_ x: Double) -> String { String(format: "%+.6e", x) }
        return "[\(row), \(column)]  numerical \(show(numerical))  analytic \(show(analytic))  relative error \(String(format: "%.2e", relativeError))"
    }
}

/// Checks an analytic gradient at a few random coordinates (the course's `grad_check_sparse`).
///
/// - Parameters:
///   - f: the scalar function, e.g. the loss as a function of W.
///   - x: the point, shape (R, C).
///   - analytic: the gradient to check, shape (R, C).
///   - samples: how many coordinates to check (drawn with replacement).
///   - seed: fixes which coordinates are drawn.
/// - Returns: one ``GradientSample`` per coordinate; print them, or take the largest relative error.
/// - Precondition: `analytic` has the shape of `x`.
public func sparseGradientCheck(of f: (Matrix) throws -> Double, at x: Matrix, analytic: Matrix,
                                samples: Int = 10, seed: UInt64 = 0, step: Double = 1e-5) rethrows -> [GradientSample] {
    require(analytic.rows == x.rows && analytic.cols == x.cols,
                 "sparseGradientCheck: analytic gradient \(analytic.shapeDescription) must have the shape of x \(x.shapeDescription)")
    var rng = SeededGenerator(seed: seed)
    var point = x
    return try (0 ..< samples).map { _ in
        let i = rng.integer(below: x.count)
        let numerical = try centredDifference(f, &point, i, step)
        return GradientSample(row: i / x.cols, column: i % x.cols, numerical: numerical, analytic: analytic[flat: i])
    }
}

/// (f(x + h e_i) - f(x - h e_i)) / 2h, restoring entry i of `point` afterwards.
private func centredDifference(_ f: (Matrix) throws -> Double, _ point: inout Matrix, _ i: Int, _ h: Double) rethrows -> Double {
    let original = point[flat: i]
    point[flat: i] = original + h
    let plus = try f(point)
    point[flat: i] = original - h
    let minus = try f(point)
    point[flat: i] = original
    return (plus - minus) / (2 * h)
}
