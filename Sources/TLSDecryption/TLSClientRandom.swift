/// A ClientHello's 32-byte random, the key of a key log entry, as four big-endian words: hashing
/// and comparing it costs a few instructions, not a walk over an array.
public struct TLSClientRandom: Hashable, Sendable {
    var word0: UInt64
    var word1: UInt64
    var word2: UInt64
    var word3: UInt64

    /// Nil unless exactly 32 bytes.
    public init?(_ bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        func word(_ at: Int) -> UInt64 { bytes[at..<at + 8].reduce(0) { $0 << 8 | UInt64($1) } }
        self.init(word0: word(0), word1: word(8), word2: word(16), word3: word(24))
    }

    init(word0: UInt64, word1: UInt64, word2: UInt64, word3: UInt64) {
        self.word0 = word0
        self.word1 = word1
        self.word2 = word2
        self.word3 = word3
    }
}
