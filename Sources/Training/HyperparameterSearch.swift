import Foundation
import LinearAlgebra

/// Random search over hyperparameters in log space, coarse then fine, as the lecture recommends over a
/// grid (Bergstra & Bengio 2012, "Random Search for Hyper-Parameter Optimization": with a few important
/// parameters among many, random points try more distinct values of each).
///
/// The coarse stage draws each setting log-uniformly from its range. The fine stage draws from the
/// ranges around the best coarse results: for each hyperparameter, the span of the best three coarse
/// values, widened by a quarter of the coarse range's width (in log space) on each side and kept inside
/// the coarse range. The caller trains and scores each setting (shorter runs for the coarse stage is the
/// lecture's advice); one that diverges is recorded as failed and the search goes on.
///
/// ```swift
/// var search = HyperparameterSearch(ranges: [.init("learning rate", 1e-4, 1e-2), .init("reg", 1e-4, 1e-1),
///                                            .init("hidden size", 50, 400, integer: true)],
///                                   coarseTrials: 8, fineTrials: 4, seed: 0)
/// let trials = try search.run { trial in … return .trained(validationAccuracy: v, trainAccuracy: t) }
/// ```
public struct HyperparameterSearch {
    /// One hyperparameter's range, searched on a logarithmic scale.
    public struct Range: Sendable, Equatable {
        public let name: String
        public let low: Double, high: Double
        /// Round drawn values to whole numbers (a hidden size).
        public let integer: Bool

        /// - Precondition: 0 < low ≤ high.
        public init(_ name: String, _ low: Double, _ high: Double, integer: Bool = false) {
            require(low > 0 && low <= high && high.isFinite, "HyperparameterSearch.Range \(name): need 0 < low <= high, got \(low) and \(high)")
            (self.name, self.low, self.high, self.integer) = (name, low, high, integer)
        }
    }

    /// Which stage a trial belongs to.
    public enum Stage: String, Sendable { case coarse, fine }

    /// One setting to try: its stage, its number (1-based, over both stages), and a value per range name.
    public struct Trial: Sendable {
        public let stage: Stage
        public let number: Int
        public let values: [String: Double]
    }

    /// What training one setting gave.
    public enum Outcome: Sendable, Equatable {
        case trained(validationAccuracy: Double, trainAccuracy: Double)
        /// It could not be scored (it diverged, say); the reason is shown in the table.
        case failed(String)

        public var validationAccuracy: Double? {
            if case let .trained(accuracy, _) = self { return accuracy }
            return nil
        }
    }

    /// A trial with its outcome.
    public struct Result: Sendable {
        public let trial: Trial
        public let outcome: Outcome
    }

    public let ranges: [Range]
    public let coarseTrials: Int, fineTrials: Int
    private var generator: SeededGenerator

    /// - Parameters:
    ///   - ranges: the hyperparameters, each with its range (distinct names).
    ///   - coarseTrials: settings of the coarse stage, at least 1.
    ///   - fineTrials: settings of the fine stage, 0 or more.
    ///   - seed: the generator of every draw.
    public init(ranges: [Range], coarseTrials: Int, fineTrials: Int, seed: UInt64) {
        require(coarseTrials >= 1 && fineTrials >= 0, "HyperparameterSearch: \(coarseTrials) coarse and \(fineTrials) fine trials")
        require(Set(ranges.map(\.name)).count == ranges.count, "HyperparameterSearch: two ranges share a name")
        self.ranges = ranges
        self.coarseTrials = coarseTrials
        self.fineTrials = fineTrials
        self.generator = SeededGenerator(seed: seed)
    }

    /// Runs both stages; `evaluate` trains and scores one setting.
    /// - Returns: every trial with its outcome, in the order run.
    /// - Throws: whatever `evaluate` throws (it should turn a divergence into `.failed`).
    public mutating func run(_ evaluate: (Trial) throws -> Outcome) throws -> [Result] {
        var results: [Result] = []
        for _ in 0 ..< coarseTrials {
            let trial = Trial(stage: .coarse, number: results.count + 1, values: draw(from: ranges))
            results.append(Result(trial: trial, outcome: try evaluate(trial)))
        }
        guard fineTrials > 0 else { return results }
        let fine = fineRanges(around: results)
        for _ in 0 ..< fineTrials {
            let trial = Trial(stage: .fine, number: results.count + 1, values: draw(from: fine))
            results.append(Result(trial: trial, outcome: try evaluate(trial)))
        }
        return results
    }

    /// The fine stage's ranges: around the best three scored results (the coarse ranges when none scored).
    public func fineRanges(around results: [Result]) -> [Range] {
        let best = results.filter { $0.outcome.validationAccuracy != nil }
            .sorted { ($0.outcome.validationAccuracy!, -$0.trial.number) > ($1.outcome.validationAccuracy!, -$1.trial.number) }
            .prefix(3)
        guard !best.isEmpty else { return ranges }
        return ranges.map { range in
            let logs = best.map { log($0.trial.values[range.name]!) }
            let margin = (log(range.high) - log(range.low)) / 4
            let low = max(log(range.low), logs.min()! - margin), high = min(log(range.high), logs.max()! + margin)
            return Range(range.name, exp(low), exp(max(low, high)), integer: range.integer)
        }
    }

    private mutating func draw(from ranges: [Range]) -> [String: Double] {
        var values: [String: Double] = [:]
        for range in ranges {
            let value = exp(generator.uniform(log(range.low), log(range.high)))
            values[range.name] = range.integer ? max(1, value.rounded()) : value
        }
        return values
    }
}

extension Array where Element == HyperparameterSearch.Result {
    /// The result with the highest validation accuracy (the earliest on a tie), nil when none scored.
    public var best: HyperparameterSearch.Result? {
        filter { $0.outcome.validationAccuracy != nil }
            .max { ($0.outcome.validationAccuracy!, -$0.trial.number) < ($1.outcome.validationAccuracy!, -$1.trial.number) }
    }
}
