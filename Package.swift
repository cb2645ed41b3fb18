// swift-tools-version:6.0
//
// DeepLearningWorkbook: the layout is described in README.md ("Layout").
//
// The `Workbook` target is built from `Exercises/` (the student's stubs) by default and from
// `Solutions/` (the reference code) when the environment says `WORKBOOK=solutions`. The same variable
// switches `swift build`, `swift run` and `swift test`; SwiftPM re-reads this manifest when it changes.
import PackageDescription
#if canImport(Foundation)
import Foundation
#endif

// MARK: - Track switch

/// The instructor's repository has the reference code in Solutions/; the student copy does not.
let hasSolutions = FileManager.default.fileExists(atPath: Context.packageDirectory + "/Solutions")

let workbookTrack: String = {
    func stop(_ message: String) -> Never {
        FileHandle.standardError.write(("error: " + message + "\n").data(using: .utf8)!)
        exit(1)
    }
    switch Context.environment["WORKBOOK"] ?? "" {
    case "", "exercises":
        return "Exercises"
    case "solutions" where hasSolutions:
        return "Solutions"
    case "solutions":
        stop("WORKBOOK=solutions: this copy of the workbook has no Solutions/ folder (it is the student copy). Unset WORKBOOK to build your exercises.")
    case let other:
        stop("WORKBOOK='\(other)' is not a track. Use WORKBOOK=exercises (the default: your code in Exercises/)"
             + (hasSolutions ? " or WORKBOOK=solutions (the reference code in Solutions/)." : "."))
    }
}()

/// The track's Markdown files (its index README.md and each chapter folder's guide, `01-knn/README.md`),
/// which are documents, not sources.
func chapterGuides(in track: String) -> [String] {
    let folder = Context.packageDirectory + "/" + track
    let files = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []
    return files.filter { $0.hasSuffix(".md") }.sorted()
}

// MARK: - Build settings

/// On x86-64 the SIMD fused multiply-add needs a target CPU with FMA (without it each lane becomes a
/// call to the C library's `fma` and the GEMM runs at about 1 GFLOP/s instead of 60); `haswell` (AVX2
/// and FMA, 2013 and later) is what the kernel is tuned for. arm64 has FMA without any flag.
///
/// Square roots are compiled without `errno`: on Linux, `squareRoot()` reaches the C library's `sqrt`
/// (through a C shim compiled by the Clang importer), which sets `errno` for a negative input, so LLVM
/// keeps every square root scalar, followed by a call for the error case, and no loop with one in it is
/// vectorised: the reference Adam update took 4.7 ns an entry on one core, in cache. `-fno-math-errno`
/// (the default on macOS) turns them into `llvm.sqrt`, which vectorises. Nothing here reads `errno`.
var cpuSettings: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-fno-math-errno"])]
#if arch(x86_64)
cpuSettings.append(.unsafeFlags(["-target-cpu", "haswell"]))
#endif

/// The given numeric modules are optimised in debug builds too: unoptimised generic numeric code runs
/// about 3,000 times slower, which would turn a student's `swift test` into a wait. Debug builds still
/// compile each file on its own, and the optimiser inlines only within a file, so a hot loop's helpers
/// belong in the loop's file (see Sources/LinearAlgebra/GEMMKernel.swift).
let numericSettings: [SwiftSetting] = cpuSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]

/// The AVX-512 kernels (the matrix product's 12 x 16 tile, and the direct stride-1 convolution's
/// forward pass and filter gradient) are compiled for AVX-512 (F, CD, BW, DQ, VL: `skylake-avx512`,
/// 2017 and later) in a module of their own, and LinearAlgebra and ConvolutionLayers call them only
/// after the CPUFeatures check has passed, so that the same binary still runs on an AVX2-only CPU. On
/// other architectures the module is empty.
var avx512Settings: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]
#if arch(x86_64)
avx512Settings.append(.unsafeFlags(["-target-cpu", "skylake-avx512"]))
#endif

/// The student's code is not: in a debug build a crash in it prints its reason and line
/// ("Fatal error: Index out of range"), which optimised code does not.
let workbookSettings: [SwiftSetting] = cpuSettings

// MARK: - Package

let package = Package(
    name: "DeepLearningWorkbook",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "knn", targets: ["knn"]),
        .executable(name: "linear-classifier", targets: ["linear-classifier"]),
        .executable(name: "grade", targets: ["grade"]),
        .executable(name: "gates", targets: ["gates"]),
        .executable(name: "two-layer-net", targets: ["two-layer-net"]),
        .executable(name: "dropout", targets: ["dropout"]),
        .executable(name: "cnn", targets: ["cnn"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Given code: the libraries every chapter stands on.
        .target(name: "CPUFeatures"),
        .target(name: "CAllocator"),
        .target(name: "LinearAlgebraAVX512", dependencies: ["CPUFeatures"], swiftSettings: avx512Settings),
        .target(name: "LinearAlgebra", dependencies: ["CPUFeatures", "LinearAlgebraAVX512"], swiftSettings: numericSettings),
        .target(name: "GradientCheck", dependencies: ["LinearAlgebra"], swiftSettings: numericSettings),
        .target(name: "Datasets", dependencies: ["LinearAlgebra"], swiftSettings: numericSettings),
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .target(name: "Pictures", dependencies: ["CLibPNG", "LinearAlgebra"], swiftSettings: numericSettings),
        // What the given training code needs from the workbook's models and update rules (chapters 4 to 6).
        .target(name: "Training", dependencies: ["LinearAlgebra"], swiftSettings: numericSettings),

        // Given code that the exercises stand on: each chapter's error type and the input checks that open
        // its exercises (re-exported by Workbook, so `import Workbook` sees them).
        .target(name: "ExerciseSupport", dependencies: ["LinearAlgebra"], swiftSettings: workbookSettings),
        // Given code of chapter 6: the fast convolution (im2col and the matrix product) and max pooling.
        .target(name: "ConvolutionLayers", dependencies: ["LinearAlgebra", "LinearAlgebraAVX512", "ExerciseSupport"], swiftSettings: numericSettings),

        // The student's code (or the reference), switched by WORKBOOK.
        .target(
            name: "Workbook",
            dependencies: ["LinearAlgebra", "GradientCheck", "Training", "ExerciseSupport", "ConvolutionLayers"],
            path: workbookTrack,
            exclude: chapterGuides(in: workbookTrack),
            swiftSettings: workbookSettings),
        // Given code built on the exercises: the lecture's tiny sigmoid network, trained with the student's `Value`.
        .target(name: "LectureNetworks", dependencies: ["Workbook", "LinearAlgebra", "GradientCheck", "ConvolutionLayers", "Training"],
                swiftSettings: workbookSettings),

        // Programs: thin executables over the libraries, sharing their flags and notebook cells.
        .target(
            name: "ChapterSupport",
            dependencies: ["Datasets", "GradientCheck", "Pictures", "CAllocator",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "knn",
            dependencies: ["ChapterSupport", "Workbook", "Datasets", "Pictures", "LinearAlgebra", "GradientCheck",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "linear-classifier",
            dependencies: ["ChapterSupport", "Workbook", "Datasets", "Pictures", "LinearAlgebra", "GradientCheck",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "grade",
            dependencies: ["GradientCheck", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "gates",
            dependencies: ["ChapterSupport", "Workbook", "LectureNetworks", "LinearAlgebra", "GradientCheck", "Pictures",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "two-layer-net",
            dependencies: ["ChapterSupport", "Workbook", "Training", "Datasets", "Pictures", "LinearAlgebra", "GradientCheck",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "dropout",
            dependencies: ["ChapterSupport", "Workbook", "Training", "Datasets", "Pictures", "LinearAlgebra", "GradientCheck",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "cnn",
            dependencies: ["ChapterSupport", "Workbook", "LectureNetworks", "ConvolutionLayers", "Training", "Datasets", "Pictures",
                           "LinearAlgebra", "GradientCheck",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // Tests.
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "GradientCheckTests", dependencies: ["GradientCheck", "LinearAlgebra"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "LinearAlgebra"]),
        .testTarget(name: "WorkbookTests", dependencies: ["Workbook", "LectureNetworks", "LinearAlgebra", "GradientCheck", "Training", "ConvolutionLayers"]),
        .testTarget(name: "ConvolutionLayersTests", dependencies: ["ConvolutionLayers", "ExerciseSupport", "LinearAlgebra", "GradientCheck"]),
        .testTarget(name: "PicturesTests", dependencies: ["Pictures", "CLibPNG", "LinearAlgebra"]),
        // The given training code, on small models and rules of its own (the Workbook's are exercises).
        .testTarget(name: "TrainingTests", dependencies: ["Training", "LinearAlgebra"], exclude: ["Fixtures"]),
        // The programs' flags, through `@testable import` of the executables.
        .testTarget(name: "ProgramTests", dependencies: ["knn", "linear-classifier", "gates", "grade", "two-layer-net", "dropout", "cnn"]),
    ],
    swiftLanguageModes: [.v5]
)

// The instructor's tools exist only beside Solutions/: the API check between the tracks and the student
// copy, and `swift run -c release bench`, which times Swift against NumPy (Sources/bench/README.md) on
// workloads written the way the reference solutions are.
if hasSolutions {
    package.products += [.executable(name: "instructor", targets: ["instructor"]), .executable(name: "bench", targets: ["bench"])]
    package.targets += [
        .executableTarget(
            name: "instructor",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "bench",
            dependencies: ["LinearAlgebra", "Training", "ConvolutionLayers", "CAllocator", "CPUFeatures", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            exclude: ["numpy_bench.py", "torch_bench.py", "bench_protocol.py", "README.md"],
            swiftSettings: numericSettings),
        // check-api's comparison of the tracks' files.
        .testTarget(name: "InstructorTests", dependencies: ["instructor"]),
    ]
}
