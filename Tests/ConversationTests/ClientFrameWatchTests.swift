import Testing
@testable import Conversation

/// The header check that cuts off a client announcing a message over `--max-message-bytes`
/// (hand-made frame headers: the edge cases no real client sends).
@Suite struct ClientFrameWatchTests {
    /// A masked client frame header with a 64-bit length.
    static func header(_ first: UInt8, length: UInt64) -> [UInt8] {
        [first, 0x80 | 127] + (0..<8).reversed().map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + [1, 2, 3, 4]
    }

    @Test func aFrameClaimingTwoToTheSixtyThreeBytesIsCaughtAtItsHeader() {
        var watch = ClientFrameWatch(maxMessageBytes: 1 << 20)
        let reason = watch.check(Self.header(0x82, length: UInt64(Int64.max))[...])
        #expect(reason?.contains("9223372036854775807 bytes") == true)
    }

    @Test func fragmentsOfOneMessageAddUp() {
        var watch = ClientFrameWatch(maxMessageBytes: 100)
        // 60 + 40 bytes: exactly at the limit, allowed; the payload bytes are skipped by the parser.
        #expect(watch.check((Self.header(0x02, length: 60) + [UInt8](repeating: 0, count: 60))[...]) == nil)
        #expect(watch.check((Self.header(0x80, length: 40) + [UInt8](repeating: 0, count: 40))[...]) == nil)
        // A new message starts from zero; its continuation of 51 bytes takes it to 101.
        #expect(watch.check((Self.header(0x02, length: 50) + [UInt8](repeating: 0, count: 50))[...]) == nil)
        #expect(watch.check(Self.header(0x80, length: 51)[...])?.contains("larger than 100 bytes") == true)
    }

    @Test func controlFramesAreLeftToTheDecoder() {
        var watch = ClientFrameWatch(maxMessageBytes: 10)
        #expect(watch.check(([0x89, 0x80 | 20, 1, 2, 3, 4] + [UInt8](repeating: 0, count: 20))[...]) == nil)
    }
}
