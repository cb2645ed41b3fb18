import Foundation

/// Seeded random numbers that are the same on every machine and every Swift version.
///
/// The generator is xoshiro256** (Blackman & Vigna, 2018), seeded through SplitMix64. Everything
/// derived from it (uniform doubles, Gaussians by Box–Muller, integers below a bound, permutations,
/// sampling) is computed here rather than by the standard library, whose algorithms may change
/// between releases: the same seed gives the same numbers everywhere.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)
    private var spareGaussian: Double?

    /// A generator whose whole stream is fixed by `seed`.
    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    /// A uniform double in [0, 1), with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A uniform double in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniform() }

    /// A standard normal draw (mean 0, standard deviation 1), by the Box–Muller transform.
    public mutating func gaussian() -> Double {
        if let spare = spareGaussian {
            spareGaussian = nil
            return spare
        }
        var u = 0.0
        repeat { u = uniform() } while u == 0
        let v = uniform()
        let radius = (-2 * Foundation.log(u)).squareRoot()
        spareGaussian = radius * Foundation.sin(2 * .pi * v)
        return radius * Foundation.cos(2 * .pi * v)
    }

    /// A uniform integer in 0 ..< bound, without modulo bias (Lemire's method).
    /// - Precondition: `bound > 0`.
    public mutating func integer(below bound: Int) -> Int {
        require(bound > 0, "SeededGenerator.integer(below:): bound must be positive, not \(bound)")
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold { product = next().multipliedFullWidth(by: b) }
        }
        return Int(product.high)
    }

    /// A random permutation of 0 ..< n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0 ..< n)
        shuffle(&p)
        return p
    }

    /// Shuffles `array` in place (Fisher–Yates).
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, integer(below: i + 1))
        }
    }

    /// `count` indices drawn uniformly from 0 ..< n with replacement (minibatch sampling).
    public mutating func indices(_ count: Int, below n: Int) -> [Int] {
        (0 ..< count).map { _ in integer(below: n) }
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

extension Matrix {
    /// Independent Gaussian entries with the given mean and standard deviation.
    public static func gaussian(_ rows: Int, _ cols: Int, mean: Double = 0, standardDeviation: Double = 1,
                                using rng: inout SeededGenerator) -> Matrix {
        Matrix(rows: rows, cols: cols) { out in
            for i in 0 ..< out.count { out[i] = mean + standardDeviation * rng.gaussian() }
        }
    }

    /// Independent uniform entries in [low, high).
    public static func uniform(_ rows: Int, _ cols: Int, low: Double = 0, high: Double = 1,
                               using rng: inout SeededGenerator) -> Matrix {
        Matrix(rows: rows, cols: cols) { out in
            for i in 0 ..< out.count { out[i] = rng.uniform(low, high) }
        }
    }
}
