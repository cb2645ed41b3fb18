import CPUFeatures
import Foundation

/// A Python reference script (`numpy_bench.py`, `torch_bench.py`) and how bench runs it: with python3,
/// the row's thread count in the libraries' variables, and `OPENBLAS_CORETYPE` / `OPENBLAS_L2_SIZE`
/// removed from its environment.
struct ReferenceRunner {
    let script: URL
    /// The module the script imports, whose absence leaves its columns out.
    let module: String
    /// The flag that leaves this reference out, for the error message of a failed run.
    let skipFlag: String
    /// The variable the by-hand command in an error message sets (`OPENBLAS_NUM_THREADS`).
    let threadVariable: String

    /// Variables of this process's environment that the reference processes do not inherit.
    static let removedVariables = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"]

    /// Whether the script is there and python3 runs and imports `module`; nil when it does, and when
    /// not, the reason (`missing`: python3 ran and said the module is not installed).
    func availability() -> (reason: String, missing: Bool)? {
        guard FileManager.default.fileExists(atPath: script.path) else {
            return ("the script \(script.path) is missing", false)
        }
        let process = makeProcess(["-c", "import \(module)"], threads: 1)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        guard (try? process.run()) != nil else { return ("python3 does not run", true) }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus == 127 { return ("python3 is not on the PATH", true) }   // env's "command not found"
        guard process.terminationStatus == 0 else {
            let lastLine = output.split(separator: "\n").last.map(String.init) ?? ""
            let missing = lastLine.contains("ModuleNotFoundError") || lastLine.contains("No module named")
            return (missing ? "python3 has no \(module)" : "python3 cannot import \(module) (\(lastLine))", missing)
        }
        return nil
    }

    /// Starts the script on one workload with `--serve` and waits until it has prepared the data.
    func start(_ arguments: [String], threads: Int, minimumSeconds: Double) throws -> ReferenceProcess {
        try ReferenceProcess(self, arguments: arguments + ["--min-seconds", "\(minimumSeconds)"], threads: threads)
    }

    /// `python3 <arguments>` through env, in the reference processes' environment.
    func makeProcess(_ arguments: [String], threads: Int) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        var environment = ProcessInfo.processInfo.environment
        for name in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"] { environment[name] = "\(threads)" }
        // The libraries as a student has them: OpenBLAS picks its kernel for this CPU itself. Some
        // machines set these two to work around their own set-up (forcing the AVX2 kernels); they are
        // removed for the reference processes only.
        for name in ReferenceRunner.removedVariables { environment[name] = nil }
        process.environment = environment
        return process
    }
}

/// One python3 process serving timed runs of one workload at one thread count (and, for PyTorch, one
/// precision), over the line protocol of the scripts' `--serve` mode: it prints its details as one JSON
/// line once the data is prepared, then answers each request line (`warmup`, `run`) with one JSON line
/// `{"seconds": s}`, and exits on `quit` or at the end of its standard input.
///
/// Standard error is collected on the side, for the message of a failure. A process that dies ends
/// the read of its answer (its end of the pipe closes) and the request throws
/// ``BenchError/referenceFailed(_:_:_:_:)`` with what it wrote; it is never waited on blindly.
final class ReferenceProcess {
    /// The script and its workload arguments, for messages: `numpy_bench.py gemm --size 512`.
    let name: String
    /// The first line the script printed: its versions, BLAS and kernel, as JSON.
    private(set) var details = Data()

    private let runner: ReferenceRunner
    private let handCommand: String
    private let process: Process
    private let input: FileHandle
    private let output: FileHandle
    private var pending = Data()
    /// Lines on standard output that are not the protocol's (a library's verbose mode writes there).
    private var strayLines: [String] = []
    private let errors = CollectedOutput()

    fileprivate init(_ runner: ReferenceRunner, arguments: [String], threads: Int) throws {
        self.runner = runner
        let script = runner.script.lastPathComponent
        name = ([script] + arguments.prefix { $0 != "--min-seconds" }).joined(separator: " ")
        handCommand = "\(runner.threadVariable)=\(threads) python3 \(runner.script.path) \(arguments.joined(separator: " "))"
        process = runner.makeProcess([runner.script.path] + arguments + ["--serve"], threads: threads)
        let toProcess = Pipe(), fromProcess = Pipe(), errorPipe = Pipe()
        process.standardInput = toProcess
        process.standardOutput = fromProcess
        process.standardError = errorPipe
        input = toProcess.fileHandleForWriting
        output = fromProcess.fileHandleForReading
        try process.run()
        errors.collect(from: errorPipe.fileHandleForReading)
        LiveReferences.shared.add(self)
        do {
            details = try nextLine(within: ReferenceProcess.preparingSeconds, waitingFor: "its details (the data prepared)")
        } catch {
            stop()
            throw error
        }
    }

    /// Lets every thread the process has now run only on CPU `cpu` (Linux; elsewhere nothing). Called
    /// once it has prepared its data; a one-thread row's libraries start no threads later.
    func pinThreads(to cpu: Int) {
        let tasks = "/proc/\(process.processIdentifier)/task"
        for thread in (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? [] {
            if let id = Int32(thread) { _ = workbook_set_thread_cpu(id, Int32(cpu)) }
        }
    }

    /// One warm-up run, which also sets how often a timed run repeats a short workload; its seconds.
    func warmUp() throws -> Double {
        let seconds = try request("warmup", within: ReferenceProcess.preparingSeconds)
        warmUpSeconds = seconds
        return seconds
    }

    /// One timed run: the mean seconds of its repeats.
    func time() throws -> Double {
        // A timed run repeats the workload until it lasts the minimum seconds, so it takes about as long
        // as the warm-up or the minimum, whichever is longer; twenty times that and a minute more is
        // a process that hangs, not a slow machine.
        try request("run", within: 60 + 20 * Swift.max(warmUpSeconds ?? ReferenceProcess.preparingSeconds, 0.1))
    }

    /// How long the process may take to prepare its data, and to answer its warm-up request.
    static let preparingSeconds = 600.0
    private var warmUpSeconds: Double?

    /// Asks the process to quit and waits for it (at most a few seconds, then it is killed).
    func stop() {
        LiveReferences.shared.remove(self)
        guard process.isRunning else { return }
        try? input.write(contentsOf: Data("quit\n".utf8))
        try? input.close()
        if !waitForExit(seconds: 5) {
            process.terminate()
            if !waitForExit(seconds: 2) { kill(process.processIdentifier, SIGKILL) }
        }
    }

    /// SIGTERM, for the interrupt handler (the scripts ignore SIGINT while they serve).
    fileprivate func terminate() { if process.isRunning { process.terminate() } }

    private func request(_ line: String, within seconds: Double) throws -> Double {
        struct Answer: Decodable { let seconds: Double?; let error: String? }
        do {
            try input.write(contentsOf: Data("\(line)\n".utf8))
        } catch {
            throw failure("it stopped reading its requests")    // nextLine would find the end; this says it first
        }
        let json = try nextLine(within: seconds, waitingFor: "\"\(line)\"")
        waitUntilIdle(process.processIdentifier)
        guard let answer = try? JSONDecoder().decode(Answer.self, from: json), let seconds = answer.seconds else {
            let text = String(decoding: json, as: UTF8.self)
            throw failure("it answered \"\(line)\" with \(text), not {\"seconds\": ...}")
        }
        return seconds
    }

    /// The next line on standard output that is a JSON object; the others are kept for the error message.
    /// A process that writes no such line within `seconds` is stopped as hanging (`what` names the
    /// answer it owed, for the message).
    private func nextLine(within seconds: Double, waitingFor what: String) throws -> Data {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex ..< newline]
                pending = Data(pending[(newline + 1)...])
                if line.first == UInt8(ascii: "{") { return Data(line) }
                strayLines.append(String(decoding: line, as: UTF8.self))
            }
            guard waitForOutput(until: deadline) else {
                throw failure("it sent no answer to \(what) within \(Int(seconds.rounded())) s, so it looks stuck, and was stopped")
            }
            let chunk = output.availableData    // output is there, or the pipe is closed (then it is empty)
            guard !chunk.isEmpty else {
                if !pending.isEmpty { strayLines.append(String(decoding: pending, as: UTF8.self)) }
                pending = Data()
                throw failure(nil)
            }
            pending.append(chunk)
        }
    }

    /// The error for a process that ended or broke the protocol, with what it wrote; stops the process.
    func failure(_ what: String?) -> BenchError {
        if LiveReferences.shared.isInterrupted {
            // The interrupt handler stopped this process and is ending bench with its own message.
            while true { Thread.sleep(forTimeInterval: 1) }
        }
        var reason = what ?? "it closed its output without answering"
        if (what == nil || !process.isRunning) && waitForExit(seconds: 2) {
            // A process that has ended says why itself.
            let signals: [Int32: String] = [SIGINT: "SIGINT", SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGSEGV: "SIGSEGV",
                                             SIGABRT: "SIGABRT", SIGBUS: "SIGBUS"]
            let status = process.terminationStatus
            reason = process.terminationReason == .uncaughtSignal
                ? "it was killed by signal \(status)\(signals[status].map { " (\($0))" } ?? "")"
                : "it exited with status \(status)"
        }
        stop()
        let written = (strayLines + [errors.text(waitingUpTo: 2)]).joined(separator: "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return .referenceFailed(name, reason, "\(handCommand), or pass \(runner.skipFlag)", written)
    }

    /// Whether standard output has something to read (or has closed) before `deadline`.
    private func waitForOutput(until deadline: Date) -> Bool {
        var descriptor = pollfd(fd: output.fileDescriptor, events: Int16(POLLIN), revents: 0)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return false }
            let ready = poll(&descriptor, 1, Int32(Swift.min(left, 60) * 1000) + 1)
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { return true }   // let the read report what is wrong
        }
    }

    private func waitForExit(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return !process.isRunning
    }
}

/// Waits, at most `maximum` seconds, until the threads of process `pid` have stopped using the CPU after
/// a run, so that they do not take a core from the next side's run: OpenBLAS's threads spin for about
/// 0.15 s after a threaded call before they sleep (120 ms of CPU time after a 2-thread GEMM of n = 1,024
/// on this machine), and a Swift GEMM on two threads right after one took 1.7 times as long (46 ms
/// against 28 for n = 1,024). Bench's own process counts too (its main thread sleeps while it waits).
/// Where the threads' CPU times cannot be read (no /proc), waits a fixed 0.2 s.
func waitUntilIdle(_ pid: Int32, maximum: Double = 1) {
    guard var used = cpuNanoseconds(pid) else { return Thread.sleep(forTimeInterval: 0.2) }
    var time = DispatchTime.now().uptimeNanoseconds
    let deadline = time + UInt64(maximum * 1e9)
    while time < deadline {
        Thread.sleep(forTimeInterval: 0.01)
        guard let nowUsed = cpuNanoseconds(pid) else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        if (nowUsed &- used) * 10 < now - time { return }    // under a tenth of one core: idle
        (used, time) = (nowUsed, now)
    }
}

/// The CPU time of all the threads of process `pid`, from Linux's per-thread scheduler statistics.
private func cpuNanoseconds(_ pid: Int32) -> UInt64? {
    let tasks = "/proc/\(pid)/task"
    guard let threads = try? FileManager.default.contentsOfDirectory(atPath: tasks) else { return nil }
    return threads.reduce(0) { total, thread in
        let line = try? String(contentsOfFile: "\(tasks)/\(thread)/schedstat", encoding: .utf8)
        return total + (line?.split(separator: " ").first.flatMap { UInt64($0) } ?? 0)
    }
}

/// Everything a process writes to one pipe, read on a thread of its own so that the pipe never fills.
private final class CollectedOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    func collect(from handle: FileHandle) {
        DispatchQueue.global().async {
            while true {
                let chunk = handle.availableData    // empty once the pipe is closed
                if chunk.isEmpty { break }
                self.lock.withLock { self.data.append(chunk) }
            }
            self.done.signal()
        }
    }

    /// What was written, once the pipe has closed or `seconds` have passed.
    func text(waitingUpTo seconds: Double) -> String {
        if done.wait(timeout: .now() + seconds) == .success { done.signal() }
        return lock.withLock { String(decoding: data, as: UTF8.self) }
    }
}

/// The reference processes alive, so that Ctrl-C (SIGINT) and SIGTERM stop them before bench exits:
/// the signals are caught with Dispatch, the processes are sent SIGTERM, and bench exits with 128 + the
/// signal. (The scripts also ask Linux to send them SIGTERM when bench dies some other way.)
final class LiveReferences: @unchecked Sendable {
    static let shared = LiveReferences()
    private let lock = NSLock()
    private var processes: [ObjectIdentifier: ReferenceProcess] = [:]
    private var sources: [DispatchSourceSignal] = []
    private var interrupted = false

    var isInterrupted: Bool { lock.withLock { interrupted } }

    /// Installs the handlers; also ignores SIGPIPE, so that a request to a process that has died
    /// throws instead of ending bench without a word.
    func installHandlers() {
        lock.withLock {
            guard sources.isEmpty else { return }
            _ = signal(SIGPIPE, SIG_IGN)
            for (number, signalName) in [(SIGINT, "Ctrl-C (SIGINT)"), (SIGTERM, "SIGTERM")] {
                _ = signal(number, SIG_IGN)    // so that the default action (exit at once) does not run
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { [self] in
                    let running = lock.withLock {
                        interrupted = true
                        return Array(processes.values)
                    }
                    for process in running { process.terminate() }
                    let names = running.map(\.name).sorted()
                    fflush(stdout)
                    FileHandle.standardError.write(Data("""
                        \nbench: interrupted by \(signalName)\
                        \(names.isEmpty ? "" : "; stopped \(names.joined(separator: ", "))")

                        """.utf8))
                    exit(128 + number)
                }
                source.resume()
                sources.append(source)
            }
        }
    }

    func add(_ process: ReferenceProcess) { lock.withLock { processes[ObjectIdentifier(process)] = process } }
    func remove(_ process: ReferenceProcess) { lock.withLock { processes[ObjectIdentifier(process)] = nil } }
    /// Every process still alive, for the clean-up after an error.
    func stopAll() { for process in lock.withLock({ Array(processes.values) }) { process.stop() } }
}

/// What `numpy_bench.py` reports about itself.
struct NumPyReport: Decodable {
    let numpy: String
    let blas: String
    let core: String
}

/// What `torch_bench.py` reports about itself.
struct TorchReport: Decodable {
    let torch: String
    let dtype: String
    /// `torch.get_num_threads()` after the script set it: the row's thread count.
    let threads: Int
    /// `torch.backends.cpu.get_cpu_capability()`: the widest vectors ATen's own kernels use (`AVX512`).
    let capability: String
    let blas: String
    let onednn: String
}

enum BenchError: Error, CustomStringConvertible {
    /// The script and workload, what went wrong, what to type instead, and what the script wrote.
    case referenceFailed(String, String, String, String)

    var description: String {
        switch self {
        case let .referenceFailed(name, reason, instead, output):
            return "\(name) failed: \(reason). Run it by hand to see why (\(instead)).\(output.isEmpty ? "" : "\nIt wrote:\n\(output)")"
        }
    }
}
