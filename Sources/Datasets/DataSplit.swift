import LinearAlgebra

/// The course's standard split of CIFAR-10 into training, validation, test and development sets.
///
/// With the defaults, from data loaded with all 50,000 training and at least 1,000 test records:
/// - `train`: training records 0 ..< 49,000;
/// - `validation`: training records 49,000 ..< 50,000, for choosing hyperparameters;
/// - `test`: test records 0 ..< 1,000, looked at once, at the end;
/// - `development`: 500 examples of `train`, drawn without replacement, for quick experiments
///   while writing code.
///
/// Every part is a copy: 49,000 images take about 1.2 GB as `Double`.
///
/// Source: the course's data-loading notes (the 49,000 / 1,000 / 1,000 split and the development set).
public struct DataSplit: Sendable {
    /// The first `trainCount` training examples: images (trainCount, D).
    public let train: LabeledImages
    /// The `validationCount` training examples after those: images (validationCount, D).
    public let validation: LabeledImages
    /// The first `testCount` test examples: images (testCount, D).
    public let test: LabeledImages
    /// `developmentCount` examples of `train`, at ``developmentIndices``: images (developmentCount, D).
    public let development: LabeledImages
    /// The rows of `train` that make up `development`, all different, in the order drawn.
    public let developmentIndices: [Int]

    /// Splits loaded training and test examples.
    ///
    /// - Parameters:
    ///   - training: the loaded training examples; needs at least `trainCount + validationCount`.
    ///   - test: the loaded test examples; needs at least `testCount`.
    ///   - trainCount: training examples kept for training, 49,000 by default.
    ///   - validationCount: the examples right after them, 1,000 by default.
    ///   - testCount: test examples kept, 1,000 by default.
    ///   - developmentCount: examples drawn from the training part, 500 by default.
    ///   - seed: seeds the ``SeededGenerator`` that draws the development set; the same seed gives the
    ///     same development set.
    /// - Throws: ``DataSplitError`` when the counts do not fit the loaded data.
    /// - Precondition: no count is negative.
    public init(training: LabeledImages, test: LabeledImages, trainCount: Int = 49_000,
                validationCount: Int = 1_000, testCount: Int = 1_000, developmentCount: Int = 500,
                seed: UInt64) throws {
        precondition(trainCount >= 0 && validationCount >= 0 && testCount >= 0 && developmentCount >= 0,
                     "DataSplit: counts cannot be negative (train \(trainCount), validation \(validationCount), "
                        + "test \(testCount), development \(developmentCount))")
        guard trainCount + validationCount <= training.count else {
            throw DataSplitError.notEnoughTrainingExamples(
                trainCount: trainCount, validationCount: validationCount, available: training.count)
        }
        guard testCount <= test.count else {
            throw DataSplitError.notEnoughTestExamples(testCount: testCount, available: test.count)
        }
        guard developmentCount <= trainCount else {
            throw DataSplitError.developmentSetTooLarge(developmentCount: developmentCount, trainCount: trainCount)
        }
        var rng = SeededGenerator(seed: seed)
        let train = training.subset(0 ..< trainCount)
        self.train = train
        self.validation = training.subset(trainCount ..< trainCount + validationCount)
        self.test = test.subset(0 ..< testCount)
        self.developmentIndices = Array(rng.permutation(trainCount).prefix(developmentCount))
        self.development = train.subset(at: developmentIndices)
    }

    /// Splits the training and test examples of `cifar`; see ``init(training:test:trainCount:validationCount:testCount:developmentCount:seed:)``.
    /// - Throws: ``DataSplitError`` when the counts do not fit the loaded data.
    public init(_ cifar: CIFAR10, trainCount: Int = 49_000, validationCount: Int = 1_000, testCount: Int = 1_000,
                developmentCount: Int = 500, seed: UInt64) throws {
        try self.init(training: cifar.train, test: cifar.test, trainCount: trainCount,
                      validationCount: validationCount, testCount: testCount,
                      developmentCount: developmentCount, seed: seed)
    }
}

/// Split sizes that do not fit the data they split.
public enum DataSplitError: Error, CustomStringConvertible, Equatable {
    /// Training plus validation examples need more than the `available` loaded training examples.
    case notEnoughTrainingExamples(trainCount: Int, validationCount: Int, available: Int)
    /// More test examples were asked for than the `available` loaded ones.
    case notEnoughTestExamples(testCount: Int, available: Int)
    /// The development set is drawn from the training part without replacement, so it cannot be larger.
    case developmentSetTooLarge(developmentCount: Int, trainCount: Int)

    public var description: String {
        switch self {
        case let .notEnoughTrainingExamples(trainCount, validationCount, available):
            return """
                The split needs \(trainCount) training + \(validationCount) validation = \
                \(trainCount + validationCount) training examples, but only \(available) were loaded. \
                Load more training records, or make the training or validation part smaller.
                """
        case let .notEnoughTestExamples(testCount, available):
            return """
                The split needs \(testCount) test examples, but only \(available) were loaded. Load more \
                test records, or make the test part smaller.
                """
        case let .developmentSetTooLarge(developmentCount, trainCount):
            return """
                The development set (\(developmentCount) examples) is drawn from the \(trainCount) training \
                examples without replacement, so it can hold at most \(trainCount). Make it smaller, or the \
                training part larger.
                """
        }
    }
}
