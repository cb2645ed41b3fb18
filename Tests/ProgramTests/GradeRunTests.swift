import ArgumentParser
import Foundation
import XCTest
@testable import grade

/// How `grade` runs a chapter: crashes, endless loops and progress, against a fake `swift test`.
final class GradeRunTests: XCTestCase {
    private func outcomes(_ result: ChapterResult) -> [String: TestOutcome] {
        Dictionary(uniqueKeysWithValues: result.exercises.flatMap(\.tests).map { ($0.name, $0.outcome) })
    }

    /// Issue 11: three crashing exercises in chapter 1 made the correct `train` "did not run" and three
    /// `predictLabels` tests "not run", because a crashed test was counted twice in the loop's condition.
    func testSeveralCrashesInOneChapterStillGradeEveryOtherTest() throws {
        let crashing = ["test_computeL1Distances_lectureExample", "test_computeL1Distances_matchesReference",
                        "test_predictLabels_tiesGoToTheSmallerLabel", "test_predictLabels_majorityVote",
                        "test_predictLabels_oneNearestNeighbourOnTrainingDataIsPerfect", "test_makeFolds_partitionsWithoutOverlap"]
        let fake = FakeSwiftTest(tests: knnTests, behaviour: Dictionary(uniqueKeysWithValues: crashing.map { ($0, .crash) }))
        let result = try Chapter(suite: "KNNTests", tests: knnTests).grade(timeLimit: 120, using: fake)
        let outcomes = outcomes(result)
        for test in knnTests {
            if crashing.contains(test) {
                XCTAssertEqual(outcomes[test], .crashed("Fatal error: Index out of range"), test)
            } else {
                XCTAssertEqual(outcomes[test], .passed, "\(test) passes and must be graded as passed")
            }
        }
        XCTAssertEqual(fake.runs.count, crashing.count + 1, "one run per crash, then one that finishes")
        XCTAssertEqual(fake.starts.values.max(), 1, "no test runs twice")
        let status = Dictionary(uniqueKeysWithValues: result.exercises.map { ($0.name, $0.status) })
        XCTAssertEqual(status["train"], .passed)
        XCTAssertEqual(status["crossValidate"], .passed)
        XCTAssertEqual(status["computeL1Distances"], .crashed)
        XCTAssertEqual(status["predictLabels"], .crashed)
        XCTAssertEqual(status["makeFolds"], .crashed)
    }

    /// Crashes in every test, the first and the last included: each is graded once and the loop ends.
    func testEveryTestCrashing() throws {
        let fake = FakeSwiftTest(tests: knnTests, behaviour: Dictionary(uniqueKeysWithValues: knnTests.map { ($0, .crash) }))
        let result = try Chapter(suite: "KNNTests", tests: knnTests).grade(timeLimit: 120, using: fake)
        XCTAssertEqual(result.exercises.map(\.status), Array(repeating: .crashed, count: result.exercises.count))
        XCTAssertEqual(fake.runs.count, knnTests.count)
    }

    /// Issue 11: a missing increment cost the full limit in each of the exercise's tests. Once one test
    /// has timed out, the exercise's other tests are reported without being run; other exercises run.
    func testATimeOutSkipsTheRestOfItsExerciseOnly() throws {
        let looping = ["test_computeDistancesNoLoops_matchesReference", "test_computeDistancesNoLoops_duplicateImageIsZeroNotNaN"]
        let fake = FakeSwiftTest(tests: knnTests, behaviour: Dictionary(uniqueKeysWithValues: looping.map { ($0, .loop()) }))
        let progress = RecordedProgress()
        let result = try Chapter(suite: "KNNTests", tests: knnTests).grade(timeLimit: 20, using: fake, progress: progress)
        let outcomes = outcomes(result)
        guard case let .timedOut(why) = outcomes[looping[0]] else { return XCTFail("the looping test is graded as timed out: \(String(describing: outcomes[looping[0]]))") }
        XCTAssertTrue(why.hasPrefix("did not finish within 20 s (an endless loop?)"), why)
        XCTAssertEqual(outcomes[looping[1]], .notRun("computeDistancesNoLoops loops (stopped in \(looping[0]))"))
        XCTAssertNil(fake.starts[looping[1]], "the exercise's second test is not run after the first timed out")
        XCTAssertEqual(fake.starts.values.max(), 1)
        for test in knnTests where !looping.contains(test) { XCTAssertEqual(outcomes[test], .passed, test) }
        XCTAssertTrue(progress.events.contains("computeDistancesNoLoops: \(looping[1]) not run: computeDistancesNoLoops loops (stopped in \(looping[0]))"),
                      "\(progress.events)")
    }

    /// A loop reached through another exercise: the runtime's backtrace (on SIGQUIT) says where it
    /// stood, and the exercise where it loops is the one whose other tests are not run; the test's own
    /// exercise keeps its other tests.
    func testATimeOutIsChargedToTheExerciseWhereItLoops() throws {
        let where_ = "KNearestNeighbor.computeDistancesNoLoops(_:)"
        let fake = FakeSwiftTest(tests: knnTests, behaviour: [
            "test_predictLabels_tiesGoToTheSmallerLabel": .loop(in: where_),
            "test_computeDistancesNoLoops_matchesReference": .pass,
            "test_computeDistancesNoLoops_duplicateImageIsZeroNotNaN": .loop(in: where_),
        ])
        // Run the predictLabels test first, as if it came first in the suite.
        let order = ["test_predictLabels_tiesGoToTheSmallerLabel"] + knnTests.filter { $0 != "test_predictLabels_tiesGoToTheSmallerLabel" }
        let result = try Chapter(suite: "KNNTests", tests: order).grade(timeLimit: 20, using: FakeSwiftTest(tests: order, behaviour: fake.behaviour))
        let outcomes = outcomes(result)
        XCTAssertEqual(outcomes["test_predictLabels_tiesGoToTheSmallerLabel"], .blocked(exercise: "computeDistancesNoLoops", why:
            "stopped after 20 s in the endless loop of computeDistancesNoLoops, in \(where_) at Exercises/01-knn/KNearestNeighbor.swift:127"),
            "another exercise's loop is not charged to predictLabels")
        XCTAssertEqual(outcomes["test_predictLabels_majorityVote"], .passed, "predictLabels' own tests still run")
        let why = TestOutcome.notRun("computeDistancesNoLoops loops (stopped in test_predictLabels_tiesGoToTheSmallerLabel)")
        XCTAssertEqual(outcomes["test_computeDistancesNoLoops_duplicateImageIsZeroNotNaN"], why)
        XCTAssertEqual(outcomes["test_computeDistancesNoLoops_matchesReference"], why)
        let status = Dictionary(uniqueKeysWithValues: result.exercises.map { ($0.name, $0.status) })
        XCTAssertEqual(status["predictLabels"], .skipped, "waiting for computeDistancesNoLoops, not crashed")
        XCTAssertEqual(status["computeDistancesNoLoops"], .timedOut)
        let noLoops = try XCTUnwrap(result.exercises.first { $0.name == "computeDistancesNoLoops" })
        XCTAssertEqual(ReportText.summary(of: noLoops), "timed out: computeDistancesNoLoops loops (stopped in test_predictLabels_tiesGoToTheSmallerLabel)",
                       "the reports say why an exercise none of whose tests ran timed out")
    }

    /// The fresh tester's case: an endless loop in a function that other exercises call too. The loop is
    /// charged to its exercise once (its other tests are not run, said in one line); the tests of other
    /// exercises that stop in it are not charged with it (their exercise waits); the hint on the time
    /// limit is said once; an exercise that does not reach the loop is graded as usual.
    func testALoopIsSaidOnceAndChargedOnlyToItsExercise() throws {
        let loop = "makeFolds(count:folds:)"
        let tests = ["test_makeFolds_a", "test_makeFolds_b", "test_makeFolds_c", "test_crossValidate_a", "test_crossValidate_b", "test_train_a"]
        var behaviour = Dictionary(uniqueKeysWithValues: tests.dropLast().map { ($0, FakeSwiftTest.Behaviour.loop(in: loop)) })
        behaviour["test_train_a"] = .fail("✗ train (Exercises/01-knn/KNearestNeighbor.swift): xTrain is 3 x 4, expected 5 x 4\n  hint: keep all of x")
        let fake = FakeSwiftTest(tests: tests, behaviour: behaviour)
        let progress = RecordedProgress()
        let result = try Chapter(suite: "KNNTests", tests: tests).grade(timeLimit: 20, using: fake, progress: progress)
        let outcomes = outcomes(result)
        XCTAssertEqual(outcomes["test_makeFolds_a"], .timedOut(
            "did not finish within 20 s (an endless loop?): stopped in \(loop) at Exercises/01-knn/KNearestNeighbor.swift:127"))
        for test in ["test_makeFolds_b", "test_makeFolds_c"] {
            XCTAssertEqual(outcomes[test], .notRun("makeFolds loops (stopped in test_makeFolds_a)"))
            XCTAssertNil(fake.starts[test], "\(test) is not run: makeFolds is known to loop")
        }
        XCTAssertEqual(progress.events.filter { $0.contains("not run") },
                       ["makeFolds: test_makeFolds_b, test_makeFolds_c not run: makeFolds loops (stopped in test_makeFolds_a)"], "said once")
        for test in ["test_crossValidate_a", "test_crossValidate_b"] {
            guard case .blocked(exercise: "makeFolds", _) = outcomes[test] else { return XCTFail("\(test): \(String(describing: outcomes[test]))") }
        }
        XCTAssertEqual(fake.limits.map(\.seconds), [20, 10, 10, 10], "the full limit once, then the shorter one")
        let status = Dictionary(uniqueKeysWithValues: result.exercises.map { ($0.name, $0.status) })
        XCTAssertEqual(status, ["makeFolds": .timedOut, "crossValidate": .skipped, "train": .failed], "train is graded as usual")
        let card = Scorecard(results: [result], track: "exercises").render(verbose: false)
        XCTAssertEqual(card.components(separatedBy: "is stopped as an endless loop").count - 1, 1, "the hint once:\n\(card)")
        XCTAssertTrue(card.contains("      test_crossValidate_b: stopped after 10 s in the endless loop of makeFolds, as in test_makeFolds_a\n"), card)
        XCTAssertTrue(card.contains("  ⏱ makeFolds: timed out (an endless loop?)\n"), card)
        XCTAssertTrue(card.contains("      not run (2 tests): makeFolds loops (stopped in test_makeFolds_a): test_makeFolds_b, test_makeFolds_c\n"), card)
        XCTAssertTrue(card.contains("  - crossValidate: waiting (its tests stopped in the endless loop of makeFolds)\n"), card)
        XCTAssertTrue(card.contains("      hint: keep all of x"), "a failure's hint without --verbose:\n\(card)")
    }

    /// Two exercises crashing at once, each by its own trap: each gets its own crash line.
    func testTwoExercisesCrashingEachGetTheirOwnLine() throws {
        let tests = ["test_convOutputSize_a", "test_convOutputSize_b", "test_receptiveField_a", "test_convParameterCount_a"]
        let fake = FakeSwiftTest(suite: "ConvolutionalNetworkTests", tests: tests,
                                 behaviour: ["test_convOutputSize_a": .crash, "test_convOutputSize_b": .crash, "test_receptiveField_a": .crash])
        let result = try Chapter(suite: "ConvolutionalNetworkTests", tests: tests).grade(timeLimit: 20, using: fake)
        let card = Scorecard(results: [result], track: "exercises").render(verbose: false)
        for test in tests.dropLast() {
            XCTAssertTrue(card.contains("      \(test): crashed: Fatal error: Index out of range\n"), "\(test):\n\(card)")
        }
        XCTAssertEqual(result.exercises.map(\.status), [.crashed, .crashed, .passed])
    }

    /// A loop stopped on the thread that waits for it (a parallel loop over blocks): the looping thread's
    /// frame is the one that names an exercise. The threads as Swift 6.3 printed them on SIGQUIT.
    func testALoopOnAnotherThreadIsFound() {
        let log = TestLog(#"""
            Test Case 'KNNTests.test_predictLabels_oneNearestNeighbourOnTrainingDataIsPerfect' started at 2026-12-01 21:14:02.100

            *** Signal 3: Backtracing from 0x7f1c2a0d5f16... done ***

            Thread 0 "DeepLearningWor" crashed:

              0               0x00007f1c2a0d5f16 __futex_abstimed_wait_common + 198 in libc.so.6
              1 [ra]          0x000055d1c2a4b9d1 KNearestNeighbor.predict(_:k:metric:blockSize:progress:) + 1201 in DeepLearningWorkbookPackageTests.xctest at /w/Exercises/01-knn/KNearestNeighbor.swift:209:13

            Thread 1 "r-initiated-qos":

              0               0x000055d1c2a48e78 KNearestNeighbor.computeDistancesNoLoops(_:) + 760 in DeepLearningWorkbookPackageTests.xctest at /w/Exercises/01-knn/KNearestNeighbor.swift:127:101
              1 [ra]          0x000055d1c2a4c001 closure #1 in KNearestNeighbor.predict(_:k:metric:blockSize:progress:) + 99 in DeepLearningWorkbookPackageTests.xctest at /w/Exercises/01-knn/KNearestNeighbor.swift:205:30

            Backtrace took 1.47s
            """#)
        let test = "test_predictLabels_oneNearestNeighbourOnTrainingDataIsPerfect"
        XCTAssertEqual(log.stoppedFrame(for: test, exercises: ["computeDistancesNoLoops", "predictLabels"])?.description,
                       "KNearestNeighbor.computeDistancesNoLoops(_:) at Exercises/01-knn/KNearestNeighbor.swift:127")
        XCTAssertEqual(log.stoppedFrame(for: test, exercises: ["train"])?.description,
                       "KNearestNeighbor.predict(_:k:metric:blockSize:progress:) at Exercises/01-knn/KNearestNeighbor.swift:209",
                       "no exercise among the frames: the crashed thread's")
    }

    /// The fresh tester's loop: a tight loop in a stub is printed without a line ("… at
    /// /w/Exercises/01-knn/CrossValidation.swift"), and such a frame was not taken as the workbook's, so
    /// the loop was charged to each test's own exercise. Swift 6.3's output on SIGQUIT, threads shortened.
    func testALoopPrintedWithoutALineIsFound() {
        let log = TestLog(#"""
            Test Case 'KNNTests.test_crossValidate_matchesReference' started at 2026-12-02 02:09:28.590

            *** Signal 3: Backtracing from 0x558637bfde92... done ***

            *** Program crashed: Terminated at 0x0000000000002c4d ***

            Thread 0 "DeepLearningWor" crashed:

              0               0x0000558637bfde92 makeFolds(count:folds:) + 98 in DeepLearningWorkbookPackageTests.xctest at /work/wt-polish/Exercises/01-knn/CrossValidation.swift
              1 [ra]          0x0000558637caf51b closure #1 in KNNTests.test_makeFolds_contiguousBlocksInOrder() + 42 in DeepLearningWorkbookPackageTests.xctest at /work/wt-polish/Tests/WorkbookTests/01-knn/KNNTests.swift:213:41
              2 [ra] [thunk]  0x0000558637cb32c4 partial apply for closure #1 in KNNTests.test_makeFolds_contiguousBlocksInOrder() + 19 in DeepLearningWorkbookPackageTests.xctest at //<compiler-generated>

            Thread 1 "r-initiated-qos":

              0  0x00007f80f46dbf16 __futex_abstimed_wait_common + 198 in libc.so.6

            Backtrace took 1.02s
            """#)
        let frame = log.stoppedFrame(for: "test_crossValidate_matchesReference", exercises: ["makeFolds", "crossValidate"])
        XCTAssertEqual(frame?.description, "makeFolds(count:folds:) in Exercises/01-knn/CrossValidation.swift "
                       + "(no line: the backtrace gives none for the instruction where it stopped)", "no line, and the message says so")
        XCTAssertEqual(frame?.exercise(among: ["makeFolds", "crossValidate"]), "makeFolds")
    }

    /// Issue: with `--time-limit 10` the loop's line was missing, with the default limit it was there.
    /// Not the limit: a tight loop's instructions are tied to no line about half of the time in a debug
    /// build (a SIGQUIT sample of one loop gave `CrossValidation.swift:21:29` or the file alone at any
    /// time), and then the line is looked up at the frame's address in the image the backtrace lists.
    func testALineThatTheBacktraceLeavesOutIsLookedUp() throws {
        let text = #"""
            Test Case 'KNNTests.test_makeFolds_contiguousBlocksInOrder' started at 2026-12-02 05:54:10.101

            *** Program crashed: Terminated at 0x00000000000071d1 ***

            Thread 0 "DeepLearningWor" crashed:

              0               0x000055f80cf91af3 makeFolds(count:folds:) + 179 in DeepLearningWorkbookPackageTests.xctest at /w/Exercises/01-knn/CrossValidation.swift
              1 [ra]          0x000055f80d04b0fb closure #1 in KNNTests.test_makeFolds_contiguousBlocksInOrder() + 42 in DeepLearningWorkbookPackageTests.xctest at /w/Tests/WorkbookTests/01-knn/KNNTests.swift:213:41

            Images (30 omitted):

            0x000055f80cb59000–0x000055f80d371ff8 adfea54bfa58f143b11f2cf12b21d367cadb0de6 DeepLearningWorkbookPackageTests.xctest /w/.build/x86_64-unknown-linux-gnu/debug/DeepLearningWorkbookPackageTests.xctest
            0x00007f678b656000–0x00007f678b7d10fc 93ac61ec5a8eb1396f9fbd350e3169a558528a40 libc.so.6                               /usr/lib/x86_64-linux-gnu/libc.so.6

            Backtrace took 0.32s
            """#
        let log = TestLog(text)
        var asked: [(UInt64, String, [BacktraceImage])] = []
        let frame = log.stoppedFrame(for: "test_makeFolds_contiguousBlocksInOrder", exercises: ["makeFolds"]) { address, file, images in
            asked.append((address, file, images))
            return 21
        }
        XCTAssertEqual(frame?.description, "makeFolds(count:folds:) at Exercises/01-knn/CrossValidation.swift:21")
        XCTAssertEqual(asked.count, 1)
        XCTAssertEqual(asked.first?.0, 0x55f8_0cf9_1af3)
        XCTAssertEqual(asked.first?.1, "/w/Exercises/01-knn/CrossValidation.swift")
        XCTAssertEqual(asked.first?.2, [
            BacktraceImage("0x000055f80cb59000–0x000055f80d371ff8 adfe DeepLearningWorkbookPackageTests.xctest /w/.build/x86_64-unknown-linux-gnu/debug/DeepLearningWorkbookPackageTests.xctest")!,
            BacktraceImage("0x00007f678b656000–0x00007f678b7d10fc 93ac libc.so.6 /usr/lib/x86_64-linux-gnu/libc.so.6")!,
        ])
        XCTAssertEqual(asked.first?.2.first?.start, 0x55f8_0cb5_9000)
        XCTAssertEqual(asked.first?.2.first?.path, "/w/.build/x86_64-unknown-linux-gnu/debug/DeepLearningWorkbookPackageTests.xctest")
        // A frame with its line is not looked up.
        let lined = TestLog(text.replacingOccurrences(of: "CrossValidation.swift\n", with: "CrossValidation.swift:21:29\n"))
        XCTAssertEqual(lined.stoppedFrame(for: "test_makeFolds_contiguousBlocksInOrder", exercises: ["makeFolds"]) { _, _, _ in XCTFail("looked up"); return 1 }?.line, 21)
    }

    /// The line for an instruction tied to none is the next one in the same function: llvm-symbolizer's
    /// answers for the bytes from the stopped instruction on (recorded from the makeFolds loop above: the
    /// loop's top is line 0, then the condition on line 21).
    func testTheNearestLineIsTheNextOneInTheSameFunction() {
        let file = "/w/Exercises/01-knn/CrossValidation.swift"
        let answers = """
            $s8Workbook9makeFolds5count5foldsSaySaySiGGSi_SitKF
            /w/Exercises/01-knn/CrossValidation.swift:0:17

            $s8Workbook9makeFolds5count5foldsSaySaySiGGSi_SitKF
            /w/Exercises/01-knn/CrossValidation.swift:0:17

            $s8Workbook9makeFolds5count5foldsSaySaySiGGSi_SitKF
            /w/Exercises/01-knn/CrossValidation.swift:21:13

            $s8Workbook9makeFolds5count5foldsSaySaySiGGSi_SitKF
            /w/Exercises/01-knn/CrossValidation.swift:22:5


            """
        XCTAssertEqual(NearestLine.firstLine(in: answers, file: file), 21)
        let inlined = """
            $s8Workbook9makeFolds5count5foldsSaySaySiGGSi_SitKF
            /w/Exercises/01-knn/CrossValidation.swift:0:17

            $s8Workbook9makeFolds5count5foldsSaySaySiGGSi_SitKF
            /swift/stdlib/public/core/Range.swift:310:5

            $s8Workbook9makeFolds5count5foldsSaySaySiGGSi_SitKF
            /w/Exercises/01-knn/CrossValidation.swift:23:9
            """
        XCTAssertEqual(NearestLine.firstLine(in: inlined, file: file), 23, "a line in another file (inlined code) is passed over")
        let nextFunction = """
            $s8Workbook9makeFolds5count5foldsSaySaySiGGSi_SitKF
            /w/Exercises/01-knn/CrossValidation.swift:0:17

            $s8Workbook13crossValidate1x1y8kChoices5folds6metric8progressSaySaySdGG
            /w/Exercises/01-knn/CrossValidation.swift:40:1
            """
        XCTAssertNil(NearestLine.firstLine(in: nextFunction, file: file), "not a line of the next function")
        XCTAssertNil(NearestLine.firstLine(in: "", file: file))
        XCTAssertNil(NearestLine.find(address: 0x1000, file: file, images: []), "no image, no look-up")
    }

    /// Issue 11: one missing increment cost the full limit in every test that reached it. After a first
    /// loop the limit drops to a quarter (at least 10 s); a test stopped there in the same loop is graded
    /// at once, and one stopped elsewhere (only slow) runs again with the full limit and passes.
    func testAfterALoopTheLimitDropsWithoutFailingSlowCode() throws {
        let loop = "KNearestNeighbor.computeDistancesNoLoops(_:)"
        let fake = FakeSwiftTest(tests: knnTests, behaviour: [
            "test_computeDistancesNoLoops_matchesReference": .loop(in: loop),
            "test_predictLabels_oneNearestNeighbourOnTrainingDataIsPerfect": .loop(in: loop),
            "test_makeFolds_partitionsWithoutOverlap": .takes(seconds: 20),
            "test_crossValidate_matchesReference": .loop(in: loop),
        ])
        let progress = RecordedProgress()
        let result = try Chapter(suite: "KNNTests", tests: knnTests).grade(timeLimit: 60, using: fake, progress: progress)
        let outcomes = outcomes(result)
        XCTAssertEqual(Chapter.shorterLimit(60), 15)
        XCTAssertEqual(Chapter.shorterLimit(120), 30)
        XCTAssertEqual(Chapter.shorterLimit(20), 10)
        XCTAssertEqual(Chapter.shorterLimit(5), 5)
        XCTAssertEqual(fake.limits.map(\.seconds), [60, 15, 15, 60],
                       "full, then shorter after the loop; the full limit again for the run that repeats the slow test")
        XCTAssertEqual(outcomes["test_predictLabels_oneNearestNeighbourOnTrainingDataIsPerfect"], .blocked(exercise: "computeDistancesNoLoops", why:
            "stopped after 15 s in the endless loop of computeDistancesNoLoops, as in test_computeDistancesNoLoops_matchesReference"))
        XCTAssertEqual(outcomes["test_makeFolds_partitionsWithoutOverlap"], .passed, "slow but correct: passed at the full limit")
        XCTAssertEqual(fake.starts["test_makeFolds_partitionsWithoutOverlap"], 2)
        XCTAssertTrue(progress.events.contains("test_makeFolds_partitionsWithoutOverlap again"))
        guard case .blocked(exercise: "computeDistancesNoLoops", _) = outcomes["test_crossValidate_matchesReference"] else {
            return XCTFail("crossValidate stops in the same loop")
        }
        XCTAssertEqual(outcomes["test_predictLabels_majorityVote"], .passed)
    }

    /// The exercise a stopped frame is charged to: the most specific name in it that is an exercise.
    func testAStoppedFrameNamesTheMostSpecificExercise() throws {
        func frame(_ symbol: String) throws -> StoppedFrame {
            try XCTUnwrap(BacktraceFrame(Substring("  0  0x000056502d8dae99 \(symbol) + 793 in X.xctest at /w/Exercises/03-backpropagation/Value.swift:40:5")).flatMap { StoppedFrame($0) })
        }
        let gates = ["AddGate", "topologicalOrder", "addBackward", "Value", "predict"]
        XCTAssertEqual(try frame("Value.addBackward()").exercise(among: gates), "addBackward")
        XCTAssertEqual(try frame("closure #1 in Value.topologicalOrder()").exercise(among: gates), "topologicalOrder")
        XCTAssertEqual(try frame("AddGate.forward(_:)").exercise(among: gates), "AddGate")
        XCTAssertEqual(try frame("Value.init(_:label:)").exercise(among: gates), "Value")
        XCTAssertEqual(try frame("train(predict:)").exercise(among: gates), nil, "a parameter label is not the function")
        XCTAssertEqual(try frame("Value.addBackward()").description, "Value.addBackward() at Exercises/03-backpropagation/Value.swift:40")
    }

    /// The limit is per test: every test's "started" line restarts the clock (a chapter whose tests take
    /// 3 minutes in all is not stopped by a 2-minute limit), and it is the `--time-limit` value.
    func testTheTimeLimitRestartsAtEveryTest() throws {
        let fake = FakeSwiftTest(tests: knnTests)
        _ = try Chapter(suite: "KNNTests", tests: knnTests).grade(timeLimit: 45, using: fake)
        let limit = try XCTUnwrap(fake.limits.first)
        XCTAssertEqual(limit.seconds, 45)
        XCTAssertTrue(limit.restarts("Test Case 'KNNTests.test_train_memorisesTheData' started at 2026-12-01 20:40:00.002"))
        XCTAssertTrue(limit.restarts("Test Case '-[WorkbookTests.KNNTests test_train_memorisesTheData]' started."))
        XCTAssertFalse(limit.restarts("Test Case 'KNNTests.test_train_memorisesTheData' passed (0.004 seconds)"))
        XCTAssertFalse(limit.restarts("Test Suite 'KNNTests' started at 2026-12-01 20:40:00.001"))
    }

    /// Progress per test while a chapter runs: each test's start, numbered, then how it ended.
    func testProgressNamesEveryTestAsItRuns() throws {
        let tests = Array(knnTests.prefix(3))
        let fake = FakeSwiftTest(tests: tests, behaviour: [tests[1]: .crash, tests[2]: .skip("not implemented: computeDistancesOneLoop(_:) in Exercises/01-knn/KNearestNeighbor.swift")])
        let progress = RecordedProgress()
        _ = try Chapter(suite: "KNNTests", tests: tests).grade(timeLimit: 120, using: fake, progress: progress)
        XCTAssertEqual(progress.events, [
            "[1/3] \(tests[0])", "\(tests[0]) passed",
            "[2/3] \(tests[1])", "\(tests[1]) stopped",
            "[3/3] \(tests[2])", "\(tests[2]) not implemented",
        ])
    }

    /// The real runner: the watchdog restarts at every "started" line, stops a run that is silent for too
    /// long (its child process too), and lines reach the caller while the process still runs.
    func testTheRealRunnerStopsOnlyASilentTest() throws {
        let script = { (pause: String) in
            "for i in 1 2 3 4 5; do echo \"Test Case 'S.test_$i' started at now\"; sleep \(pause); done; echo end"
        }
        let runner = SwiftPM(command: ["sh", "-c"])
        let limit = TimeLimit(seconds: 1.5) { $0.hasSuffix("started at now") }
        var seen: [(String, Date)] = []
        let start = Date()
        let steady = try runner.run([script("0.5")], timeLimit: limit) { seen.append((String($0), Date())) }
        XCTAssertFalse(steady.timedOut, "five tests of 0.5 s each stay within a 1.5 s limit per test")
        XCTAssertEqual(seen.last?.0, "end")
        XCTAssertLessThan(seen[0].1.timeIntervalSince(start), 1.5, "the first line arrives before the run ends")

        let begun = Date()
        let stuck = try runner.run(["echo \"Test Case 'S.test_1' started at now\"; sleep 30"], timeLimit: limit) { _ in }
        XCTAssertTrue(stuck.timedOut)
        XCTAssertLessThan(Date().timeIntervalSince(begun), 10, "stopped at the limit, not after the 30 s sleep")
    }

    /// A stopped test process is first asked for its backtrace (SIGQUIT, which the Swift runtime answers
    /// with the stopped thread's frames and "Backtrace took …"), and killed as soon as it has printed it,
    /// not after the whole grace period. Here a shell stands in for the test process.
    func testTheRealRunnerWaitsForTheBacktraceOnly() throws {
        let child = #"trap 'echo "Thread 0 crashed:"; echo "Backtrace took 0.01s"' QUIT; echo "Test Case 'S.test_1' started at now"; while :; do sleep 0.1; done"#
        let runner = SwiftPM(command: ["sh", "-c"])
        let limit = TimeLimit(seconds: 1) { $0.hasSuffix("started at now") }
        let begun = Date()
        let run = try runner.run(["sh -c '\(child.replacingOccurrences(of: "'", with: "'\\''"))'; echo after"], timeLimit: limit) { _ in }
        let elapsed = Date().timeIntervalSince(begun)
        XCTAssertTrue(run.timedOut)
        XCTAssertTrue(run.output.contains("Backtrace took 0.01s"), run.output)
        XCTAssertLessThan(elapsed, 1 + SwiftPM.backtraceSeconds / 2, "killed once the backtrace is printed")
    }
}

/// Ctrl-C on `grade` left `swift test` and a looping test process running at full CPU (they are in process
/// groups of their own): the runs in progress, and what they started, are stopped with it.
final class GradeInterruptTests: XCTestCase {
    func testStoppingKillsTheRunAndWhatItStarted() throws {
        let marker = "grade-interrupt-test-\(UUID().uuidString.prefix(8))"
        let runner = SwiftPM(command: ["sh", "-c"])
        let finished = expectation(description: "the run returns")
        DispatchQueue.global().async {
            // A shell standing in for `swift test`, with a child standing in for the looping test process.
            _ = try? runner.run(["sh -c 'while :; do sleep 0.1; done' \(marker) & echo started; wait"], timeLimit: nil) { _ in }
            finished.fulfill()
        }
        Thread.sleep(forTimeInterval: 1)
        XCTAssertTrue(Self.running(marker), "the stand-in test process runs")
        RunningProcesses.stopAll()
        wait(for: [finished], timeout: 10)
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertFalse(Self.running(marker), "the stand-in test process is stopped too")
    }

    private static func running(_ marker: String) -> Bool {
        let pgrep = Process()
        pgrep.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        pgrep.arguments = ["pgrep", "-f", marker]
        pgrep.standardOutput = FileHandle.nullDevice
        try? pgrep.run()
        pgrep.waitUntilExit()
        return pgrep.terminationStatus == 0
    }
}

/// What `grade` checks before it builds anything, and how it reports a build that cannot start.
final class GradeStartTests: XCTestCase {
    private var folders: [URL] = []
    override func tearDown() {
        for folder in folders { try? FileManager.default.removeItem(at: folder) }
    }

    private func testsFolder() throws -> URL {
        let folder = try temporaryTestsFolder([
            ("01-knn/KNNTests.swift", "final class KNNTests: XCTestCase {\n    func test_train_memorisesTheData() throws {}\n}\n"),
            ("04-neural-networks/NeuralNetworkTests.swift", "final class NeuralNetworkTests: XCTestCase {\n    func test_affineForward_matchesReference() throws {}\n}\n"),
            ("Support/Grading.swift", "enum ExerciseFiles {}\n"),
        ])
        folders.append(folder)
        return folder
    }

    private func grade(_ arguments: [String], _ fake: FakeSwiftTest) throws -> Grade {
        var command = try Grade.parse(arguments)
        command.runner = fake
        command.testsFolder = try testsFolder()
        return command
    }

    /// Issue 11: `grade --chapter 7` built everything before saying there is no chapter 7.
    func testAChapterThatCannotExistIsRefusedBeforeBuilding() throws {
        let fake = FakeSwiftTest(tests: ["test_train_memorisesTheData"])
        XCTAssertThrowsError(try grade(["--chapter", "7"], fake).run()) { error in
            let message = Grade.fullMessage(for: error)
            XCTAssertTrue(message.contains("no chapter '7'"), message)
            XCTAssertTrue(message.contains("1 (knn)") && message.contains("4 (two-layer-net)"), message)
        }
        XCTAssertEqual(fake.runs, [], "nothing is built or run")
    }

    /// A known chapter, a chapter folder's number and a suite that the tests declare all pass the check
    /// (chapters 4 to 6 are added without an entry in `Chapter.known`; chapter 6, cnn, has one).
    func testKnownNumbersAndDeclaredSuitesAreAccepted() throws {
        let declared = DeclarationOrder(folder: try testsFolder())
        for query in ["1", "knn", "KNNTests", "2", "gates", "4", "NeuralNetworkTests", "neuralnetworktests", "04-neural-networks",
                      "6", "cnn", "ConvolutionalNetworkTests"] {
            XCTAssertNil(Chapter.unknownChapterChoices(query, declared: declared), query)
        }
        for query in ["7", "0", "Grading", "ExerciseFiles", "rnn"] {
            XCTAssertNotNil(Chapter.unknownChapterChoices(query, declared: declared), query)
        }
        let chapter = Chapter(suite: "NeuralNetworkTests", tests: [], folder: declared.folders["NeuralNetworkTests"])
        XCTAssertEqual(chapter.title, "4 neural networks")
        XCTAssertTrue(chapter.matches("4"))
    }

    /// `--chapter 1` still grades chapter 1 only, with the build first.
    func testAKnownChapterIsGraded() throws {
        let fake = FakeSwiftTest(tests: ["test_train_memorisesTheData"])
        try grade(["--chapter", "1"], fake).run()
        XCTAssertEqual(fake.runs.first, ["build", "--build-tests"])
        XCTAssertEqual(fake.runs.count, 3, "build, list, one test run")
    }

    /// Issue 11: a bad WORKBOOK was reported as "the workbook does not compile". SwiftPM's output when
    /// Package.swift stops, as printed by Swift 6.3 for `WORKBOOK=bogus swift build --build-tests`.
    static let badTrackOutput = #"""
        error: 'wt-grade': Invalid manifest (compiled with: ["/opt/swift/usr/bin/swiftc", "-vfsoverlay", "/tmp/TemporaryDirectory.CcUCp2/vfs.yaml", "-L", "/opt/swift/usr/lib/swift/pm/ManifestAPI", "-lPackageDescription", "/w/Package.swift", "-o", "/tmp/TemporaryDirectory.S0m36V/wt-grade-manifest"])
        error: WORKBOOK='bogus' is not a track. Use WORKBOOK=exercises (the default: your code in Exercises/) or WORKBOOK=solutions (the reference code in Solutions/).
        error: 'wt-grade': Invalid manifest (compiled with: ["/opt/swift/usr/bin/swiftc", "-vfsoverlay", "/tmp/TemporaryDirectory.m8Nrl2/vfs.yaml", "/w/Package.swift", "-o", "/tmp/TemporaryDirectory.TJhcYU/wt-grade-manifest"])
        error: WORKBOOK='bogus' is not a track. Use WORKBOOK=exercises (the default: your code in Exercises/) or WORKBOOK=solutions (the reference code in Solutions/).
        error: ExitCode(rawValue: 1)
        """#

    func testABadTrackIsReportedInPackageSwiftsOwnWords() throws {
        let fake = FakeSwiftTest(tests: ["test_train_memorisesTheData"])
        fake.build = (Self.badTrackOutput, 1)
        XCTAssertThrowsError(try grade([], fake).run()) { error in
            XCTAssertEqual(error as? GradeError, .manifest([
                "WORKBOOK='bogus' is not a track. Use WORKBOOK=exercises (the default: your code in Exercises/) or WORKBOOK=solutions (the reference code in Solutions/).",
            ]))
            let message = Grade.fullMessage(for: error)
            XCTAssertFalse(message.contains("does not compile"), message)
            XCTAssertFalse(message.contains("Invalid manifest"), message)
        }
        // The same with --skip-build, where `swift test list` is the first to read the manifest.
        XCTAssertEqual(GradeError.manifestMessages(in: Self.badTrackOutput + "\nerror: no tests found; create a target in the 'Tests' directory")?.count, 1)
        XCTAssertNil(GradeError.manifestMessages(in: "/w/Exercises/01-knn/KNearestNeighbor.swift:3:1: error: expected expression"))
    }

    /// A real compile error is still "does not compile", with the compiler's error first.
    func testACompileErrorIsStillACompileError() throws {
        let fake = FakeSwiftTest(tests: ["test_train_memorisesTheData"])
        let error = "/w/Exercises/01-knn/KNearestNeighbor.swift:3:1: error: expected expression"
        fake.build = ("[1/9] Compiling Workbook\n\(error)\n\(error)\n", 1)
        XCTAssertThrowsError(try grade([], fake).run()) { thrown in
            XCTAssertEqual(thrown as? GradeError, .doesNotCompile(errors: [error]))
        }
    }
}
