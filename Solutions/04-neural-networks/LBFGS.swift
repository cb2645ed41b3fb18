import Foundation
import LinearAlgebra
import GradientCheck

// Chapter 4: L-BFGS, a quasi-Newton method for problems whose full batch fits in memory.
//
// Newton's method steps by −H⁻¹ ∇f, with H the Hessian, which for a million parameters has 10¹² entries.
// BFGS builds an approximation of H⁻¹ from the gradients it has seen; L-BFGS ("limited memory") never
// forms it, and keeps only the last m pairs s = x_{k+1} − x_k, y = ∇f_{k+1} − ∇f_k, from which the
// "two-loop recursion" computes H⁻¹ ∇f in O(m · n). A backtracking line search with the Armijo
// (sufficient decrease) condition picks the step length. The lecture's advice: when a full batch fits,
// try L-BFGS (and disable all sources of noise); with minibatches it does not work as well.
// Sources: the lecture "Training Neural Networks II" (second-order optimization); Nocedal & Wright,
// "Numerical Optimization", 2nd ed. 2006, Algorithm 7.4 (two-loop recursion), 7.5 (L-BFGS) and 3.1
// (backtracking line search); Liu & Nocedal 1989.

/// Minimises a smooth function of a matrix with L-BFGS and an Armijo backtracking line search.
///
/// Each iteration: the search direction d = −H ∇f from the two-loop recursion over the last `memory`
/// pairs (s, y), with the initial H = (sᵀy / yᵀy) I from the newest pair (on the first iteration, and
/// whenever the history is empty, H = I / ‖∇f‖, a step of length 1 along −∇f); then step lengths
/// t = 1, ½, ¼, … until f(x + t d) <= f(x) + 10⁻⁴ t ∇fᵀd (Armijo), at most 50 halvings. A pair is
/// kept only when sᵀy > 10⁻¹⁰ (the curvature that keeps H positive definite); the oldest pair is
/// dropped when there are more than `memory`. A direction that is not a descent direction is replaced
/// by −∇f after clearing the history.
///
/// - Parameters:
///   - initial: x₀, any shape.
///   - iterations: the number of iterations, at least 0.
///   - memory: m, the number of (s, y) pairs kept, at least 1; 10 by default (3 to 20 are usual).
///   - f: the full-batch objective: its value and gradient (the shape of x) at x.
/// - Returns: the last point and the losses: f(x₀) first, then f after each iteration, so
///   `losses.count` is `iterations + 1` unless it stopped early, when the gradient is exactly 0 or the
///   line search found no decrease in 50 halvings.
/// - Throws: ``NeuralNetworkError/invalidSetting(name:value:requirement:)`` for iterations < 0,
///   memory < 1 or a non-finite f(x₀); ``NeuralNetworkError/shapeMismatch(operation:expected:actual:)``
///   when a gradient does not have the shape of x; and whatever `f` throws.
public func lbfgs(initial: Matrix, iterations: Int, memory: Int = 10,
                  _ f: (Matrix) throws -> (loss: Double, gradient: Matrix)) throws -> (x: Matrix, losses: [Double]) {
    guard iterations >= 0 else {
        throw NeuralNetworkError.invalidSetting(name: "iterations", value: "\(iterations)", requirement: "at least 0")
    }
    guard memory >= 1 else {
        throw NeuralNetworkError.invalidSetting(name: "memory", value: "\(memory)", requirement: "at least 1")
    }
    // Evaluates f and checks the gradient's shape.
    func evaluate(_ x: Matrix) throws -> (loss: Double, gradient: Matrix) {
        let (loss, gradient) = try f(x)
        guard gradient.rows == x.rows && gradient.cols == x.cols else {
            throw NeuralNetworkError.shapeMismatch(operation: "lbfgs", expected: "a gradient of the shape of x \(x.shapeDescription)",
                                                   actual: gradient.shapeDescription)
        }
        return (loss, gradient)
    }
    func dot(_ a: Matrix, _ b: Matrix) -> Double { (a * b).sum() }
    var x = initial
    var (loss, g) = try evaluate(x)
    guard loss.isFinite else {
        throw NeuralNetworkError.invalidSetting(name: "f(initial)", value: "\(loss)", requirement: "finite")
    }
    var losses = [loss]
    var pairs: [(s: Matrix, y: Matrix, rho: Double)] = []
    for _ in 0 ..< iterations {
        let gradientNorm = dot(g, g).squareRoot()
        guard gradientNorm > 0 else { break }

        // Two-loop recursion: r = H g.
        var q = g
        var alphas = [Double](repeating: 0, count: pairs.count)
        for i in pairs.indices.reversed() {
            alphas[i] = pairs[i].rho * dot(pairs[i].s, q)
            q -= alphas[i] * pairs[i].y
        }
        let gamma = pairs.last.map { dot($0.s, $0.y) / dot($0.y, $0.y) } ?? 1 / gradientNorm
        var r = gamma * q
        for i in pairs.indices {
            let beta = pairs[i].rho * dot(pairs[i].y, r)
            r += (alphas[i] - beta) * pairs[i].s
        }
        var direction = -r
        var slope = dot(g, direction)
        if !(slope < 0) {
            pairs.removeAll()
            direction = -g / gradientNorm
            slope = -gradientNorm
        }

        // Backtracking line search with the Armijo condition.
        var step = 1.0
        var accepted: (x: Matrix, loss: Double, gradient: Matrix)?
        for _ in 0 ..< 50 {
            let candidate = x + step * direction
            let (candidateLoss, candidateGradient) = try evaluate(candidate)
            if candidateLoss <= loss + 1e-4 * step * slope {
                accepted = (candidate, candidateLoss, candidateGradient)
                break
            }
            step /= 2
        }
        guard let (newX, newLoss, newG) = accepted else { break }

        let s = newX - x, y = newG - g
        let sy = dot(s, y)
        if sy > 1e-10 {
            pairs.append((s, y, 1 / sy))
            if pairs.count > memory { pairs.removeFirst() }
        }
        (x, loss, g) = (newX, newLoss, newG)
        losses.append(loss)
    }
    return (x, losses)
}
