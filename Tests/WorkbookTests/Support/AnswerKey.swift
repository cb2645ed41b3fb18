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
