import XCTest
@testable import LinearAlgebra

/// The packed, blocked, threaded GEMM against a plain triple loop, over seeded random shapes chosen to
/// hit every edge of the tiling: 1 x 1, vectors, tall-skinny, primes, and sizes just around the
/// micro-tiles (MR x NR = 6 x 8 and 12 x 16) and the cache blocks (KC = 256 and 384, MC = 120, NC = 512
/// and 1,024).
///
/// Every product is checked on each kernel this CPU can run (`SIMDKernel.available`: the AVX2 one, and
/// the AVX-512 one where the CPU has it), whatever `WORKBOOK_SIMD` says; CI runs these tests once more
/// with `WORKBOOK_SIMD=avx2`, which `matmul` then follows.
final class GEMMTests: XCTestCase {
    /// All four transpose combinations for each shape (m, k, n) = op(A) (m, k) times op(B) (k, n).
    func testMatmulMatchesTripleLoopForEdgeShapes() {
        var rng = SeededGenerator(seed: 11)
        let shapes = [
            (1, 1, 1), (1, 7, 1), (1, 300, 9), (9, 300, 1), (1, 5, 40), (40, 5, 1),
            (67, 131, 29), (29, 67, 131), (131, 29, 67),
            (5, 3, 7), (6, 4, 8), (7, 5, 9), (12, 2, 16), (13, 9, 17),
            (6, 255, 8), (7, 256, 9), (5, 257, 7), (11, 513, 3),
            (119, 20, 15), (120, 21, 16), (121, 22, 17), (241, 13, 10),
            (500, 3, 2), (2, 3, 500), (3, 5, 513), (130, 7, 515), (127, 9, 1031),
            (11, 3, 15), (12, 6, 16), (13, 7, 17), (24, 5, 32), (25, 257, 33), (36, 4, 9), (145, 11, 40),
            (12, 383, 16), (13, 384, 17), (11, 385, 9), (3, 769, 20),
        ]
        for (m, k, n) in shapes { checkAllTransposes(m, k, n, &rng) }
    }

    func testMatmulMatchesTripleLoopForRandomShapes() {
        var rng = SeededGenerator(seed: 12)
        for _ in 0 ..< 40 {
            let (m, k, n) = (1 + rng.integer(below: 150), 1 + rng.integer(below: 300), 1 + rng.integer(below: 150))
            checkAllTransposes(m, k, n, &rng)
        }
    }

    func testEmptyProducts() {
        forEachKernel { kernel in
            XCTAssertEqual(matmul(Matrix.zeros(3, 0), Matrix.zeros(0, 4)), Matrix.zeros(3, 4), "\(kernel): K = 0 gives zeros")
            XCTAssertEqual(matmul(Matrix.zeros(0, 5), Matrix.ones(5, 4)).shape.rows, 0)
            XCTAssertEqual(matmul(Matrix.ones(3, 5), Matrix.zeros(5, 0)).shape.cols, 0)
            XCTAssertEqual(matmul(Matrix.zeros(0, 3), Matrix.zeros(0, 4), transposeA: true), Matrix.zeros(3, 4))
        }
    }

    /// Infinities and NaNs propagate as IEEE arithmetic says, as in NumPy: no product is skipped
    /// because one factor is zero (0 x inf is NaN).
    func testNonFiniteEntriesPropagate() {
        forEachKernel { kernel in
            let a = Matrix([[.infinity, 1], [2, 3]])
            let b = Matrix([[0, 1], [1, 1]])
            let c = matmul(a, b)
            XCTAssertTrue(c[0, 0].isNaN, "\(kernel): inf * 0 + 1 * 1 is NaN")
            XCTAssertEqual(c[0, 1], .infinity, "\(kernel)")
            XCTAssertEqual(c.row(1), Matrix(row: [3, 5]), "\(kernel)")
            XCTAssertTrue(matmul(Matrix([[.nan]]), Matrix([[0]]))[0, 0].isNaN, "\(kernel)")
        }
    }

    /// C = op(A) op(B) + beta C: beta 1 accumulates, other betas scale, and beta 0 never reads C
    /// (a NaN left there does not leak into the result).
    func testBetaAccumulatesOrOverwrites() {
        var rng = SeededGenerator(seed: 13)
        for (m, k, n) in [(7, 300, 9), (13, 5, 17), (130, 40, 70)] {
            let a = Matrix.gaussian(m, k, using: &rng), b = Matrix.gaussian(k, n, using: &rng)
            let c0 = Matrix.gaussian(m, n, using: &rng)
            let (product, bound) = reference(a, b, false, false)
            for kernel in SIMDKernel.available {
                for beta in [1.0, 0.5] {
                    var c = c0
                    gemmInto(&c, a, b, beta: beta, threads: 1, kernel: kernel)
                    let tolerance = bound + c0.magnitude * Double.ulpOfOne * 2
                    assertClose(c, product + beta * c0, tolerance: tolerance, "\(kernel): beta \(beta), (\(m), \(k), \(n))")
                }
                var c = Matrix(rows: m, cols: n, repeating: .nan)
                gemmInto(&c, a, b, beta: 0, threads: 1, kernel: kernel)
                assertClose(c, product, tolerance: bound, "\(kernel): beta 0 over NaN, (\(m), \(k), \(n))")
            }
        }
    }

    /// One thread or several: the same bits, for products split by rows of C and by columns, on each
    /// kernel.
    func testThreadCountDoesNotChangeTheResult() {
        for kernel in SIMDKernel.available {
            var rng = SeededGenerator(seed: 14)
            let tiling = kernel.tiling
            // Split by row blocks (taken in turn; the last two shapes have several KC slices or NC
            // panels, 512 and 1,024 wide, so that the blocks are handed out afresh for each), and
            // (m <= MC = 120, `shortProduct`) by column slivers.
            for (m, k, n) in [(257, 300, 301), (2000, 40, 30), (5, 400, 2000), (120, 100, 300), (130, 400, 530), (125, 20, 1040)] {
                let parts = m > tiling.mc ? (m + tiling.mr - 1) / tiling.mr : (n + tiling.nr - 1) / tiling.nr
                XCTAssertEqual(threadCount(m: m, n: n, k: k, requested: 2, parts: parts), 2,
                               "\(kernel): (\(m), \(k), \(n)) must be large enough to use two threads")
                let a = Matrix.gaussian(m, k, using: &rng), b = Matrix.gaussian(k, n, using: &rng)
                let c0 = Matrix.gaussian(m, n, using: &rng)
                var one = c0, two = c0, three = c0
                gemmInto(&one, a, b, beta: 1, threads: 1, kernel: kernel)
                gemmInto(&two, a, b, beta: 1, threads: 2, kernel: kernel)
                gemmInto(&three, a, b, beta: 1, threads: 3, kernel: kernel)
                XCTAssertEqual(one, two, "\(kernel): (\(m), \(k), \(n)): 1 and 2 threads differ")
                XCTAssertEqual(one, three, "\(kernel): (\(m), \(k), \(n)): 1 and 3 threads differ")
                let (expected, bound) = reference(a, b, false, false)
                assertClose(one, expected + c0, tolerance: bound + c0.magnitude * Double.ulpOfOne, "\(kernel): (\(m), \(k), \(n))")
            }
            // Aᵀ B with few columns is computed as Cᵀ = Bᵀ A, split by the columns of Cᵀ.
            let a = Matrix.gaussian(300, 2000, using: &rng), b = Matrix.gaussian(300, 10, using: &rng)
            var one = Matrix.zeros(2000, 10), two = one
            gemmInto(&one, a, b, transposeA: true, beta: 0, threads: 1, kernel: kernel)
            gemmInto(&two, a, b, transposeA: true, beta: 0, threads: 2, kernel: kernel)
            XCTAssertEqual(one, two, "\(kernel): Aᵀ B (2000, 300, 10): 1 and 2 threads differ")
            assertClose(one, reference(a, b, true, false).0, tolerance: reference(a, b, true, false).1, "\(kernel): Aᵀ B (2000, 300, 10)")
        }
        XCTAssertEqual(threadCount(m: 8, n: 8, k: 8, requested: 2, parts: 2), 1, "small products stay on one thread")
    }

    /// A short, deep product with few slivers (an affine layer's x W: (50, K) x (K, 100)) is summed in
    /// four segments of its depth; the segments depend on the shape only, so any thread count gives
    /// the same bits, with beta 0 or 1, and one slice fewer than the threshold keeps the plain path.
    func testDeepNarrowProductsSplitTheirDepthTheSameOnAnyThreadCount() {
        for kernel in SIMDKernel.available {
            var rng = SeededGenerator(seed: 15)
            let tiling = kernel.tiling
            let deep = 8 * tiling.kc + 5                                     // 9 slices, the last 5 deep
            XCTAssertEqual(depthSegments(slivers: (100 + tiling.nr - 1) / tiling.nr, slices: 9), 4, "\(kernel)")
            XCTAssertEqual(depthSegments(slivers: 7, slices: 7), 1, "\(kernel): too shallow to split")
            XCTAssertEqual(depthSegments(slivers: 16, slices: 30), 1, "\(kernel): enough slivers to share")
            for (m, k, n) in [(50, deep, 100), (3, deep, 17), (13, 7 * tiling.kc, 9)] {
                let a = Matrix.gaussian(m, k, using: &rng), b = Matrix.gaussian(k, n, using: &rng)
                let c0 = Matrix.gaussian(m, n, using: &rng)
                let (expected, bound) = reference(a, b, false, false)
                for beta in [0.0, 1.0] {
                    var one = c0, two = c0, three = c0
                    gemmInto(&one, a, b, beta: beta, threads: 1, kernel: kernel)
                    gemmInto(&two, a, b, beta: beta, threads: 2, kernel: kernel)
                    gemmInto(&three, a, b, beta: beta, threads: 3, kernel: kernel)
                    XCTAssertEqual(one, two, "\(kernel): (\(m), \(k), \(n)) beta \(beta): 1 and 2 threads differ")
                    XCTAssertEqual(one, three, "\(kernel): (\(m), \(k), \(n)) beta \(beta): 1 and 3 threads differ")
                    let target = beta == 0 ? expected : expected + c0
                    assertClose(one, target, tolerance: beta == 0 ? bound : bound + c0.magnitude * Double.ulpOfOne,
                                "\(kernel): (\(m), \(k), \(n)) beta \(beta)")
                }
            }
        }
    }

    /// Both kernels sum each entry in order of p with one fused multiply-add per term, so while K fits
    /// one slice (K <= 256, the smaller KC) they give the same bits, whatever the tile an entry falls in.
    func testKernelsAgreeBitForBitWithinOneSlice() throws {
        guard SIMDKernel.available.count > 1 else { throw XCTSkip("this CPU runs one kernel only") }
        var rng = SeededGenerator(seed: 16)
        for (m, k, n) in [(37, 256, 45), (130, 100, 300), (5, 7, 2000), (301, 255, 10)] {
            let a = Matrix.gaussian(m, k, using: &rng), b = Matrix.gaussian(k, n, using: &rng)
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let (x, y) = (ta ? a.transposed : a, tb ? b.transposed : b)
                let results = SIMDKernel.available.map { product(x, y, transposeA: ta, transposeB: tb, kernel: $0) }
                XCTAssertEqual(results[0], results[1], "(\(m), \(k), \(n)) transposeA \(ta) transposeB \(tb): the kernels differ")
            }
        }
    }

    /// `matmul` runs the kernel `SIMDKernel.active` names; CI runs this suite with and without
    /// `WORKBOOK_SIMD=avx2`.
    func testMatmulUsesTheActiveKernel() {
        let saved = SIMDKernel.active
        defer { SIMDKernel.active = saved }
        var rng = SeededGenerator(seed: 15)
        let a = Matrix.gaussian(130, 300, using: &rng), b = Matrix.gaussian(300, 70, using: &rng)
        for kernel in SIMDKernel.available {
            SIMDKernel.active = kernel
            var c = Matrix.zeros(130, 70)
            gemmInto(&c, a, b, beta: 0, threads: 1, kernel: kernel)
            XCTAssertEqual(matmul(a, b), c, "matmul with SIMDKernel.active = \(kernel)")
        }
        let environment = ProcessInfo.processInfo.environment["WORKBOOK_SIMD"]
        XCTAssertEqual(saved, SIMDKernel.startingKernel(environment: environment, supportsAVX512: SIMDKernel.cpuSupportsAVX512).kernel,
                       "WORKBOOK_SIMD=\(environment ?? "<unset>")")
        print("GEMMTests: kernels \(SIMDKernel.available), active \(saved) (WORKBOOK_SIMD=\(environment ?? "<unset>"))")
    }

    func testKernelFromTheEnvironment() {
        for (text, avx512, kernel) in [(nil, true, SIMDKernel.eightLane), ("", true, .eightLane), (nil, false, .fourLane),
                                       ("avx2", true, .fourLane), ("AVX2", true, .fourLane), ("avx2", false, .fourLane),
                                       ("avx512", true, .eightLane)] as [(String?, Bool, SIMDKernel)] {
            let start = SIMDKernel.startingKernel(environment: text, supportsAVX512: avx512)
            XCTAssertEqual(start.kernel, kernel, "WORKBOOK_SIMD=\(text ?? "<unset>"), AVX-512 \(avx512)")
            XCTAssertNil(start.warning, "WORKBOOK_SIMD=\(text ?? "<unset>")")
        }
        let missing = SIMDKernel.startingKernel(environment: "avx512", supportsAVX512: false)
        XCTAssertEqual(missing.kernel, .fourLane)
        XCTAssertEqual(missing.warning, "warning: WORKBOOK_SIMD=avx512, but this CPU (or its operating system) has no AVX-512; using the \(SIMDKernel.fourLane) kernel")
        let unknown = SIMDKernel.startingKernel(environment: "sse", supportsAVX512: true)
        XCTAssertEqual(unknown.kernel, .eightLane)
        XCTAssertEqual(unknown.warning, "warning: WORKBOOK_SIMD=sse is not a kernel (avx2 or avx512); using AVX-512 12x16, the widest this CPU has")
    }

    /// On this architecture: AVX-512 is found exactly when the CPU and the OS have it (x86-64), never elsewhere.
    func testAvailableKernels() {
        XCTAssertEqual(SIMDKernel.available.first, .fourLane, "the 4-lane kernel runs everywhere")
        #if !arch(x86_64)
        XCTAssertEqual(SIMDKernel.available, [.fourLane])
        #endif
    }

    func testParallelismSettingIsAtLeastOne() {
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }
        Parallelism.threadCount = 0
        XCTAssertEqual(Parallelism.threadCount, 1)
        Parallelism.threadCount = 2
        XCTAssertEqual(Parallelism.threadCount, 2)
    }

    func testThreadsFromTheEnvironment() {
        XCTAssertEqual(Parallelism.startingThreadCount(environment: "1", processors: 2).count, 1)
        XCTAssertNil(Parallelism.startingThreadCount(environment: "3", processors: 2).warning)
        XCTAssertEqual(Parallelism.startingThreadCount(environment: nil, processors: 2).count, 2)
        XCTAssertNil(Parallelism.startingThreadCount(environment: "", processors: 2).warning, "set but empty is unset")
        for text in ["abc", "0", "-2", "1.5"] {
            let start = Parallelism.startingThreadCount(environment: text, processors: 2)
            XCTAssertEqual(start.count, 2, "WORKBOOK_THREADS=\(text)")
            XCTAssertEqual(start.warning, "warning: WORKBOOK_THREADS=\(text) is not a positive whole number; using all 2 cores instead")
        }
        XCTAssertEqual(Parallelism.startingThreadCount(environment: "0", processors: 1).warning,
                       "warning: WORKBOOK_THREADS=0 is not a positive whole number; using all 1 core instead")
    }

    // MARK: - Helpers

    /// Runs `body` once with each kernel this CPU can run as `SIMDKernel.active`, then restores it.
    private func forEachKernel(_ body: (SIMDKernel) -> Void) {
        let saved = SIMDKernel.active
        defer { SIMDKernel.active = saved }
        for kernel in SIMDKernel.available {
            SIMDKernel.active = kernel
            body(kernel)
        }
    }

    private func checkAllTransposes(_ m: Int, _ k: Int, _ n: Int, _ rng: inout SeededGenerator) {
        let a = Matrix.gaussian(m, k, using: &rng)
        let b = Matrix.gaussian(k, n, using: &rng)
        let (expected, bound) = reference(a, b, false, false)
        for kernel in SIMDKernel.available {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let c = product(ta ? a.transposed : a, tb ? b.transposed : b, transposeA: ta, transposeB: tb, kernel: kernel)
                assertClose(c, expected, tolerance: bound, "\(kernel): (\(m), \(k), \(n)) transposeA \(ta) transposeB \(tb)")
            }
        }
    }

    /// op(A) op(B) by the definition, one dot product per entry in order of p, and for each entry the
    /// error bound 2 K eps sum_p |a_ip b_pj| (+ the smallest normal, for sums that cancel to 0).
    ///
    /// Why that bound: any order of summing K products, fused or not, is within gamma_K sum |a b|
    /// of the exact value, gamma_K = K u / (1 - K u) with u = eps / 2 (Higham, "Accuracy and
    /// Stability of Numerical Algorithms", 2nd ed., section 3.1). The kernel and this loop each are, so
    /// they differ by at most 2 gamma_K sum |a b|, which K eps exceeds for any K here. A wrong index,
    /// a lost edge or a doubled block is off by about |a b| itself, far outside it.
    private func reference(_ a: Matrix, _ b: Matrix, _ ta: Bool, _ tb: Bool) -> (Matrix, Matrix) {
        let (m, k) = ta ? (a.cols, a.rows) : (a.rows, a.cols)
        let n = tb ? b.rows : b.cols
        var c = [Double](repeating: 0, count: m * n), bound = c
        let (av, bv) = (a.storage, b.storage)
        for i in 0 ..< m {
            for j in 0 ..< n {
                var sum = 0.0, magnitude = 0.0
                for p in 0 ..< k {
                    let x = ta ? av[p * a.cols + i] : av[i * a.cols + p]
                    let y = tb ? bv[j * b.cols + p] : bv[p * b.cols + j]
                    sum += x * y
                    magnitude += Swift.abs(x * y)
                }
                c[i * n + j] = sum
                bound[i * n + j] = 2 * Double(k) * Double.ulpOfOne * magnitude + Double.leastNormalMagnitude
            }
        }
        return (Matrix(rows: m, cols: n, c), Matrix(rows: m, cols: n, bound))
    }

    /// op(A) op(B) on one kernel, with the threads `Parallelism.threadCount` allows (as `matmul`).
    private func product(_ a: Matrix, _ b: Matrix, transposeA: Bool, transposeB: Bool, kernel: SIMDKernel) -> Matrix {
        let (m, k) = transposeA ? (a.cols, a.rows) : (a.rows, a.cols)
        let n = transposeB ? b.rows : b.cols
        var c = Matrix.zeros(m, n)
        c.withUnsafeMutableBufferPointer { pc in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                         a: pa.baseAddress, lda: a.cols, b: pb.baseAddress, ldb: b.cols,
                         beta: 0, c: pc.baseAddress, ldc: n, kernel: kernel)
                }
            }
        }
        return c
    }

    private func gemmInto(_ c: inout Matrix, _ a: Matrix, _ b: Matrix, transposeA: Bool = false, beta: Double, threads: Int,
                          kernel: SIMDKernel) {
        let (m, n) = (c.rows, c.cols)
        c.withUnsafeMutableBufferPointer { pc in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    gemm(transposeA: transposeA, transposeB: false, m: m, n: n, k: transposeA ? a.rows : a.cols,
                         a: pa.baseAddress, lda: a.cols, b: pb.baseAddress, ldb: b.cols,
                         beta: beta, c: pc.baseAddress, ldc: n, threads: threads, kernel: kernel)
                }
            }
        }
    }

    private func assertClose(_ actual: Matrix, _ expected: Matrix, tolerance: Matrix, _ context: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.shapeDescription, expected.shapeDescription, context, file: file, line: line)
        guard actual.shape == expected.shape else { return }
        let (x, y, t) = (actual.storage, expected.storage, tolerance.storage)
        if let i = x.indices.first(where: { !(Swift.abs(x[$0] - y[$0]) <= t[$0]) }) {
            XCTFail("\(context): entry (\(i / actual.cols), \(i % actual.cols)) is \(x[i]), expected \(y[i]) within \(t[i])",
                    file: file, line: line)
        }
    }
}
