import Testing
import PacketDecoding
import TCPReassembly
@testable import WebSocketInspection
import WebSocketProtocol

/// Frames after a boundary found by the heuristics are on probation: nothing decoded from them is
/// shown until the chain is proven, a chain that contradicts itself is dropped and the search goes
/// on one byte after its boundary (issue #16).
@Suite struct MidstreamProbationTests {
    static let time = Timestamp(seconds: 1_700_000_000, nanoseconds: 0)

    /// A decoder for a stream picked up mid-way (no handshake: compression may be on).
    static func midstreamDecoder(_ direction: WebSocketDirection) -> WebSocketStreamDecoder {
        WebSocketStreamDecoder(
            connection: 1, direction: direction, configuration: InspectionConfiguration(),
            compression: PerMessageDeflateParameters(), startsAtFrameBoundary: false)
    }

    static func decodeMidstream(_ chunks: [[UInt8]], direction: WebSocketDirection = .serverToClient) -> [InspectorEvent] {
        var decoder = midstreamDecoder(direction)
        var events: [InspectorEvent] = []
        for chunk in chunks { decoder.receive(chunk[...], at: time) { events.append($0) } }
        decoder.finish(at: time) { events.append($0) }
        return events
    }

    static func text(_ string: String) -> [UInt8] { frameBytes(.text, Array(string.utf8)) }

    @Test func aChainThatContradictsItselfShowsNothing() {
        // Two plausible headers (what the scanner asks for), then a reserved opcode and RSV2: the
        // issue's garbage chain. Before probation the two "messages" were shown.
        let garbage: [UInt8] = [0x37, 0x3F] + Self.text("ab") + Self.text("cd") + [0x83, 0x01, 0x00, 0xA1, 0x02, 0x55, 0x66, 0x77]
        let events = Self.decodeMidstream([garbage])
        #expect(events.messages.isEmpty)
        #expect(!events.anomalyKinds.contains("reserved_opcode"))
    }

    @Test func aProvenChainIsShownWithTheBytesSkippedBeforeIt() {
        let frames = (1...5).flatMap { Self.text("message \($0)") }
        let events = Self.decodeMidstream([[0x37, 0x3F, 0x4C] + frames])
        #expect(events.messages.map { String(decoding: $0.payload, as: UTF8.self) } == (1...5).map { "message \($0)" })
        #expect(events.anomalyKinds == ["resynchronized"])
    }

    @Test func eventsAreHeldUntilMinProvenFramesArrive() {
        var decoder = Self.midstreamDecoder(.serverToClient)
        var events: [InspectorEvent] = []
        decoder.receive([0x44, 0x37][...], at: Self.time) { events.append($0) }
        for index in 1...WebSocketStreamDecoder.minProvenFrames {
            decoder.receive(Self.text("frame \(index)")[...], at: Self.time) { events.append($0) }
            if index < WebSocketStreamDecoder.minProvenFrames { #expect(events.messages.isEmpty, "shown after \(index) frames") }
        }
        #expect(events.messages.count == WebSocketStreamDecoder.minProvenFrames)
    }

    @Test func aChainEndingExactlyAtTheEndOfTheStreamIsProven() {
        let events = Self.decodeMidstream([[0x33] + Self.text("one") + Self.text("two")])
        #expect(events.messages.map(\.payload) == [Array("one".utf8), Array("two".utf8)])
    }

    @Test func anUnprovenChainCutByTheEndOfTheStreamIsDropped() {
        let partial = Array(Self.text("three is longer").prefix(6))
        let events = Self.decodeMidstream([[0x33] + Self.text("one") + Self.text("two") + partial])
        #expect(events.messages.isEmpty)
        #expect(events.anomalyKinds.contains("unparsed_bytes"))
    }

    @Test func aRejectedBoundaryIsSearchedAgainFromTheNextByte() {
        // A false frame at offset 0 swallows R1 and R2's header; the "frames" in R2's payload chain
        // on (an empty binary, a ping) until a reserved opcode breaks the chain. The real chain
        // starts 2 bytes in, inside the bytes the false chain consumed: only a search that resumes
        // one byte after the rejected boundary finds R1 and R2.
        let r1 = Self.text("hello world")
        let r2 = frameBytes(.binary, [0x82, 0x00, 0x89, 0x00, 0x03, 0x00])
        let rest = (3...6).flatMap { Self.text("real \($0)") }
        let falseHeader: [UInt8] = [0x82, UInt8(r1.count + 2)]
        let events = Self.decodeMidstream([falseHeader + r1 + r2 + rest])
        #expect(events.messages.count == 6)
        #expect(events.messages.first?.payload == Array("hello world".utf8))
        #expect(events.messages.dropFirst().first?.payload == [0x82, 0x00, 0x89, 0x00, 0x03, 0x00])
        #expect(events.anomalyKinds == ["resynchronized"])
    }

    @Test func aProvenLockThatMeetsAReservedOpcodeSearchesAgain() {
        let good = (1...4).flatMap { Self.text("good \($0)") }
        // After the proven chain: a frame no sender would send, then garbage that decodes as more
        // frames if trusted, then a real chain again.
        let bad: [UInt8] = [0x8B, 0x02, 0x81, 0x01] + Self.text("x")
        let again = (1...4).flatMap { Self.text("again \($0)") }
        let events = Self.decodeMidstream([[0x37, 0x3F] + good + bad + again])
        let shown = events.messages.map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(shown.prefix(4) == ["good 1", "good 2", "good 3", "good 4"])
        #expect(shown.suffix(4) == ["again 1", "again 2", "again 3", "again 4"])
        #expect(!events.anomalyKinds.contains("reserved_opcode"))
        #expect(events.anomalyKinds.contains("invalid_frame_header"))
    }

    /// Seeded xorshift, so a failure can be replayed.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
    }

    @Test func randomGarbageProducesNoMessages() {
        var random = Random(state: 0x9E37_79B9_7F4A_7C15)
        var shown = 0
        for round in 0..<100 {
            let garbage = random.bytes(1024 + Int(random.next() % 32768))
            let chunks = split(garbage, at: Array(stride(from: 1448, to: garbage.count, by: 1448)))
            for direction in WebSocketDirection.allCases {
                let messages = Self.decodeMidstream(chunks, direction: direction).messages
                if !messages.isEmpty { Issue.record("round \(round) \(direction): \(messages.count) messages from garbage") }
                shown += messages.count
            }
        }
        #expect(shown == 0)
    }

    // MARK: - Connections

    static func midstreamConnection(initiator: [[UInt8]], responder: [[UInt8]]) -> [InspectorEvent] {
        let analyzer = ConnectionAnalyzer(
            info: TCPConnectionInfo(
                id: 1, initiator: Endpoint(address: IPAddress(v4: 10, 0, 0, 2), port: 50000),
                responder: Endpoint(address: IPAddress(v4: 10, 0, 0, 1), port: 443), sawSYN: false, start: .zero),
            configuration: InspectionConfiguration())
        var events: [InspectorEvent] = []
        for index in 0..<max(initiator.count, responder.count) {
            if index < initiator.count { analyzer.receive(initiator[index][...], from: .initiator, at: time) { events.append($0) } }
            if index < responder.count { analyzer.receive(responder[index][...], from: .responder, at: time) { events.append($0) } }
        }
        analyzer.finish(reason: .fin, at: time) { events.append($0) }
        return events
    }

    @Test func aFirstFrameWithA64BitLengthDoesNotDropTheConnection() {
        // The issue's case: `81 7f 00 00 00 00 00 01 00 00` from the server, a clean small frame
        // from the client. The connection used to vanish without a word.
        let long = frameBytes(.text, [UInt8](repeating: 0x61, count: 65_536))
        let server = split(long, at: Array(stride(from: 1448, to: long.count, by: 1448)))
        let client = [frameBytes(.text, Array("hi".utf8), maskKey: 0x1234_5678)]
        let events = Self.midstreamConnection(initiator: client, responder: server)
        let opens = events.compactMap { if case .open(let info) = $0 { return info } else { return nil } }
        #expect(opens.count == 1)
        #expect(opens.first?.client.port == 50000)
        #expect(events.messages.map(\.length).sorted() == [2, 65_536])
    }

    @Test func aConnectionWithNoProvenFrameIsReported() {
        var random = Random(state: 42)
        // Enough for the classification (two chained headers), then a contradiction and garbage.
        let bytes: [UInt8] = frameBytes(.binary, [0xAA]) + frameBytes(.binary, [0xBB]) + [0x03, 0x00] + random.bytes(300)
        let events = Self.midstreamConnection(initiator: [bytes], responder: [])
        #expect(events.messages.isEmpty)
        #expect(events.anomalyKinds.contains("undecoded_connection"))
    }
}
