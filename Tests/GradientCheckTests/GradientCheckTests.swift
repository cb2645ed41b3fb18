import XCTest
import LinearAlgebra
@testable import GradientCheck

final class GradientCheckTests: XCTestCase {
    func testScalarFunctionGradient() {
        var rng = SeededGenerator(seed: 1)
        let x = Matrix.gaussian(4, 5, using: &rng)
        // f(x) = sum x^3 + 2 sum x, so df/dx = 3x^2 + 2.
        let numerical = numericalGradient(of: { ($0 * $0 * $0).sum() + 2 * $0.sum() }, at: x)
        XCTAssertLessThan(relativeError(numerical, 3 * x.squared + 2), 1e-8)
    }

    func testArrayFunctionGradientWithUpstream() {
        var rng = SeededGenerator(seed: 2)
        let x = Matrix.gaussian(3, 4, using: &rng)
        let w = Matrix.gaussian(4, 2, using: &rng)
        let upstream = Matrix.gaussian(3, 2, using: &rng)
        // f(x) = x w, so dL/dx = upstream wᵀ.
        let numerical = numericalGradient(of: { matmul($0, w) }, at: x, upstream: upstream)
        XCTAssertLessThan(relativeError(numerical, matmul(upstream, w, transposeB: true)), 1e-8)
    }

    func testRelativeErrorDefinition() {
        XCTAssertEqual(relativeError(Matrix.zeros(2, 2), Matrix.zeros(2, 2)), 0, "two zero gradients pass")
        XCTAssertEqual(relativeError(1.0, 3.0), 0.5)
        XCTAssertEqual(relativeError(Matrix(row: [1, 10]), Matrix(row: [1, 30])), 0.5, "the worst entry counts")
        XCTAssertEqual(relativeError(1e-9, 0), 0.1, accuracy: 1e-12, "tiny values use the 1e-8 floor")
        XCTAssertEqual(relativeError(.nan, 1), .infinity, "NaN never passes")
    }

    /// Why gradient checks run in Double: the same centred difference in Float is off by ~1e-3.
    func testDoubleIsNeededForCentredDifferences() {
        let h = 1e-5
        let inDouble = ((1 + h) * (1 + h) - (1 - h) * (1 - h)) / (2 * h)
        let hf = Float(h)
        let inFloat = Double(((1 + hf) * (1 + hf) - (1 - hf) * (1 - hf)) / (2 * hf))
        XCTAssertLessThan(relativeError(inDouble, 2), 1e-10)
        XCTAssertGreaterThan(relativeError(inFloat, 2), 1e-4)
    }

    func testSparseCheckIsSeededAndFindsAWrongGradient() {
        var rng = SeededGenerator(seed: 3)
        let x = Matrix.gaussian(10, 10, using: &rng)
        let f: (Matrix) -> Double = { $0.squared.sum() }
        let right = sparseGradientCheck(of: f, at: x, analytic: 2 * x, samples: 8, seed: 4)
        XCTAssertEqual(right.count, 8)
        XCTAssertTrue(right.allSatisfy { $0.relativeError < 1e-8 }, "\(right)")
        let again = sparseGradientCheck(of: f, at: x, analytic: 2 * x, samples: 8, seed: 4)
        XCTAssertEqual(right.map(\.row), again.map(\.row))
        XCTAssertEqual(right.map(\.column), again.map(\.column))
        let wrong = sparseGradientCheck(of: f, at: x, analytic: x, samples: 8, seed: 4)
        XCTAssertTrue(wrong.allSatisfy { abs($0.relativeError - 1.0 / 3.0) < 1e-6 }, "x instead of 2x is off by 1/3")
    }
}

/// Failure messages and "not implemented" name an exercise's file with its chapter folder.
final class ExerciseFileTests: XCTestCase {
    func testNotImplementedNamesTheChapterFolder() {
        let stub = NotImplemented(function: "train(x:y:)", filePath: "/home/me/workbook/Exercises/01-knn/KNearestNeighbor.swift")
        XCTAssertEqual(stub.file, "Exercises/01-knn/KNearestNeighbor.swift")
        XCTAssertEqual(stub.description, "not implemented: train(x:y:) in Exercises/01-knn/KNearestNeighbor.swift")
        XCTAssertEqual(NotImplemented.trackRelative("/w/Solutions/02-linear-classifiers/Softmax.swift"),
                       "Solutions/02-linear-classifiers/Softmax.swift")
        XCTAssertEqual(NotImplemented.trackRelative("/w/Exercises/Track.swift"), "Exercises/Track.swift")
        // An Exercises folder inside the package's path: the innermost one is the track.
        XCTAssertEqual(NotImplemented.trackRelative("/Exercises/course/Exercises/01-knn/CrossValidation.swift"),
                       "Exercises/01-knn/CrossValidation.swift")
        XCTAssertEqual(NotImplemented.trackRelative("/tmp/Scratch.swift"), "tmp/Scratch.swift", "outside both tracks: the last two parts")
    }

    func testExerciseLookupNamesTheChapterFolder() {
        let sources: [(path: String, text: String)] = [
            ("01-knn/KNearestNeighbor.swift", "public struct KNearestNeighbor: Sendable {\n public func computeDistancesNoLoops(_ x: Matrix)"),
            ("02-linear-classifiers/Softmax.swift", "public func softmaxLossNaive(weights: Matrix)"),
            ("03-backpropagation/Gates.swift", "public struct AddGate: Gate {"),
        ]
        XCTAssertEqual(ExerciseFiles.file(declaring: "computeDistancesNoLoops", in: sources), "Exercises/01-knn/KNearestNeighbor.swift")
        XCTAssertEqual(ExerciseFiles.file(declaring: "KNearestNeighbor", in: sources), "Exercises/01-knn/KNearestNeighbor.swift")
        XCTAssertEqual(ExerciseFiles.file(declaring: "softmaxLossNaive", in: sources), "Exercises/02-linear-classifiers/Softmax.swift")
        XCTAssertEqual(ExerciseFiles.file(declaring: "AddGate", in: sources), "Exercises/03-backpropagation/Gates.swift")
        XCTAssertNil(ExerciseFiles.file(declaring: "softmaxLoss", in: sources), "a prefix of a name is not the name")
        XCTAssertNil(ExerciseFiles.file(declaring: "inlineQuestion1", in: sources))
    }

    /// Chapters share names: the failing test's chapter is searched first.
    func testTheFailingTestsChapterIsSearchedFirst() {
        let sources: [(path: String, text: String)] = [
            ("03-backpropagation/Value.swift", "    public func reluBackward() throws {"),
            ("04-neural-networks/Activations.swift", "public func reluBackward(_ dout: Tensor, cache: ReLUCache) throws -> Tensor {"),
        ]
        XCTAssertEqual(ExerciseFiles.file(declaring: "reluBackward", in: sources), "Exercises/03-backpropagation/Value.swift")
        XCTAssertEqual(ExerciseFiles.file(declaring: "reluBackward", in: sources, chapter: "04-neural-networks"),
                       "Exercises/04-neural-networks/Activations.swift")
        XCTAssertEqual(ExerciseFiles.file(declaring: "reluBackward", in: sources, chapter: "03-backpropagation"),
                       "Exercises/03-backpropagation/Value.swift")
        XCTAssertEqual(ExerciseFiles.chapterFolder(of: "/w/Tests/WorkbookTests/04-neural-networks/NeuralNetworkTests.swift"), "04-neural-networks")
        XCTAssertNil(ExerciseFiles.chapterFolder(of: "/w/Tests/WorkbookTests/Support/Grading.swift"))
        XCTAssertEqual(ExerciseFiles.file(declaring: "reluBackward", test: "/w/Tests/WorkbookTests/04-neural-networks/NeuralNetworkTests.swift"),
                       "Exercises/04-neural-networks/Activations.swift")
        XCTAssertEqual(ExerciseFiles.file(declaring: "tanhBackward", test: "/w/Tests/WorkbookTests/04-neural-networks/NeuralNetworkTests.swift"),
                       "Exercises/04-neural-networks/Activations.swift")
    }

    /// The package's own exercise files, read from disk: every chapter's files are found in their folders.
    func testThePackagesExercisesAreFoundInTheirChapterFolders() {
        XCTAssertEqual(ExerciseFiles.file(declaring: "computeDistancesNoLoops"), "Exercises/01-knn/KNearestNeighbor.swift")
        XCTAssertEqual(ExerciseFiles.file(declaring: "makeFolds"), "Exercises/01-knn/CrossValidation.swift")
        XCTAssertEqual(ExerciseFiles.file(declaring: "svmLossVectorized"), "Exercises/02-linear-classifiers/LinearSVM.swift")
        XCTAssertEqual(ExerciseFiles.file(declaring: "MatrixMultiplyGate"), "Exercises/03-backpropagation/MatrixMultiplyGate.swift")
    }
}
