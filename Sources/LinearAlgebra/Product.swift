/// The matrix product.
///
/// Every matrix product in the workbook goes through ``matmul(_:_:transposeA:transposeB:)``, which calls
/// the packed, cache-blocked, multithreaded kernel `gemm` (GEMM.swift), so a faster kernel replaces
/// one function and nothing else.

/// The matrix product op(a) op(b), where op transposes when asked, without materialising the transpose.
///
/// - Parameters:
///   - a: shape (M, K), or (K, M) with `transposeA`.
///   - b: shape (K, N), or (N, K) with `transposeB`.
/// - Returns: shape (M, N).
/// - Precondition: the inner dimensions agree; a mismatch traps naming both shapes.
///
/// Runs at about 60 GFLOP/s per core on an AVX2 machine (a plain triple loop manages well under 1),
/// and with the AVX-512 kernel where the CPU has it (``SIMDKernel``), on up to
/// ``Parallelism/threadCount`` threads (at most one per million multiply-adds, so small
/// products stay on the calling thread); the result is the same whatever the thread count.
/// Infinities and NaNs propagate as IEEE arithmetic says (0 x inf is NaN), as in NumPy.
public func matmul(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false) -> Matrix {
    let (m, k) = transposeA ? (a.cols, a.rows) : (a.rows, a.cols)
    let (kb, n) = transposeB ? (b.cols, b.rows) : (b.rows, b.cols)
    require(k == kb, """
        matmul: inner dimensions differ: \(transposeA ? "aᵀ" : "a") \(transposeA ? "(\(m), \(k))" : a.shapeDescription) \
        and \(transposeB ? "bᵀ" : "b") \(transposeB ? "(\(kb), \(n))" : b.shapeDescription)
        """)
    let values = [Double](largeStorage: m * n) { pc in
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                     a: pa.baseAddress, lda: a.cols, b: pb.baseAddress, ldb: b.cols,
                     beta: 0, c: pc.baseAddress, ldc: n)
            }
        }
    }
    return Matrix(rows: m, cols: n, values)
}

/// The matrix product C = op(A) op(B) + beta C on row-major buffers the caller owns, for given layers
/// that reuse their memory from step to step and write each image's product straight into place
/// (a convolution's output for image n is rows n · F ..< (n + 1) · F of its (N · F, H' · W') result).
/// The same kernel as ``matmul(_:_:transposeA:transposeB:)``, with the same bit-for-bit result
/// whatever the thread count.
///
/// - Parameters:
///   - a: (M, K) with row length `lda`, or (K, M) with `transposeA`.
///   - b: (K, N) with row length `ldb`, or (N, K) with `transposeB`.
///   - c: (M, N) with row length `ldc`; with `beta` 0 it is overwritten without being read.
///   - threads: the most threads to use; pass 1 from inside a loop that is already threaded.
public func matmul(m: Int, n: Int, k: Int,
                   _ a: UnsafePointer<Double>, lda: Int, transposeA: Bool = false,
                   _ b: UnsafePointer<Double>, ldb: Int, transposeB: Bool = false,
                   beta: Double = 0, into c: UnsafeMutablePointer<Double>, ldc: Int,
                   threads: Int = Parallelism.threadCount) {
    require(m >= 0 && n >= 0 && k >= 0, "matmul: negative size (\(m), \(n), \(k))")
    require(lda >= (transposeA ? m : k) && ldb >= (transposeB ? k : n) && ldc >= n,
            "matmul: a row length is shorter than its row: lda \(lda), ldb \(ldb), ldc \(ldc) for (\(m), \(k)) x (\(k), \(n))")
    gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
         beta: beta, c: c, ldc: ldc, threads: threads)
}
