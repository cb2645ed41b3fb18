// swift-tools-version:6.0
//
// DeepLearningWorkbook: the layout is described in DESIGN.md (shared) and README.md.
//
// The `Workbook` target is built from `Exercises/` (the student's stubs) by default and from
// `Solutions/` (the reference code) when the environment says `WORKBOOK=solutions`. The same variable
// switches `swift build`, `swift run` and `swift test`; SwiftPM re-reads this manifest when it changes.
import PackageDescription
#if canImport(Foundation)
import Foundation
#endif

// MARK: - Track switch

let workbookTrack: String = {
    switch Context.environment["WORKBOOK"] ?? "" {
    case "", "exercises": return "Exercises"
    case "solutions": return "Solutions"
    case let other:
        let message = """
            error: WORKBOOK='\(other)' is not a track. Use WORKBOOK=exercises (the default: your code in \
            Exercises/) or WORKBOOK=solutions (the reference code in Solutions/).\n
            """
        FileHandle.standardError.write(message.data(using: .utf8)!)
        exit(1)
    }
}()

// MARK: - Build settings

/// Numeric modules are optimised in debug builds too: unoptimised generic numeric code runs about
/// 3,000 times slower, which would turn a student's `swift test` into a wait. Debug builds still
/// compile each file on its own, and the optimiser inlines only within a file, so a hot loop's helpers
/// belong in the loop's file (see Sources/LinearAlgebra/GEMMKernel.swift). On x86-64 the SIMD fused
/// multiply-add needs a target CPU with FMA (without it each lane becomes a call to the C library's
/// `fma` and the GEMM runs at about 1 GFLOP/s instead of 60); `haswell` (AVX2 and FMA, 2013 and later)
/// is what the kernel is tuned for. arm64 has FMA without any flag.
var numericSettings: [SwiftSetting] = [
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]
#if arch(x86_64)
numericSettings.append(.unsafeFlags(["-target-cpu", "haswell"]))
#endif

// MARK: - Package

let package = Package(
    name: "DeepLearningWorkbook",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "bench", targets: ["bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Given code: the libraries every chapter stands on.
        .target(name: "LinearAlgebra", swiftSettings: numericSettings),
        .target(name: "GradientCheck", dependencies: ["LinearAlgebra"], swiftSettings: numericSettings),

        // The student's code (or the reference), switched by WORKBOOK.
        .target(
            name: "Workbook",
            dependencies: ["LinearAlgebra", "GradientCheck"],
            path: workbookTrack,
            swiftSettings: numericSettings),

        // Tools: `swift run -c release bench` times Swift against NumPy (Sources/bench/README.md).
        .executableTarget(
            name: "bench",
            dependencies: ["LinearAlgebra", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            exclude: ["numpy_bench.py", "README.md"],
            swiftSettings: numericSettings),

        // Tests.
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "WorkbookTests", dependencies: ["Workbook", "LinearAlgebra", "GradientCheck"]),
    ],
    swiftLanguageModes: [.v5]
)
