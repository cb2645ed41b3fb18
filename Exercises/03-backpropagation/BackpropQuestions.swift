import GradientCheck

// Chapter 3: the inline questions. Answer each one by replacing `throw NotImplemented()` with `return`
// and your answer; `swift test` and `swift run grade` check it like any other exercise. They follow the
// lecture's "patterns in backward flow" example, f(x, y, z, w) = 2 (x y + max(z, w)) at x = 3, y = -4,
// z = 2, w = -1: the multiply by 2 sends the gradient 2 into the add gate.

public enum BackpropQuestions {
    /// Inline question 1: the add gate of f receives the gradient 2 from above. What gradients does it
    /// pass on to its two inputs, the product x y and the max(z, w)?
    public static func gradientsThroughAddGate() throws -> (toProduct: Double, toMax: Double) {
        // Your answer, e.g. `return (1, 1)`.
        throw NotImplemented()
    }

    /// Inline question 2: the max gate max(z, w) at z = 2, w = -1 receives the gradient 2. What are
    /// df/dz and df/dw?
    public static func gradientsThroughMaxGate() throws -> (dz: Double, dw: Double) {
        // Your answer, e.g. `return (1, 1)`.
        throw NotImplemented()
    }

    /// Inline question 3: the multiply gate x y at x = 3, y = -4 receives the gradient 2. What are
    /// df/dx and df/dy?
    public static func gradientsThroughMultiplyGate() throws -> (dx: Double, dy: Double) {
        // Your answer, e.g. `return (1, 1)`.
        throw NotImplemented()
    }

    /// Inline question 4: the local gradient dσ/dx of the sigmoid σ(x) = 1 / (1 + e^-x) at x = 0.
    public static func sigmoidLocalGradientAtZero() throws -> Double {
        // Your answer, e.g. `return 0.5`.
        throw NotImplemented()
    }

    /// Inline question 5: x feeds two gates in f(x) = x * x + x. What is df/dx at x = 3?
    public static func fanOutGradient() throws -> Double {
        // Your answer, e.g. `return 0.5`.
        throw NotImplemented()
    }
}
