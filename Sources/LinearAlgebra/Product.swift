/// The matrix product, and the one kernel behind it.
///
/// Every matrix product in the workbook goes through ``matmul(_:_:transposeA:transposeB:)``, which calls
/// `gemm` below, so a faster kernel replaces one function and nothing else.

/// The matrix product op(a) op(b), where op transposes when asked, without materialising the transpose.
///
/// - Parameters:
///   - a: shape (M, K), or (K, M) with `transposeA`.
///   - b: shape (K, N), or (N, K) with `transposeB`.
/// - Returns: shape (M, N).
/// - Precondition: the inner dimensions agree; a mismatch traps naming both shapes.
public func matmul(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false) -> Matrix {
    let (m, k) = transposeA ? (a.cols, a.rows) : (a.rows, a.cols)
    let (kb, n) = transposeB ? (b.cols, b.rows) : (b.rows, b.cols)
    precondition(k == kb, """
        matmul: inner dimensions differ: \(transposeA ? "aᵀ" : "a") \(transposeA ? "(\(m), \(k))" : a.shapeDescription) \
        and \(transposeB ? "bᵀ" : "b") \(transposeB ? "(\(kb), \(n))" : b.shapeDescription)
        """)
    var c = Matrix(rows: m, cols: n)
    a.storage.withUnsafeBufferPointer { pa in
        b.storage.withUnsafeBufferPointer { pb in
            c.buffer.withUnsafeMutableBufferPointer { pc in
                gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                     a: pa.baseAddress, lda: a.cols, b: pb.baseAddress, ldb: b.cols,
                     c: pc.baseAddress, ldc: n)
            }
        }
    }
    return c
}

/// C += op(A) op(B) on raw row-major buffers (leading dimensions are row lengths).
///
/// Loop orders keep the innermost loop on contiguous memory: i-k-j when B is not transposed (a row of
/// C accumulates scaled rows of B), and i-j-k dot products when it is (rows of A against rows of B).
/// Blocked over k so that the rows of B in use stay in cache.
@usableFromInline
func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
          a: UnsafePointer<Double>?, lda: Int, b: UnsafePointer<Double>?, ldb: Int,
          c: UnsafeMutablePointer<Double>?, ldc: Int) {
    guard m > 0, n > 0, k > 0, let a, let b, let c else { return }
    @inline(__always) func aAt(_ i: Int, _ p: Int) -> Double { transposeA ? a[p * lda + i] : a[i * lda + p] }
    if transposeB {
        for i in 0 ..< m {
            for j in 0 ..< n {
                var acc = 0.0
                let bj = b + j * ldb
                if transposeA {
                    for p in 0 ..< k { acc += a[p * lda + i] * bj[p] }
                } else {
                    let ai = a + i * lda
                    for p in 0 ..< k { acc += ai[p] * bj[p] }
                }
                c[i * ldc + j] += acc
            }
        }
        return
    }
    let kBlock = 256
    for p0 in stride(from: 0, to: k, by: kBlock) {
        let p1 = min(p0 + kBlock, k)
        for i in 0 ..< m {
            let ci = c + i * ldc
            for p in p0 ..< p1 {
                let s = aAt(i, p)
                if s == 0 { continue }
                let bp = b + p * ldb
                for j in 0 ..< n { ci[j] += s * bp[j] }
            }
        }
    }
}
