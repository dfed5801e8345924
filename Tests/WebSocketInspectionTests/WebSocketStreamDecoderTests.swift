import TestSupport
import Testing
import PacketDecoding
@testable import WebSocketInspection
import WebSocketProtocol

@Suite struct WebSocketStreamDecoderTests {
    @Test func assemblesFragmentsWithAPingInBetween() {
        let bytes = frameBytes(.text, Array("Hello, ".utf8), fin: false, maskKey: 0x11223344)
            + frameBytes(.ping, [9], maskKey: 0x55667788)
            + frameBytes(.continuation, Array("fragmented ".utf8), fin: false, maskKey: 0x99aabbcc)
            + frameBytes(.continuation, Array("world".utf8), fin: true, maskKey: 0x01020304)
        let events = decode([bytes])
        let messages = events.messages
        #expect(messages.map(\.opcode) == [.ping, .text])
        #expect(messages[1].payload == Array("Hello, fragmented world".utf8))
        #expect(messages[1].frames == 3)
        #expect(events.anomalyKinds.isEmpty)
    }

    @Test func decodesCloseCodeAndReason() {
        let events = decode([frameBytes(.close, [0x03, 0xe8] + Array("bye".utf8), maskKey: 7)])
        #expect(events.messages.first?.closeCode == 1000)
        #expect(events.messages.first?.closeReason == "bye")
        #expect(events.anomalyKinds.isEmpty)
    }

    struct AnomalyCase: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let direction: WebSocketDirection
        let kind: String
        var testDescription: String { name }
    }

    static let anomalyCases: [AnomalyCase] = [
        AnomalyCase(name: "unmasked client frame", bytes: frameBytes(.text, [0x61]), direction: .clientToServer, kind: "unmasked_client_frame"),
        AnomalyCase(name: "masked server frame", bytes: frameBytes(.text, [0x61], maskKey: 1), direction: .serverToClient, kind: "masked_server_frame"),
        AnomalyCase(name: "RSV1 without extension", bytes: frameBytes(.text, [0x61], reservedBits: 0b100), direction: .serverToClient, kind: "unnegotiated_rsv"),
        AnomalyCase(name: "control frame over 125 bytes", bytes: frameBytes(.ping, Array(repeating: 0, count: 126)), direction: .serverToClient, kind: "control_frame_too_long"),
        AnomalyCase(name: "fragmented control frame", bytes: frameBytes(.ping, [1], fin: false), direction: .serverToClient, kind: "fragmented_control_frame"),
        AnomalyCase(name: "continuation without start", bytes: frameBytes(.continuation, [1]), direction: .serverToClient, kind: "unexpected_continuation"),
        AnomalyCase(name: "new message inside a fragmented one", bytes: frameBytes(.text, [0x61], fin: false) + frameBytes(.binary, [1]), direction: .serverToClient, kind: "unfinished_fragmented_message"),
        AnomalyCase(name: "reserved opcode", bytes: frameBytes(WebSocketOpcode(rawValue: 3), [1]), direction: .serverToClient, kind: "reserved_opcode"),
        AnomalyCase(name: "invalid UTF-8 text", bytes: frameBytes(.text, [0xc3, 0x28]), direction: .serverToClient, kind: "invalid_utf8"),
        AnomalyCase(name: "invalid UTF-8 close reason", bytes: frameBytes(.close, [0x03, 0xe8, 0xff]), direction: .serverToClient, kind: "invalid_utf8"),
        AnomalyCase(name: "close code 1005 on the wire", bytes: frameBytes(.close, [0x03, 0xed]), direction: .serverToClient, kind: "invalid_close_code"),
        AnomalyCase(name: "close code 2000", bytes: frameBytes(.close, [0x07, 0xd0]), direction: .serverToClient, kind: "invalid_close_code"),
        AnomalyCase(name: "one-byte close body", bytes: frameBytes(.close, [0x03]), direction: .serverToClient, kind: "invalid_close_payload"),
        AnomalyCase(name: "data after close", bytes: frameBytes(.close, [0x03, 0xe8]) + frameBytes(.text, [0x61]), direction: .serverToClient, kind: "data_after_close"),
        AnomalyCase(name: "2^63 length field", bytes: [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3], direction: .serverToClient, kind: "invalid_frame_header"),
        AnomalyCase(name: "capture ends inside a frame", bytes: [0x82, 0x7e, 0x10, 0x00, 1, 2, 3], direction: .serverToClient, kind: "truncated_frame"),
    ]

    @Test(arguments: anomalyCases)
    func reportsAnomaly(_ testCase: AnomalyCase) {
        let events = decode([testCase.bytes], direction: testCase.direction)
        #expect(events.anomalyKinds.contains(testCase.kind), "got \(events.anomalyKinds)")
    }

    @Test func cleanTrafficHasNoAnomalies() {
        let client = frameBytes(.text, Array("hi".utf8), maskKey: 5) + frameBytes(.close, [0x03, 0xe8], maskKey: 6)
        #expect(decode([client], direction: .clientToServer).anomalyKinds.isEmpty)
        let server = frameBytes(.binary, [0, 1, 2]) + frameBytes(.close, [0x03, 0xe8])
        #expect(decode([server], direction: .serverToClient).anomalyKinds.isEmpty)
    }

    @Test func capsOversizedMessagesAndKeepsDecoding() {
        var configuration = InspectionConfiguration()
        configuration.maxMessageBytes = 1000
        let big = [UInt8](repeating: 0x41, count: 5000)
        let events = decode([frameBytes(.binary, big), frameBytes(.text, Array("after".utf8))], direction: .serverToClient, configuration: configuration)
        let messages = events.messages
        #expect(messages.count == 2)
        #expect(messages[0].truncated && messages[0].length == 5000 && messages[0].payload.count == 1000)
        #expect(messages[1].payload == Array("after".utf8))
        #expect(events.anomalyKinds.contains("message_too_large"))
    }

    @Test func gapInsideAPayloadKeepsFramingAndMarksTheMessageIncomplete() {
        let first = frameBytes(.binary, [UInt8](repeating: 7, count: 100))
        let second = frameBytes(.text, Array("next".utf8))
        // Deliver the first 50 bytes, lose 30, deliver the rest.
        let chunks = [Array(first[0..<50]), Array(first[80...]) + second]
        let events = decode(chunks, direction: .serverToClient, gapsBefore: [1: 30])
        let messages = events.messages
        #expect(messages.count == 2)
        #expect(messages[0].missingBytes == 30 && messages[0].length == 100)
        #expect(messages[1].payload == Array("next".utf8) && messages[1].missingBytes == 0)
    }

    @Test func gapAcrossAHeaderResynchronizesOnTheNextFrames() {
        let frames = (0..<6).map { frameBytes(.text, Array("message number \($0)".utf8)) }
        // Lose the end of frame 1 and the start of frame 2.
        let lostStart = frames[0].count + 10
        let lostEnd = frames[0].count + frames[1].count + 5
        let all = frames.flatMap { $0 }
        let events = decode([Array(all[..<lostStart]), Array(all[lostEnd...])], direction: .serverToClient, gapsBefore: [1: UInt64(lostEnd - lostStart)])
        let texts = events.messages.filter { !$0.isIncomplete }.map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(texts == ["message number 0", "message number 3", "message number 4", "message number 5"])
        #expect(events.anomalyKinds.contains("incomplete_message"))
    }
}

@Suite struct FrameBoundaryScannerTests {
    @Test func findsTheFirstFrameAfterAPartialOne() {
        let frames = frameBytes(.text, Array("abcdefgh".utf8), maskKey: 9) + frameBytes(.text, Array("second".utf8), maskKey: 10)
            + frameBytes(.text, Array("third".utf8), maskKey: 11)
        let tail = Array(frames[5...])  // starts inside the first frame
        let scanner = FrameBoundaryScanner(expectMasked: nil, allowCompression: true, maxPlausibleFrameLength: 1 << 20)
        let result = tail.withUnsafeBytes { scanner.scan($0, isFinal: false) }
        let expectedOffset = frameBytes(.text, Array("abcdefgh".utf8), maskKey: 9).count - 5
        #expect(result == .boundary(offset: expectedOffset, chained: 2, masked: true))
    }

    @Test func randomBytesGiveNoBoundary() {
        var generator = SplitMix64(seed: 42)
        let noise = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let scanner = FrameBoundaryScanner(expectMasked: true, allowCompression: false, maxPlausibleFrameLength: 1 << 16)
        let result = noise.withUnsafeBytes { scanner.scan($0, isFinal: true) }
        if case .boundary(_, let chained, _) = result { #expect(chained >= 2) }
    }
}

@Suite struct WebSocketStreamDecoderRecoveryTests {
    static let deflate = PerMessageDeflateParameters()

    @Test func reportsRSV1OnAContinuationFrame() {
        let bytes = frameBytes(.text, [0x61], fin: false, reservedBits: 0b100) + frameBytes(.continuation, [0x62], reservedBits: 0b100)
        let events = decode([bytes], direction: .serverToClient, compression: Self.deflate)
        #expect(events.anomalyKinds.contains("rsv1_on_continuation"))
    }

    @Test func lostDataUnderContextTakeoverSpoilsLaterCompressedMessages() throws {
        let deflater = try PerMessageDeflater()
        let first = try deflater.compress(Array("first message, first message".utf8))
        let second = try deflater.compress(Array("second message refers to the first message".utf8))
        let third = try deflater.compress(Array("third message".utf8))
        let frames = [first, second, third].map { frameBytes(.text, $0, reservedBits: 0b100) }
        // The second frame's header and part of its payload are lost.
        let events = decode(
            [frames[0], Array(frames[1].dropFirst(6)) + frames[2]], direction: .serverToClient,
            compression: Self.deflate, gapsBefore: [1: 6])
        #expect(events.anomalyKinds.contains("compression_context_lost"))
        let messages = events.messages
        #expect(messages.first?.payload == Array("first message, first message".utf8))
        // Nothing after the gap is printed as inflated text.
        #expect(messages.dropFirst().allSatisfy { !$0.decompressed })
    }

    @Test func skipsToTheNextFrameBoundaryAfterLostFramingAndSaysSo() {
        let frames = (0..<4).map { frameBytes(.binary, [UInt8](repeating: UInt8($0), count: 40)) }
        let tail = Array(frames[1].dropFirst(7)) + frames[2] + frames[3]
        let events = decode([frames[0], tail], direction: .serverToClient, gapsBefore: [1: 7])
        #expect(events.anomalyKinds.contains("resynchronized"))
        #expect(events.messages.filter { !$0.isIncomplete }.map(\.payload) == [frames[0], frames[2], frames[3]].map { Array($0.dropFirst(2)) })
    }

    @Test func reportsBytesThatNeverFormAFrame() {
        // Lost framing, then only a fragment of a frame before the stream ends.
        let events = decode([frameBytes(.binary, [1, 2, 3]), [0x7f, 0x7f, 0x7f]], direction: .serverToClient, gapsBefore: [1: 100])
        #expect(events.anomalyKinds.contains("unparsed_bytes"))
    }
}
