// Inline questions whose answer cannot be computed by the test are checked against a digest of the
// answer rather than the answer itself, so that reading the tests does not give the answers away.
// The digest is not a secret (a small answer space can be searched); it only keeps answers out of sight.

enum AnswerKey {
    /// FNV-1a (64 bit) of "question|answer", as lowercase hex.
    static func digest(question: String, answer: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(question)|\(answer)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// The canonical text of a set of choices: the case names, sorted, joined by commas.
    static func canonical<T>(_ choices: Set<T>) -> String {
        choices.map { String(describing: $0) }.sorted().joined(separator: ",")
    }
}

/// Grades an inline question whose right answer is known only by its digest: runs the student's `answer`
/// through `attempt` (a stub skips the test as not implemented), hashes `key(answer)` under `question`,
/// and on a mismatch fails through `expectAnswer` with `shown(answer)` and the hint, never the right answer.
///
/// - Parameters:
///   - answer: the student's function, e.g. `NeuralNetworkQuestions.allZeroWeights()`.
///   - exercise: the exercise's name in the scorecard, "inlineQuestion2".
///   - digest: ``AnswerKey/digest(question:answer:)`` of the right answer.
///   - question: the question's key, "nn.2".
///   - key: the answer as it is hashed: its `String(describing:)` unless given.
///   - shown: the answer as the failure message shows it: its interpolation unless given.
func expectAnswer<Answer>(_ answer: @autoclosure () throws -> Answer, _ exercise: String, digest: String, question: String,
                          key: (Answer) -> String = { String(describing: $0) }, shown: (Answer) -> String = { "\($0)" },
                          hint: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let given = try attempt(file: file, line: line, answer)
    expectAnswer(AnswerKey.digest(question: question, answer: key(given)) == digest, exercise, yourAnswer: shown(given),
                 hint: hint, file: file, line: line)
}

/// The same for a set of choices: hashed as ``AnswerKey/canonical(_:)``, shown as "[a,b]".
func expectAnswer<Choice>(_ answer: @autoclosure () throws -> Set<Choice>, _ exercise: String, digest: String, question: String,
                          hint: String, file: StaticString = #filePath, line: UInt = #line) throws {
    try expectAnswer(answer(), exercise, digest: digest, question: question, key: { AnswerKey.canonical($0) },
                     shown: { "[\(AnswerKey.canonical($0))]" }, hint: hint, file: file, line: line)
}
