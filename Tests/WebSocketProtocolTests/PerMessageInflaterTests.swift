import TestSupport
import Testing

@testable import WebSocketProtocol

@Suite struct PerMessageInflaterTests {
    private func text(_ string: String) -> [UInt8] { Array(string.utf8) }

    private func isFailed(_ outcome: InflateOutcome) -> Bool {
        if case .failed = outcome { return true }
        return false
    }

    /// RFC 7692 §7.2.3.1: "Hello" compressed, as sent on the wire.
    @Test func inflatesTheRFC7692HelloExample() {
        let inflater = PerMessageInflater(windowBits: 15, noContextTakeover: false)
        #expect(inflater.inflate(message: [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]) == .inflated(text("Hello")))
    }

    /// RFC 7692 §7.2.3.2: the second "Hello" refers back into the first one's window.
    @Test func inflatesTheRFC7692SharedWindowExample() {
        let inflater = PerMessageInflater(windowBits: 15, noContextTakeover: false)
        #expect(inflater.inflate(message: [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]) == .inflated(text("Hello")))
        #expect(inflater.inflate(message: [0xF2, 0x00, 0x11, 0x00, 0x00]) == .inflated(text("Hello")))
    }

    @Test func keepsContextAcrossThreeMessages() throws {
        let deflater = try PerMessageDeflater()
        let first = text(String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 20))
        let second = text("The quick brown fox jumps over the lazy dog. again")
        let third = text("lazy dog. The quick brown fox")
        let payloads = try [first, second, third].map { try deflater.compress($0) }
        // The later messages are far smaller than their text: they are back-references into message 1.
        #expect(payloads[1].count < second.count / 2)
        #expect(payloads[2].count < third.count / 2)

        let inflater = PerMessageInflater(windowBits: 15, noContextTakeover: false)
        #expect(inflater.inflate(message: payloads[0]) == .inflated(first))
        #expect(inflater.inflate(message: payloads[1]) == .inflated(second))
        #expect(inflater.inflate(message: payloads[2]) == .inflated(third))

        // Without message 1's window, message 2 cannot be decoded.
        let fresh = PerMessageInflater(windowBits: 15, noContextTakeover: false)
        #expect(fresh.inflate(message: payloads[1]) != .inflated(second))
    }

    @Test func resetsBetweenMessagesWithoutContextTakeover() throws {
        let deflater = try PerMessageDeflater(noContextTakeover: true)
        let message = text(String(repeating: "abcabcabc", count: 50))
        let inflater = PerMessageInflater(windowBits: 15, noContextTakeover: true)
        for _ in 0..<3 {
            let payload = try deflater.compress(message)
            #expect(inflater.inflate(message: payload) == .inflated(message))
            // Each message is also decodable on its own.
            #expect(PerMessageInflater(windowBits: 15, noContextTakeover: true).inflate(message: payload) == .inflated(message))
        }
    }

    @Test(arguments: [8, 9, 10, 12, 15])
    func inflatesMessagesCompressedWithSmallWindows(windowBits: Int) throws {
        let deflater = try PerMessageDeflater(windowBits: windowBits)
        let inflater = PerMessageInflater(windowBits: windowBits, noContextTakeover: false)
        var generator = SplitMix64(seed: UInt64(windowBits))
        for index in 0..<4 {
            // Repetitions 600..3000 bytes apart exercise distances around the small window sizes.
            let unit = (0..<(600 * (index + 1))).map { _ in UInt8(ascii: "a") + UInt8(generator.next() % 8) }
            let message = unit + unit + unit
            #expect(inflater.inflate(message: try deflater.compress(message)) == .inflated(message))
        }
    }

    @Test func inflatesAMessageThatContainsASyncFlush() throws {
        let deflater = try PerMessageDeflater()
        try deflater.write(text("first half, "))
        try deflater.flush()
        try deflater.write(text("second half, first half"))
        let payload = try deflater.finishMessage()
        #expect(payload.count > 4)
        let inflater = PerMessageInflater(windowBits: 15, noContextTakeover: false)
        #expect(inflater.inflate(message: payload) == .inflated(text("first half, second half, first half")))
    }

    @Test func inflatesEmptyMessages() throws {
        let inflater = PerMessageInflater(windowBits: 15, noContextTakeover: false)
        #expect(inflater.inflate(message: []) == .inflated([]))
        // RFC 7692 §7.2.3.6: an empty message compressed is a single 0x00 byte.
        #expect(inflater.inflate(message: [0x00]) == .inflated([]))
        let deflater = try PerMessageDeflater()
        #expect(inflater.inflate(message: try deflater.compress([])) == .inflated([]))
        // The stream is still usable afterwards.
        #expect(inflater.inflate(message: [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]) == .inflated(text("Hello")))
    }

    @Test(arguments: [
        [0xFF, 0xFF, 0xFF, 0xFF, 0xFF],  // reserved block type 3
        [0x04, 0x00, 0x01, 0x02],  // reserved block type after a stored header
        [0x00, 0x05, 0x00, 0x00, 0x00],  // stored block whose length and complement disagree
        [0xF2, 0x00, 0x11, 0x00, 0x00],  // back-reference with no window
    ] as [[UInt8]])
    func reportsCorruptInputAsFailedWithoutCrashing(payload: [UInt8]) {
        let inflater = PerMessageInflater(windowBits: 15, noContextTakeover: false)
        #expect(isFailed(inflater.inflate(message: payload)))
    }

    @Test func refusesLaterMessagesAfterAFailureUnderContextTakeoverUntilReset() {
        let inflater = PerMessageInflater(windowBits: 15, noContextTakeover: false)
        let hello: [UInt8] = [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]
        #expect(isFailed(inflater.inflate(message: [0xFF, 0xFF, 0xFF])))
        #expect(inflater.inflate(message: hello) == .failed("no context: an earlier message could not be inflated"))
        inflater.reset()
        #expect(inflater.inflate(message: hello) == .inflated(text("Hello")))
    }

    @Test func recoversAfterAFailureWithoutContextTakeover() {
        let inflater = PerMessageInflater(windowBits: 15, noContextTakeover: true)
        #expect(isFailed(inflater.inflate(message: [0xFF, 0xFF, 0xFF])))
        #expect(inflater.inflate(message: [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]) == .inflated(text("Hello")))
    }

    @Test func stopsADecompressionBombAtTheCap() throws {
        // 100 MB of zeros compress to about 100 KB; the inflater must stop at 1 MiB.
        let deflater = try PerMessageDeflater(compressionLevel: 9)
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        for _ in 0..<100 { try deflater.write(zeros) }
        let bomb = try deflater.finishMessage()
        #expect(bomb.count < 200_000)

        let cap = 1 << 20
        let inflater = PerMessageInflater(
            windowBits: 15, noContextTakeover: false,
            configuration: InflateConfiguration(maxMessageBytes: cap, maxInflatedBytes: 2 << 20))
        guard case .tooLarge(let producedAtLeast, let partial, exact: false) = inflater.inflate(message: bomb) else {
            Issue.record("expected tooLarge")
            return
        }
        #expect(partial.count == cap)
        #expect(partial.allSatisfy { $0 == 0 })
        #expect(producedAtLeast > cap)
        // Inflation stopped one output step past maxInflatedBytes instead of producing 100 MB.
        #expect(producedAtLeast <= (2 << 20) + (64 << 10))
        // The buffer's capacity is up to the allocator, but it must stay near the cap, not near 100 MB.
        #expect(partial.capacity <= cap + (64 << 10))
        // The cut-short message leaves the window unknown, so later messages are refused.
        #expect(isFailed(inflater.inflate(message: [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])))
    }

    @Test func countsABombPastTheCapAndKeepsTheWindowForLaterMessages() throws {
        let deflater = try PerMessageDeflater(compressionLevel: 9)
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        for _ in 0..<32 { try deflater.write(zeros) }
        let bomb = try deflater.finishMessage()
        let next = try deflater.compress(Array("after the bomb".utf8))
        let inflater = PerMessageInflater(windowBits: 15, noContextTakeover: false, configuration: InflateConfiguration(maxMessageBytes: 1 << 20))
        guard case .tooLarge(let produced, let partial, exact: true) = inflater.inflate(message: bomb) else {
            Issue.record("expected an exact tooLarge")
            return
        }
        #expect(produced == 32 << 20)
        #expect(partial.count == 1 << 20)
        #expect(inflater.inflate(message: next) == .inflated(Array("after the bomb".utf8)))
    }

    @Test func allowsAMessageOfExactlyTheCap() throws {
        let message = [UInt8](repeating: 7, count: 1000)
        let payload = try PerMessageDeflater().compress(message)
        let exact = PerMessageInflater(windowBits: 15, noContextTakeover: true, configuration: InflateConfiguration(maxMessageBytes: 1000))
        #expect(exact.inflate(message: payload) == .inflated(message))
        let smaller = PerMessageInflater(windowBits: 15, noContextTakeover: true, configuration: InflateConfiguration(maxMessageBytes: 999))
        #expect(smaller.inflate(message: payload) == .tooLarge(producedAtLeast: 1000, partial: Array(message.prefix(999)), exact: true))
    }

    @Test func decodesEachDirectionWithItsOwnParameters() throws {
        let parameters = PerMessageDeflateParameters(clientNoContextTakeover: true, serverNoContextTakeover: false, clientMaxWindowBits: 9, serverMaxWindowBits: 15)
        let client = PerMessageInflater(parameters: parameters, clientToServer: true)
        let server = PerMessageInflater(parameters: parameters, clientToServer: false)
        #expect(client.windowBits == 9 && client.noContextTakeover)
        #expect(server.windowBits == 15 && !server.noContextTakeover)
    }

    @Test func inflatesAMessageEndingWithAFinalBlockAndStartsANewStreamAfterIt() {
        // "Hello" as one final fixed-Huffman block (BFINAL = 1), as some senders do.
        let finalBlock: [UInt8] = [0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]
        let inflater = PerMessageInflater(windowBits: 15, noContextTakeover: false)
        #expect(inflater.inflate(message: finalBlock) == .inflated(text("Hello")))
        #expect(inflater.inflate(message: finalBlock) == .inflated(text("Hello")))
    }
}

/// Deterministic pseudo-random bytes, so test vectors are reproducible.
