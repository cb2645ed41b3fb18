import LinearAlgebra

// Plain, obviously correct reference computations the graded tests compare against. They are written
// independently of the exercises (no matrix tricks), so each exercise is graded on its own.

enum Reference {
    /// Distances between every row of `a` and every row of `b`, by the definition.
    static func distances(_ a: Matrix, _ b: Matrix, l1: Bool = false) -> Matrix {
        var d = Matrix.zeros(a.rows, b.rows)
        for i in 0 ..< a.rows {
            for j in 0 ..< b.rows {
                var total = 0.0
                for p in 0 ..< a.cols {
                    let difference = a[i, p] - b[j, p]
                    total += l1 ? abs(difference) : difference * difference
                }
                d[i, j] = l1 ? total : total.squareRoot()
            }
        }
        return d
    }

    /// kNN vote: neighbours ordered by (distance, index); most votes wins, ties go to the smaller label.
    static func vote(_ distances: Matrix, labels: [Int], k: Int) -> [Int] {
        (0 ..< distances.rows).map { i in
            let order = (0 ..< distances.cols).sorted { (distances[i, $0], $0) < (distances[i, $1], $1) }
            var counts: [Int: Int] = [:]
            for j in order.prefix(k) { counts[labels[j], default: 0] += 1 }
            let best = counts.values.max()!
            return counts.filter { $0.value == best }.keys.min()!
        }
    }

    /// Seeded random data: `n` images of `d` features in [0, scale) and labels in 0 ..< classes.
    static func data(_ n: Int, _ d: Int, classes: Int, scale: Double = 1, seed: UInt64) -> (x: Matrix, y: [Int]) {
        var rng = SeededGenerator(seed: seed)
        let x = Matrix.uniform(n, d, low: 0, high: scale, using: &rng)
        return (x, (0 ..< n).map { _ in rng.integer(below: classes) })
    }
}
