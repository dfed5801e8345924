import Testing
import WebSocketProtocol

/// Inflating permessage-deflate messages whose earlier history was not captured: exact bytes or
/// an honest "partly unknown", never a guessed byte (issue #16, stretch goal).
@Suite struct UnknownHistoryInflaterTests {
    /// Text that repeats itself across messages, so that later messages copy from earlier ones.
    static func messages(_ count: Int) -> [[UInt8]] {
        (0..<count).map { index in
            Array("{\"id\":\(index),\"name\":\"item \(index)\",\"tags\":[\"alpha\",\"beta\",\"gamma\"],\"ok\":\(index % 3 == 0)}".utf8)
        }
    }

    /// Compressed with context takeover, as a sender that keeps its window does.
    static func compressed(_ messages: [[UInt8]], noContextTakeover: Bool = false) throws -> [[UInt8]] {
        let deflater = try PerMessageDeflater(noContextTakeover: noContextTakeover)
        return try messages.map { try deflater.compress($0) }
    }

    @Test func aStreamCapturedFromItsStartInflatesExactly() throws {
        let plain = Self.messages(40)
        var inflater = UnknownHistoryInflater(maxMessageBytes: 1 << 20)
        for (message, wire) in zip(plain, try Self.compressed(plain)) {
            #expect(inflater.inflate(message: wire) == .inflated(message))
        }
    }

    /// Picked up after 10 messages: the messages that copy from those are reported, never shown;
    /// what is shown is exact; and some are shown (the literal parts and the copies within what
    /// was captured are known).
    @Test func aStreamPickedUpLateShowsOnlyExactMessages() throws {
        // 10 messages before the capture; then fresh tokens (literals, or copies of a token
        // captured just before) interleaved with messages that repeat the uncaptured ones.
        var random = SystemRandomNumberGenerator()
        let early = Self.messages(10)
        var plain = early
        for index in 0..<25 {
            let token = (0..<24).map { _ in "0123456789abcdef".randomElement(using: &random)! }
            plain.append(Array("token \(String(token)) \(String(token))".utf8))
            plain.append(early[index % early.count])
        }
        let wire = try Self.compressed(plain)
        var inflater = UnknownHistoryInflater(maxMessageBytes: 1 << 20)
        var exact = 0, unknown = 0
        for index in 10..<plain.count {
            switch inflater.inflate(message: wire[index]) {
            case .inflated(let bytes):
                #expect(bytes == plain[index], "message \(index) inflated to other bytes")
                exact += 1
            case .partlyUnknown(let missing, let total):
                #expect(missing > 0 && total == plain[index].count)
                unknown += 1
            case .failed(let reason):
                Issue.record("message \(index): \(reason)")
            }
        }
        #expect(unknown > 0)
        #expect(exact > 0)
    }

    /// Once 32 KiB of known output follow each other, every later message inflates.
    @Test func thirtyTwoKilobytesOfKnownOutputRecoverTheStream() throws {
        var random = SystemRandomNumberGenerator()
        // Incompressible filler (all literals, all known) after a late start, then repetitive text.
        let filler = (0..<4).map { _ in (0..<10_000).map { _ in UInt8.random(in: 0...255, using: &random) } }
        let plain = Self.messages(5) + filler + Self.messages(20)
        let wire = try Self.compressed(plain)
        var inflater = UnknownHistoryInflater(maxMessageBytes: 1 << 20)
        for index in 3..<plain.count { _ = inflater.inflate(message: wire[index]) }
        #expect(inflater.isFullyRecovered)
        var late = UnknownHistoryInflater(maxMessageBytes: 1 << 20)
        for index in 3..<(5 + filler.count) { _ = late.inflate(message: wire[index]) }
        for index in (5 + filler.count)..<plain.count {
            #expect(late.inflate(message: wire[index]) == .inflated(plain[index]))
        }
    }

    @Test func noContextTakeoverMessagesAlwaysInflate() throws {
        let plain = Self.messages(20)
        let wire = try Self.compressed(plain, noContextTakeover: true)
        var inflater = UnknownHistoryInflater(maxMessageBytes: 1 << 20)
        for index in [7, 3, 15, 0] { #expect(inflater.inflate(message: wire[index]) == .inflated(plain[index])) }
    }

    /// Garbage and truncated input fail cleanly (and forget the window), oversized output too.
    @Test func badInputFailsWithoutCrashing() throws {
        var random = SystemRandomNumberGenerator()
        var inflater = UnknownHistoryInflater(maxMessageBytes: 4096)
        for _ in 0..<300 {
            let garbage = (0..<Int.random(in: 0...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            if case .inflated(let bytes) = inflater.inflate(message: garbage) { #expect(bytes.count <= 4096) }
        }
        let big = try Self.compressed([[UInt8](repeating: 0x41, count: 100_000)])[0]
        if case .failed = inflater.inflate(message: big) {} else { Issue.record("100,000 bytes passed a 4,096-byte cap") }
        #expect(!inflater.isFullyRecovered)
        let wire = try Self.compressed(Self.messages(3))
        if case .failed = inflater.inflate(message: Array(wire[2].prefix(wire[2].count / 2))) {} else {
            Issue.record("half a message did not fail")
        }
    }
}
