import Foundation

/// How `grade` runs SwiftPM: the real `swift` command, or, in the tests, a fake that replays recorded output
/// (so the scorecard's logic is tested without a second build).
protocol PackageRunner {
    /// Runs `swift <arguments>` and hands each line of its output (standard output and error together) to
    /// `onLine` as it arrives.
    /// - Parameter timeLimit: stops the run (with the test process it started) once `timeLimit.seconds`
    ///   pass without a line that `timeLimit.restarts` accepts; nil waits as long as it takes.
    func run(_ arguments: [String], timeLimit: TimeLimit?, onLine: (Substring) -> Void) throws -> RunResult
}

extension PackageRunner {
    func run(_ arguments: [String]) throws -> RunResult { try run(arguments, timeLimit: nil) { _ in } }
}

/// A watchdog on a run: `seconds` from the start, and again from every line that `restarts` accepts
/// (for `swift test`, each test's "started" line, so that the limit is per test).
struct TimeLimit {
    let seconds: Double
    let restarts: (Substring) -> Bool
}

/// What a run printed and how it ended.
struct RunResult {
    let status: Int32
    let output: String
    /// The watchdog stopped the run.
    let timedOut: Bool
}

/// Runs SwiftPM commands with the same environment (and so the same WORKBOOK track).
struct SwiftPM: PackageRunner {
    /// The build folder of every command (`--scratch-path`), or SwiftPM's default `.build`.
    var scratchPath: String?
    /// The command the arguments follow; the tests put a shell script in place of `swift`.
    var command = ["swift"]

    func run(_ arguments: [String], timeLimit: TimeLimit?, onLine: (Substring) -> Void) throws -> RunResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = SwiftPM.lineBuffered(timeLimit != nil) + command + arguments
            + (scratchPath.map { ["--scratch-path", $0] } ?? [])
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        RunningProcesses.add(process)
        defer { RunningProcesses.remove(process) }

        let watchdog = Watchdog(seconds: timeLimit?.seconds)
        let stopping = DispatchGroup()
        if timeLimit != nil {
            stopping.enter()
            Thread.detachNewThread {
                defer { stopping.leave() }
                guard watchdog.waitForDeadline() else { return }
                // `swift test` runs the tests in a child process. SIGQUIT makes the Swift runtime print the
                // stopped thread's backtrace (where the loop is); once it has (or after `backtraceSeconds`
                // without it), the child is killed, then `swift test`.
                RunningProcesses.signalChildren(of: process, "-QUIT")
                if !watchdog.waitForFinish(seconds: SwiftPM.backtraceSeconds) {
                    RunningProcesses.signalChildren(of: process, "-KILL")
                    process.terminate()
                }
            }
        }
        // Read on this thread, line by line, so that the caller can show progress while the run goes on.
        var output = Data()
        var pending = Data()
        let reader = pipe.fileHandleForReading
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            output.append(chunk)
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex ..< newline], as: UTF8.self)
                pending = Data(pending[pending.index(after: newline)...])
                if let timeLimit, timeLimit.restarts(line[...]) { watchdog.restart() }
                if line.hasPrefix("Backtrace took ") { watchdog.backtracePrinted() }
                onLine(line[...])
            }
        }
        if !pending.isEmpty { onLine(String(decoding: pending, as: UTF8.self)[...]) }
        let timedOut = watchdog.finish()        // the output has ended: so has the run, whatever the wait takes
        stopping.wait()
        process.waitUntilExit()
        return RunResult(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self), timedOut: timedOut)
    }
}

extension SwiftPM {
    /// On Linux the test process's standard output is a pipe, which the C library fills in blocks of 4 KiB:
    /// a test's "started" line would come only with the next block, and not at all from a test stopped as
    /// an endless loop. `stdbuf` (GNU coreutils) makes it line by line; where there is none (macOS, whose
    /// XCTest writes its lines unbuffered to standard error), the command runs as it is.
    /// How long a test process stopped as an endless loop may take to print its backtrace.
    static let backtraceSeconds = 10.0

    static func lineBuffered(_ wanted: Bool) -> [String] {
        wanted && FileManager.default.isExecutableFile(atPath: "/usr/bin/stdbuf") ? ["stdbuf", "-oL", "-eL"] : []
    }
}

/// A deadline that the reading thread moves on and the stopping thread waits for.
private final class Watchdog: @unchecked Sendable {
    private let condition = NSCondition()
    private let seconds: Double?
    private var deadline: Date
    private var finished = false
    private var fired = false
    private var backtraced = false

    init(seconds: Double?) {
        self.seconds = seconds
        deadline = Date(timeIntervalSinceNow: seconds ?? 0)
    }

    func restart() {
        condition.lock()
        deadline = Date(timeIntervalSinceNow: seconds ?? 0)
        condition.unlock()
    }

    /// Waits until the deadline passes (true) or the run finishes first (false).
    func waitForDeadline() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !finished {
            if Date() >= deadline {
                fired = true
                return true
            }
            _ = condition.wait(until: deadline)
        }
        return false
    }

    /// After the deadline: waits until the run finishes (true), or its backtrace is printed or `seconds`
    /// pass (false).
    func waitForFinish(seconds: Double) -> Bool {
        let until = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while !finished && !backtraced {
            if Date() >= until { return false }
            _ = condition.wait(until: until)
        }
        return finished
    }

    /// The runtime has printed the stopped process's backtrace ("Backtrace took 1.04s").
    func backtracePrinted() {
        condition.lock()
        backtraced = true
        condition.broadcast()
        condition.unlock()
    }

    /// Ends the watch; true if it had stopped the run.
    func finish() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        finished = true
        condition.broadcast()
        return fired
    }
}

/// The runs in progress, so that Ctrl-C (SIGINT) or SIGTERM on `grade` stops them too: `swift test` and
/// the test process it starts are in process groups of their own, which the terminal's signal does not
/// reach, and an endless loop left behind would keep a core busy with nobody watching it.
enum RunningProcesses {
    private static let lock = NSLock()
    private static var running: [Int32: Process] = [:]
    private static var sources: [DispatchSourceSignal] = []

    static func add(_ process: Process) { lock.withLock { running[process.processIdentifier] = process } }
    static func remove(_ process: Process) { lock.withLock { _ = running.removeValue(forKey: process.processIdentifier) } }

    /// Kills every run in progress and the processes it started (the test process of `swift test`).
    static func stopAll() {
        let processes = lock.withLock { Array(running.values) }
        for process in processes where process.isRunning {
            signalChildren(of: process, "-KILL")
            kill(process.processIdentifier, SIGKILL)
        }
    }

    /// Sends `signal` ("-QUIT", "-KILL") to the processes `process` started: `swift test`'s test process.
    static func signalChildren(of process: Process, _ signal: String) {
        let pkill = Process()
        pkill.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        pkill.arguments = ["pkill", signal, "-P", String(process.processIdentifier)]
        try? pkill.run()
        pkill.waitUntilExit()
    }

    /// From now on SIGINT and SIGTERM stop the runs in progress, then `grade` with 128 + the signal.
    static func stopRunsOnInterrupt() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)         // the dispatch source below receives it instead
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                stopAll()
                FileHandle.standardError.write(Data("\ngrade: interrupted; the tests it was running are stopped\n".utf8))
                exit(128 + number)
            }
            source.resume()
            lock.withLock { sources.append(source) }
        }
    }
}
