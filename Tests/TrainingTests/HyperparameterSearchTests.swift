import Foundation
import XCTest
@testable import Training

/// Random search in log space, coarse then fine.
final class HyperparameterSearchTests: XCTestCase {
    private let ranges = [HyperparameterSearch.Range("lr", 1e-4, 1e-1), HyperparameterSearch.Range("hidden", 10, 1_000, integer: true)]

    func testCoarseDrawsAreLogUniformInsideTheRanges() throws {
        var search = HyperparameterSearch(ranges: ranges, coarseTrials: 400, fineTrials: 0, seed: 1)
        let results = try search.run { _ in .failed("not trained") }
        XCTAssertEqual(results.count, 400)
        let lrs = results.map { $0.trial.values["lr"]! }, hidden = results.map { $0.trial.values["hidden"]! }
        XCTAssertTrue(lrs.allSatisfy { $0 >= 1e-4 && $0 < 1e-1 })
        XCTAssertTrue(hidden.allSatisfy { $0 >= 10 && $0 <= 1_000 && $0 == $0.rounded() })
        // Log-uniform: each of the three decades holds about a third (a uniform draw would put 90% in the last).
        for decade in [1e-4, 1e-3, 1e-2] {
            let share = Double(lrs.filter { $0 >= decade && $0 < 10 * decade }.count) / 400
            XCTAssertEqual(share, 1.0 / 3.0, accuracy: 0.08, "decade \(decade)")
        }
        XCTAssertTrue(results.allSatisfy { $0.trial.stage == .coarse })
        XCTAssertEqual(results.map(\.trial.number), Array(1 ... 400))
    }

    func testTheSameSeedDrawsTheSameSettings() throws {
        func values(_ seed: UInt64) throws -> [[String: Double]] {
            var search = HyperparameterSearch(ranges: ranges, coarseTrials: 3, fineTrials: 2, seed: seed)
            return try search.run { trial in .trained(validationAccuracy: trial.values["lr"]!, trainAccuracy: 0) }.map(\.trial.values)
        }
        XCTAssertEqual(try values(4), try values(4))
        XCTAssertNotEqual(try values(4), try values(5))
    }

    func testTheFineRangesSurroundTheBestThreeCoarseResults() {
        let search = HyperparameterSearch(ranges: ranges, coarseTrials: 5, fineTrials: 5, seed: 0)
        func result(_ number: Int, lr: Double, hidden: Double, _ outcome: HyperparameterSearch.Outcome) -> HyperparameterSearch.Result {
            .init(trial: .init(stage: .coarse, number: number, values: ["lr": lr, "hidden": hidden]), outcome: outcome)
        }
        let results = [
            result(1, lr: 1e-2, hidden: 100, .trained(validationAccuracy: 0.40, trainAccuracy: 0.5)),
            result(2, lr: 1e-3, hidden: 200, .trained(validationAccuracy: 0.45, trainAccuracy: 0.5)),
            result(3, lr: 5e-2, hidden: 900, .failed("diverged")),                  // no score: not among the best
            result(4, lr: 2e-3, hidden: 400, .trained(validationAccuracy: 0.44, trainAccuracy: 0.5)),
            result(5, lr: 1e-4, hidden: 10, .trained(validationAccuracy: 0.20, trainAccuracy: 0.2)),
        ]
        let fine = search.fineRanges(around: results)
        // lr: the best three span 1e-3 … 1e-2; a quarter of the coarse range (three decades) is 10^0.75 on each side.
        XCTAssertEqual(fine[0].name, "lr")
        XCTAssertEqual(log10(fine[0].low), -3.75, accuracy: 1e-12)
        XCTAssertEqual(log10(fine[0].high), -1.25, accuracy: 1e-12)
        // hidden: 100 … 400 widened by 10^0.5 on each side, the top clipped at 1,000.
        XCTAssertEqual(fine[1].low, 100 / 10.0.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(fine[1].high, 1_000, accuracy: 1e-9)
        XCTAssertTrue(fine[1].integer)
        XCTAssertEqual(results.best?.trial.number, 2)
    }

    func testFineTrialsAreDrawnFromTheFineRanges() throws {
        var search = HyperparameterSearch(ranges: [.init("lr", 1e-6, 1)], coarseTrials: 6, fineTrials: 20, seed: 2)
        // The score peaks at lr = 1e-3, so the fine stage should crowd around it.
        let results = try search.run { trial in
            .trained(validationAccuracy: 1 - abs(log10(trial.values["lr"]!) + 3) / 10, trainAccuracy: 0)
        }
        let coarse = Array(results.prefix(6)), fine = results.dropFirst(6)
        let ranges = search.fineRanges(around: coarse)
        XCTAssertTrue(fine.allSatisfy { $0.trial.stage == .fine && $0.trial.values["lr"]! >= ranges[0].low && $0.trial.values["lr"]! <= ranges[0].high })
        XCTAssertLessThan(log10(ranges[0].high) - log10(ranges[0].low), 6, "the fine range is narrower than the coarse one")
    }

    func testBestIgnoresFailuresAndPrefersTheEarliestOnATie() {
        let trial = { (n: Int) in HyperparameterSearch.Trial(stage: .coarse, number: n, values: [:]) }
        let results: [HyperparameterSearch.Result] = [
            .init(trial: trial(1), outcome: .failed("diverged")),
            .init(trial: trial(2), outcome: .trained(validationAccuracy: 0.5, trainAccuracy: 0.6)),
            .init(trial: trial(3), outcome: .trained(validationAccuracy: 0.5, trainAccuracy: 0.7)),
        ]
        XCTAssertEqual(results.best?.trial.number, 2)
        XCTAssertNil(Array(results.prefix(1)).best)
        let search = HyperparameterSearch(ranges: ranges, coarseTrials: 1, fineTrials: 1, seed: 0)
        XCTAssertEqual(search.fineRanges(around: Array(results.prefix(1))), ranges, "nothing scored: the fine stage searches the whole range")
    }
}
