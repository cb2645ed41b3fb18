import GradientCheck
import LinearAlgebra
import XCTest
@testable import linear_classifier

/// The program's gradient check passes correct code for every --loss and --reg-type: an entry whose
/// centred difference spans a kink (a hinge margin at 0, |W| at 0) is named and not counted, and a
/// wrong gradient still fails.
final class GradientCheckKinkTests: XCTestCase {
    /// Data shaped like the program's after preprocessing: pixels minus the mean (about ±128) and the
    /// bias feature 1; N = 20 images, D = 49, C = 10.
    private func data() -> (x: Matrix, y: [Int]) {
        var rng = SeededGenerator(seed: 11)
        let (n, d) = (20, 49)
        let values = (0 ..< n * d).map { $0 % d == d - 1 ? 1 : rng.uniform(-128, 128) }
        return (Matrix(rows: n, cols: d, values), (0 ..< n).map { $0 % 10 })
    }

    /// Small random weights with a tenth of the entries planted on |W|'s kink: exactly 0, or within h of it.
    private func weights(seed: UInt64) -> Matrix {
        var rng = SeededGenerator(seed: seed)
        var w = Matrix.gaussian(49, 10, standardDeviation: 1e-4, using: &rng)
        for i in stride(from: 0, to: w.count, by: 10) { w[flat: i] = i % 20 == 0 ? 0 : 3e-6 }
        return w
    }

    private func program(_ loss: LossKind, _ penalty: RegularizationKind) throws -> LinearClassifierProgram {
        try LinearClassifierProgram.parse(["--loss", loss.rawValue, "--reg-type", penalty.rawValue])
    }

    func testEveryLossAndPenaltyPassesItsCheckOnTheReference() throws {
        let (x, y) = data()
        for loss in LossKind.allCases {
            for penalty in RegularizationKind.allCases {
                let program = try program(loss, penalty)
                let naive = program.lossFunctions.naive
                for seed: UInt64 in 0 ..< 3 {
                    let w = weights(seed: seed)
                    for strength in [0, program.firstStrength] {
                        let dW: Matrix
                        do {
                            dW = try naive(w, x, y, strength, program.regularization).dW
                        } catch let stub as NotImplemented {
                            throw XCTSkip("needs the reference losses (WORKBOOK=solutions): \(stub)")
                        }
                        let check = try program.checkGradient(of: naive, at: w, analytic: dW, x: x, y: y, strength: strength,
                                                              samples: 30, seed: seed)
                        let setting = "--loss \(loss) --reg-type \(penalty), strength \(strength), seed \(seed)"
                        for entry in check where entry.kink == nil {
                            XCTAssertTrue(entry.agrees, "\(setting): \(entry.sample)")
                        }
                        // The bias row's SVM gradient is exactly 0 here (balanced labels, every margin active):
                        // its relative error is rounding over the floor 1e-8, not a wrong gradient.
                        if loss == .svm, strength == 0, let bias = check.first(where: { $0.sample.row == 48 }) {
                            XCTAssertEqual(bias.sample.analytic, 0, accuracy: 1e-12, setting)
                            XCTAssertTrue(bias.agrees, "\(setting): \(bias.sample)")
                        }
                        let onZero = check.filter { abs(w[$0.sample.row, $0.sample.column]) <= 1e-5 }
                        if strength > 0 && penalty != .l2 {
                            XCTAssertFalse(onZero.isEmpty, "\(setting): the planted kinks are drawn")
                            XCTAssertTrue(onZero.allSatisfy { $0.kink == "|W| at 0" }, "\(setting): every entry within h of 0 is a kink")
                        } else if loss == .softmax {
                            XCTAssertTrue(check.allSatisfy { $0.kink == nil }, "\(setting): softmax with L2 (or none) is smooth")
                        }
                    }
                }
            }
        }
    }

    /// With a step large enough to span many hinge margins, the SVM's kinks are found, and every entry
    /// away from them is exact (the hinge loss is piecewise linear).
    func testHingeKinksAreFoundAndTheRestIsExact() throws {
        let (x, y) = data()
        let program = try program(.svm, .l2)
        let naive = program.lossFunctions.naive
        let w = weights(seed: 5) * 100       // scores of a few units: margins on both sides of 0
        let dW: Matrix
        do { dW = try naive(w, x, y, 0, .l2).dW } catch is NotImplemented { throw XCTSkip("needs the reference losses (WORKBOOK=solutions)") }
        let check = try program.checkGradient(of: naive, at: w, analytic: dW, x: x, y: y, strength: 0, samples: 60, seed: 1, step: 3e-3)
        let kinks = check.filter { $0.kink == "a hinge margin at 0" }
        XCTAssertGreaterThan(kinks.count, 0, "a step of 3e-3 moves margins by up to 0.4: some cross 0")
        XCTAssertLessThan(kinks.count, check.count)
        XCTAssertTrue(kinks.contains { !$0.agrees }, "a kink is what breaks the centred difference: \(kinks.map(\.sample))")
        for entry in check where entry.kink == nil {
            XCTAssertTrue(entry.sample.relativeError < 1e-7 || entry.agrees, "\(entry.sample)")
        }
    }

    /// Not counting kinks hides no mistake: a gradient twice too large fails on the entries away from kinks.
    func testAWrongGradientStillFails() throws {
        let (x, y) = data()
        for loss in LossKind.allCases {
            let program = try program(loss, .elastic)
            let naive = program.lossFunctions.naive
            let w = weights(seed: 2)
            let dW: Matrix
            do { dW = try naive(w, x, y, program.firstStrength, program.regularization).dW } catch is NotImplemented {
                throw XCTSkip("needs the reference losses (WORKBOOK=solutions)")
            }
            let check = try program.checkGradient(of: naive, at: w, analytic: dW * 2, x: x, y: y, strength: program.firstStrength,
                                                  samples: 20, seed: 3)
            let wrong = check.filter { $0.kink == nil && !$0.agrees }
            XCTAssertGreaterThan(wrong.count, 10, "\(loss): \(check.map(\.sample))")
        }
    }
}
