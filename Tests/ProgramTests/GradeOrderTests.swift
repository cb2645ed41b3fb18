import Foundation
import XCTest
@testable import grade

/// The scorecard lists a chapter's exercises in the order the test files declare them, not by name.
final class GradeOrderTests: XCTestCase {
    func testTestsAreSortedAsDeclaredClassFileFirst() {
        let order = DeclarationOrder(files: [
            (name: "BQuestionTests.swift", text: """
                /// Inline questions: one class per chapter has them.
                extension BTests {
                    func test_inlineQuestion1_answer() throws {}
                }
                """),
            (name: "BTests.swift", text: """
                import XCTest
                final class BTests: XCTestCase {
                    func test_zeta_first() throws {}
                    // func test_commentedOut_notATest() throws {}
                    func test_alpha_second() throws {}
                    private func helper() {}
                    func test_zeta_third() throws {}
                }
                private extension Other {
                    func test_notB() {}
                }
                """),
        ])
        XCTAssertEqual(order.tests["BTests"], ["test_zeta_first", "test_alpha_second", "test_zeta_third", "test_inlineQuestion1_answer"])
        let listed = ["test_alpha_second", "test_inlineQuestion1_answer", "test_new_undeclared", "test_zeta_first", "test_zeta_third"]
        XCTAssertEqual(order.sorted(listed, suite: "BTests"),
                       ["test_zeta_first", "test_alpha_second", "test_zeta_third", "test_inlineQuestion1_answer", "test_new_undeclared"])
        XCTAssertEqual(order.sorted(["b", "a"], suite: "NoSuchTests"), ["a", "b"], "without declarations: by name")
    }

    /// The real graded suites: each chapter's exercises in the order of its guide.
    func testChaptersFollowTheirGuides() {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let order = DeclarationOrder(folder: tests.appendingPathComponent("WorkbookTests"))
        func exercises(_ suite: String) -> [String] {
            var seen: [String] = []
            for test in order.tests[suite] ?? [] where !seen.contains(ChapterResult.exercise(of: test)) {
                seen.append(ChapterResult.exercise(of: test))
            }
            return seen
        }
        XCTAssertEqual(exercises("LinearClassifierTests"), [
            "regularizationPenalty", "regularizationGradient", "svmLossNaive", "svmLossVectorized", "softmaxLossNaive",
            "softmaxLossVectorized", "sampleMinibatch", "sgdStep", "predict", "randomWeightSearch",
            "inlineQuestion1", "inlineQuestion2", "inlineQuestion3", "inlineQuestion4", "inlineQuestion5",
        ])
        XCTAssertEqual(exercises("GatesTests"), [
            "AddGate", "MultiplyGate", "MaxGate", "ExpGate", "ReciprocalGate", "AddConstantGate", "MultiplyConstantGate",
            "SigmoidGate", "TanhGate", "ReLUGate", "ComputationalGraph", "topologicalOrder", "addBackward", "multiplyBackward",
            "powerBackward", "expBackward", "tanhBackward", "sigmoidBackward", "reluBackward", "Value", "MatrixMultiplyGate",
            "svmLossStagedForward", "svmLossStagedBackward",
            "inlineQuestion1", "inlineQuestion2", "inlineQuestion3", "inlineQuestion4", "inlineQuestion5",
        ])
        XCTAssertEqual(exercises("KNNTests"), [
            "train", "computeDistancesTwoLoops", "computeDistancesOneLoop", "computeDistancesNoLoops", "computeL1Distances",
            "predictLabels", "makeFolds", "crossValidate", "inlineQuestion1", "inlineQuestion2", "inlineQuestion3", "inlineQuestion4",
        ])
    }
}
