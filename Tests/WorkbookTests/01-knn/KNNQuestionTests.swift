import XCTest
import LinearAlgebra
@testable import Workbook

/// Chapter 1, inline questions: Exercises/01-knn/KNNQuestions.swift. Where the answer can be computed, the
/// test computes it; otherwise it compares a digest (see Support/AnswerKey.swift).
extension KNNTests {
    func test_inlineQuestion1_oneNearestNeighbourTrainingAccuracy() throws {
        let answer = try attempt { try KNNQuestions.oneNearestNeighbourTrainingAccuracy() }
        // Computed: 1-NN with L2 distance on its own (distinct) training images.
        let (x, y) = Reference.data(30, 5, classes: 10, seed: 11)
        let predicted = Reference.vote(Reference.distances(x, x), labels: y, k: 1)
        let accuracy = Double(zip(predicted, y).filter { $0 == $1 }.count) / Double(y.count)
        expectAnswer(abs(answer - accuracy) < 1e-9, "inlineQuestion1", yourAnswer: format(answer),
                     hint: "what is the distance of a training image to itself, and which image is its nearest neighbour? (a fraction in 0...1)")
    }

    func test_inlineQuestion2_preprocessingThatKeepsL1Predictions() throws {
        let answer = try attempt { try KNNQuestions.preprocessingThatKeepsL1Predictions() }
        // Computed: apply each step to seeded random data and see whether 1-NN L1 predictions change.
        var rng = SeededGenerator(seed: 12)
        let train = Matrix.uniform(60, 6, low: 0, high: 255, using: &rng) * Matrix(row: [1, 3, 0.2, 5, 1, 2])
        let test = Matrix.uniform(40, 6, low: 0, high: 255, using: &rng) * Matrix(row: [1, 3, 0.2, 5, 1, 2])
        let labels = Array(0 ..< 60)
        let before = Reference.vote(Reference.distances(test, train, l1: true), labels: labels, k: 1)
        let meanImage = train.mean(axis: 0)
        let pixelStd = ((train - meanImage).squared.mean(axis: 0)).squareRoot
        let scalarMean = train.mean()
        let scalarStd = (train - scalarMean).squared.mean().squareRoot()
        let angle = 0.7
        var rotation = Matrix.identity(6)
        rotation[0, 0] = cos(angle); rotation[0, 1] = -sin(angle); rotation[1, 0] = sin(angle); rotation[1, 1] = cos(angle)
        let steps: [Preprocessing: (Matrix) -> Matrix] = [
            .subtractScalarMean: { $0 - scalarMean },
            .subtractMeanImage: { $0 - meanImage },
            .standardizeWithScalars: { ($0 - scalarMean) / scalarStd },
            .standardizePerPixel: { ($0 - meanImage) / pixelStd },
            .rotateAxes: { matmul($0, rotation) },
        ]
        XCTAssertEqual(Set(steps.keys), Set(Preprocessing.allCases), "every choice is computed")
        let expected = Set(steps.filter { _, step in
            Reference.vote(Reference.distances(step(test), step(train), l1: true), labels: labels, k: 1) == before
        }.keys)
        expectAnswer(answer == expected, "inlineQuestion2", yourAnswer: "[\(AnswerKey.canonical(answer))]",
                     hint: "which steps change every L1 distance by the same factor, and which change them differently?")
    }

    func test_inlineQuestion3_trueStatementsAboutKNN() throws {
        try expectAnswer(KNNQuestions.trueStatementsAboutKNN(), "inlineQuestion3", digest: "8682905b3d6dd4dc", question: "knn.3",
                         hint: "for each statement, look for one counterexample; what is 1-NN's error on its own training data?")
    }

    func test_inlineQuestion4_brightRowInDistanceMatrix() throws {
        try expectAnswer(KNNQuestions.brightRowInDistanceMatrix(), "inlineQuestion4", digest: "547dd08fd989b5fd", question: "knn.4",
                         hint: "a row belongs to one test image; bright means far from every column")
    }
}
