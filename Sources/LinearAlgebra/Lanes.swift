/// Four-lane vectors of doubles for the hot loops: the GEMM micro-kernel, sums and maxima.
///
/// `SIMD4<Double>` is one AVX2 register on x86-64 (Package.swift builds for Haswell and later) and
/// two NEON registers on arm64; elsewhere the compiler splits it into whatever the target has.

/// Four lanes of doubles.
typealias Lane = SIMD4<Double>

@inline(__always)
func loadLane(_ p: UnsafePointer<Double>) -> Lane { UnsafeRawPointer(p).loadUnaligned(as: Lane.self) }

@inline(__always)
func loadLane(_ p: UnsafeMutablePointer<Double>) -> Lane { UnsafeRawPointer(p).loadUnaligned(as: Lane.self) }

@inline(__always)
func storeLane(_ v: Lane, _ p: UnsafeMutablePointer<Double>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lane.self) }
