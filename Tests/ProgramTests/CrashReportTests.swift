import XCTest
@testable import grade

/// The crash line of the scorecard, read from backtraces the Swift runtime printed in `swift test`
/// (Swift 6.3, Linux, debug build) when a scratch copy of `makeFolds` in Exercises/CrossValidation.swift
/// crashed. Only the crashed thread is kept; the text is otherwise as printed.
final class CrashReportTests: XCTestCase {
    func testIndexOutOfRangeNamesTheFunctionAndLine() {
        XCTAssertEqual(TestLog(Self.indexOutOfRange).crashReason(for: Self.test),
                       "Fatal error: Index out of range in makeFolds(count:folds:) at Exercises/CrossValidation.swift:20")
    }

    /// Frames tagged [thunk] and [system] come between the closure and its function.
    func testIndexOutOfRangeInAClosure() {
        XCTAssertEqual(TestLog(Self.indexOutOfRangeInClosure).crashReason(for: Self.test),
                       "Fatal error: Index out of range in closure #1 in makeFolds(count:folds:) at Exercises/CrossValidation.swift:22")
    }

    /// The crashing frame has no tag at all, and "+ 473" follows the function's name.
    func testArithmeticOverflow() {
        XCTAssertEqual(TestLog(Self.arithmeticOverflow).crashReason(for: Self.test),
                       "arithmetic overflow in makeFolds(count:folds:) at Exercises/CrossValidation.swift:21")
    }

    /// The only frame in the student's file has no line (a trap inlined from the standard library,
    /// tagged [system]): the function and the file are still named.
    func testAFrameWithoutALineStillNamesTheFunctionAndFile() {
        let log = TestLog("""
            Swift/ContiguousArrayBuffer.swift:692: Fatal error: Index out of range
            Test Case 'KNNTests.\(Self.test)' started at 2026-11-29 22:43:59.427
            Thread 0 "DeepLearningWor" crashed:

              0 [inlined] [system] 0x0000562a1232cf3c Array.subscript.modify in DeepLearningWorkbookPackageTests.xctest at //<compiler-generated>
              1 [ra] [system] 0x0000562a1232cf3c makeFolds(count:folds:) + 171 in DeepLearningWorkbookPackageTests.xctest at /w/Exercises/01-knn/CrossValidation.swift
              2 [ra] 0x0000562a1232d000 KNNTests.test_makeFolds_partitionsWithoutOverlap() + 52 in DeepLearningWorkbookPackageTests.xctest at /w/Tests/WorkbookTests/01-knn/KNNTests.swift:300:9

            error: Process '/w/.build/debug/DeepLearningWorkbookPackageTests.xctest WorkbookTests.KNNTests/\(Self.test)' exited with unexpected signal code 4
            """)
        XCTAssertEqual(log.crashReason(for: Self.test),
                       "Fatal error: Index out of range in makeFolds(count:folds:) in Exercises/01-knn/CrossValidation.swift")
    }

    /// Without the backtracer's output only `swift test`'s last line says anything.
    func testSignalAloneIsPutInWords() {
        let log = TestLog("""
            Test Case 'KNNTests.\(Self.test)' started at 2026-11-29 22:43:59.427
            error: Process '/w/.build/debug/DeepLearningWorkbookPackageTests.xctest WorkbookTests.KNNTests/\(Self.test)' exited with unexpected signal code 4
            """)
        XCTAssertEqual(log.crashReason(for: Self.test), "arithmetic overflow or another runtime trap (signal 4, SIGILL)")
    }

    func testFramesAreReadFromBothEnds() throws {
        let frame = try XCTUnwrap(BacktraceFrame("  0 [inlined] [system] 0x000055fe1e1c20b9 Swift runtime failure: arithmetic overflow in DeepLearningWorkbookPackageTests.xctest at //<compiler-generated>"))
        XCTAssertEqual(frame.tags, ["inlined", "system"])
        XCTAssertEqual(frame.symbol, "Swift runtime failure: arithmetic overflow")
        XCTAssertEqual(frame.file, "//<compiler-generated>")
        XCTAssertNil(frame.line)
        XCTAssertFalse(frame.isInWorkbook)
        XCTAssertNil(BacktraceFrame("Thread 0 \"DeepLearningWor\" crashed:"))
    }

    static let test = "test_makeFolds_partitionsWithoutOverlap"

    static let indexOutOfRange = #"""
        [0/1] Planning build
        Test Suite 'Selected tests' started at 2026-11-29 22:43:31.909
        Swift/ContiguousArrayBuffer.swift:692: Fatal error: Index out of range
        swift-runtime: failed to suspend thread 13143 while processing a crash; backtraces will be missing information
        swift-runtime: failed to suspend thread 13143 while processing a crash; backtraces will be missing information
        Test Suite 'KNNTests' started at 2026-11-29 22:43:31.912
        Test Case 'KNNTests.test_makeFolds_partitionsWithoutOverlap' started at 2026-11-29 22:43:31.912

        *** Signal 4: Backtracing from 0x7fba1fd6df7f... done ***

        *** Program crashed: Illegal instruction at 0x00007fba1fd6df7f ***

        Platform: x86_64 Linux (Debian GNU/Linux 12 (bookworm))

        Thread 0 "DeepLearningWor" crashed:

          0               0x00007fba1fd6df7f closure #1 in closure #1 in _assertionFailure(_:_:file:line:flags:) + 623 in libswiftCore.so
          1 [ra]          0x00007fba1fef961f _assertionFailure(_:_:file:line:flags:) + 302 in libswiftCore.so
          2 [ra]          0x00007fba20417f65 specialized Array.subscript.getter + 84 in libswiftSwiftOnoneSupport.so
          3 [ra]          0x0000562a1232cf3c makeFolds(count:folds:) + 171 in DeepLearningWorkbookPackageTests.xctest at /work/wt-fixes/Exercises/CrossValidation.swift:20:19
          4 [ra]          0x0000562a1237f68d closure #1 in KNNTests.test_makeFolds_partitionsWithoutOverlap() + 28 in DeepLearningWorkbookPackageTests.xctest at /work/wt-fixes/Tests/WorkbookTests/KNNTests.swift:129:39
          5 [ra]          0x0000562a12376cd7 attempt<A>(file:line:_:) + 118 in DeepLearningWorkbookPackageTests.xctest at /work/wt-fixes/Tests/WorkbookTests/Support/Grading.swift:21:20
          6 [ra]          0x0000562a12386257 KNNTests.test_makeFolds_partitionsWithoutOverlap() + 118 in DeepLearningWorkbookPackageTests.xctest at /work/wt-fixes/Tests/WorkbookTests/KNNTests.swift:129:25
          7 [ra] [system] 0x0000562a1224b1fe implicit closure #24 in implicit closure #23 in variable initialization expression of static KNNTests.__allTests__KNNTests + 29 in DeepLearningWorkbookPackageTests.xctest at /work/wt-fixes/.build/x86_64-unknown-linux-gnu/debug/DeepLearningWorkbookPackageDiscoveredTests.derived/WorkbookTests.swift
          8 [ra] [thunk]  0x0000562a1224e1df partial apply for implicit closure #24 in implicit closure #23 in variable initialization expression of static KNNTests.__allTests__KNNTests + 14 in DeepLearningWorkbookPackageTests.xctest at //<compiler-generated>
          9 [ra] [thunk]  0x0000562a1223b89f thunk for @escaping @callee_guaranteed () -> (@error @owned Error) + 14 in DeepLearningWorkbookPackageTests.xctest at //<compiler-generated>
         10 [ra] [thunk]  0x0000562a1224e374 partial apply for thunk for @escaping @callee_guaranteed () -> (@error @owned Error) + 19 in DeepLearningWorkbookPackageTests.xctest at //<compiler-generated>
        ...
        error: Process '/work/wt-fixes/.build/x86_64-unknown-linux-gnu/debug/DeepLearningWorkbookPackageTests.xctest WorkbookTests.KNNTests/test_makeFolds_partitionsWithoutOverlap' exited with unexpected signal code 4
        """#

    static let indexOutOfRangeInClosure = #"""
        [0/1] Planning build
        Test Suite 'Selected tests' started at 2026-11-29 22:43:48.065
        Test Suite 'KNNTests' started at 2026-11-29 22:43:48.066
        Test Case 'KNNTests.test_makeFolds_partitionsWithoutOverlap' started at 2026-11-29 22:43:48.066
        Swift/ContiguousArrayBuffer.swift:692: Fatal error: Index out of range
        swift-runtime: failed to suspend thread 14025 while processing a crash; backtraces will be missing information
        swift-runtime: failed to suspend thread 14025 while processing a crash; backtraces will be missing information

        *** Signal 4: Backtracing from 0x7fbcac56df7f... done ***

        *** Program crashed: Illegal instruction at 0x00007fbcac56df7f ***

        Platform: x86_64 Linux (Debian GNU/Linux 12 (bookworm))

        Thread 0 "DeepLearningWor" crashed:

          0               0x00007fbcac56df7f closure #1 in closure #1 in _assertionFailure(_:_:file:line:flags:) + 623 in libswiftCore.so
          1 [ra]          0x00007fbcac6f961f _assertionFailure(_:_:file:line:flags:) + 302 in libswiftCore.so
          2 [ra]          0x00007fbcaccc2f65 specialized Array.subscript.getter + 84 in libswiftSwiftOnoneSupport.so
          3 [ra]          0x0000560e2cb7ddff closure #1 in makeFolds(count:folds:) + 142 in DeepLearningWorkbookPackageTests.xctest at /work/wt-fixes/Exercises/CrossValidation.swift:22:63
          4 [ra] [thunk]  0x0000560e2cb7dee3 partial apply for closure #1 in makeFolds(count:folds:) + 18 in DeepLearningWorkbookPackageTests.xctest at //<compiler-generated>
          5 [ra] [system] 0x0000560e2c9433f0 Collection.map<A, B>(_:) + 991 in DeepLearningWorkbookPackageTests.xctest at //<compiler-generated>
          6 [ra]          0x0000560e2cb7eb9d makeFolds(count:folds:) + 988 in DeepLearningWorkbookPackageTests.xctest at /work/wt-fixes/Exercises/CrossValidation.swift:22:26
          7 [ra]          0x0000560e2cbd130d closure #1 in KNNTests.test_makeFolds_partitionsWithoutOverlap() + 28 in DeepLearningWorkbookPackageTests.xctest at /work/wt-fixes/Tests/WorkbookTests/KNNTests.swift:129:39
          8 [ra]          0x0000560e2cbc8957 attempt<A>(file:line:_:) + 118 in DeepLearningWorkbookPackageTests.xctest at /work/wt-fixes/Tests/WorkbookTests/Support/Grading.swift:21:20
          9 [ra]          0x0000560e2cbd7ed7 KNNTests.test_makeFolds_partitionsWithoutOverlap() + 118 in DeepLearningWorkbookPackageTests.xctest at /work/wt-fixes/Tests/WorkbookTests/KNNTests.swift:129:25
         10 [ra] [system] 0x0000560e2ca9c1fe implicit closure #24 in implicit closure #23 in variable initialization expression of static KNNTests.__allTests__KNNTests + 29 in DeepLearningWorkbookPackageTests.xctest at /work/wt-fixes/.build/x86_64-unknown-linux-gnu/debug/DeepLearningWorkbookPackageDiscoveredTests.derived/WorkbookTests.swift
         11 [ra] [thunk]  0x0000560e2ca9f1df partial apply for implicit closure #24 in implicit closure #23 in variable initialization expression of static KNNTests.__allTests__KNNTests + 14 in DeepLearningWorkbookPackageTests.xctest at //<compiler-generated>
         12 [ra] [thunk]  0x0000560e2ca8c89f thunk for @escaping @callee_guaranteed () -> (@error @owned Error) + 14 in DeepLearningWorkbookPackageTests.xctest at //<compiler-generated>
         13 [ra] [thunk]  0x0000560e2ca9f374 partial apply for thunk for @escaping @callee_guaranteed () -> (@error @owned Error) + 19 in DeepLearningWorkbookPackageTests.xctest at //<compiler-generated>
        ...
        error: Process '/work/wt-fixes/.build/x86_64-unknown-linux-gnu/debug/DeepLearningWorkbookPackageTests.xctest WorkbookTests.KNNTests/test_makeFolds_partitionsWithoutOverlap' exited with unexpected signal code 4
        """#

    static let arithmeticOverflow = #"""
        [0/1] Planning build
        Test Suite 'Selected tests' started at 2026-11-29 22:43:59.426
        Test Suite 'KNNTests' started at 2026-11-29 22:43:59.427
        Test Case 'KNNTests.test_makeFolds_partitionsWithoutOverlap' started at 2026-11-29 22:43:59.427
        swift-runtime: failed to suspend thread 14752 while processing a crash; backtraces will be missing information

        *** Signal 4: Backtracing from 0x55fe1e1c20b9... done ***

        *** Swift runtime failure: arithmetic overflow ***

        Platform: x86_64 Linux (Debian GNU/Linux 12 (bookworm))

        Thread 0 "DeepLearningWor" crashed:

          0 [inlined] [system] 0x000055fe1e1c20b9 Swift runtime failure: arithmetic overflow in DeepLearningWorkbookPackageTests.xctest at //<compiler-generated>
          1                    0x000055fe1e1c20b9 makeFolds(count:folds:) + 473 in DeepLearningWorkbookPackageTests.xctest at /work/wt-fixes/Exercises/CrossValidation.swift:21:18
          2 [ra]               0x000055fe1e2147bd closure #1 in KNNTests.test_makeFolds_partitionsWithoutOverlap() + 28 in DeepLearningWorkbookPackageTests.xctest at /work/wt-fixes/Tests/WorkbookTests/KNNTests.swift:129:39
          3 [ra]               0x000055fe1e20be07 attempt<A>(file:line:_:) + 118 in DeepLearningWorkbookPackageTests.xctest at /work/wt-fixes/Tests/WorkbookTests/Support/Grading.swift:21:20
          4 [ra]               0x000055fe1e21b387 KNNTests.test_makeFolds_partitionsWithoutOverlap() + 118 in DeepLearningWorkbookPackageTests.xctest at /work/wt-fixes/Tests/WorkbookTests/KNNTests.swift:129:25
          5 [ra] [system]      0x000055fe1e0e01fe implicit closure #24 in implicit closure #23 in variable initialization expression of static KNNTests.__allTests__KNNTests + 29 in DeepLearningWorkbookPackageTests.xctest at /work/wt-fixes/.build/x86_64-unknown-linux-gnu/debug/DeepLearningWorkbookPackageDiscoveredTests.derived/WorkbookTests.swift
          6 [ra] [thunk]       0x000055fe1e0e31df partial apply for implicit closure #24 in implicit closure #23 in variable initialization expression of static KNNTests.__allTests__KNNTests + 14 in DeepLearningWorkbookPackageTests.xctest at //<compiler-generated>
          7 [ra] [thunk]       0x000055fe1e0d089f thunk for @escaping @callee_guaranteed () -> (@error @owned Error) + 14 in DeepLearningWorkbookPackageTests.xctest at //<compiler-generated>
          8 [ra] [thunk]       0x000055fe1e0e3374 partial apply for thunk for @escaping @callee_guaranteed () -> (@error @owned Error) + 19 in DeepLearningWorkbookPackageTests.xctest at //<compiler-generated>
        ...
        error: Process '/work/wt-fixes/.build/x86_64-unknown-linux-gnu/debug/DeepLearningWorkbookPackageTests.xctest WorkbookTests.KNNTests/test_makeFolds_partitionsWithoutOverlap' exited with unexpected signal code 4
        """#
}
