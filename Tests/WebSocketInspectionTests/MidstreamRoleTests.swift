import Testing
import PacketDecoding
import TCPReassembly
@testable import WebSocketInspection
import WebSocketProtocol

/// The roles of a connection picked up mid-stream come from proven frame chains, not from the
/// first plausible header; long frames at a stream's start and a small compressed reply after
/// skipped bytes are recovered (issue #16). The end-to-end evidence is MidstreamCutTests on real
/// captures; these pin each behaviour down on bytes that show it alone.
@Suite struct MidstreamRoleTests {
    static let time = Timestamp(seconds: 1_700_000_000, nanoseconds: 0)

    static func opens(_ events: [InspectorEvent]) -> [WebSocketConnectionInfo] {
        events.compactMap { if case .open(let info) = $0 { return info } else { return nil } }
    }

    static func texts(_ events: [InspectorEvent], from direction: WebSocketDirection) -> [String] {
        events.messages.filter { $0.direction == direction && $0.opcode == .text }.map { String(decoding: $0.payload, as: UTF8.self) }
    }

    /// The client's stream opens two bytes into the header of a 64-bit-length frame: its first
    /// bytes (`00 00 00 00 00 01 …`) read as empty unmasked continuation frames, which named the
    /// client the server, so that nothing of either side could be decoded (a cut of node-ws.pcap).
    @Test func aCutInsideALongHeaderDoesNotSwapTheRoles() {
        var random = MidstreamProbationTests.Random(state: 7)
        let long = frameBytes(.binary, random.bytes(65_536 + 464), maskKey: 0x1122_3344)
        let clientTexts = (1...5).map { "client says \($0)" }
        let clientStream = Array(long.dropFirst(2)) + clientTexts.flatMap { frameBytes(.text, Array($0.utf8), maskKey: 0x0A0B_0C0D) }
        let serverTexts = (1...5).map { "server reply \($0)" }
        let serverStream = serverTexts.flatMap { frameBytes(.text, Array($0.utf8)) }
        let events = MidstreamProbationTests.midstreamConnection(
            initiator: split(clientStream, at: Array(stride(from: 1448, to: clientStream.count, by: 1448))),
            responder: [serverStream])
        let opened = Self.opens(events)
        #expect(opened.count == 1)
        #expect(opened.first?.client.port == 50000)
        // The open comes with the first proven chain, before the other direction proved one.
        #expect(opened.first?.confidence == .medium)
        #expect(Self.texts(events, from: .clientToServer) == clientTexts)
        #expect(Self.texts(events, from: .serverToClient) == serverTexts)
    }

    /// A chance plausible header at the start of one side's payload decides nothing: the side
    /// whose frames prove a chain names the roles, and the `open` waits for that proof.
    @Test func theOpenComesWithTheFirstProvenChain() {
        let analyzer = ConnectionAnalyzer(
            info: TCPConnectionInfo(
                id: 1, initiator: Endpoint(address: IPAddress(v4: 10, 0, 0, 2), port: 50000),
                responder: Endpoint(address: IPAddress(v4: 10, 0, 0, 1), port: 443), sawSYN: false, start: .zero),
            configuration: InspectionConfiguration())
        var events: [InspectorEvent] = []
        // The responder (the server) starts with bytes that chain as two *masked* frames: taken
        // alone, they would name the server the client.
        let decoy = frameBytes(.binary, [1, 2, 3], maskKey: 0x0102_0304) + frameBytes(.binary, [4, 5], maskKey: 0x0506_0708)
        analyzer.receive(decoy[...], from: .responder, at: Self.time) { events.append($0) }
        #expect(Self.opens(events).isEmpty)
        for index in 1...4 {
            let frame = frameBytes(.text, Array("client message \(index)".utf8), maskKey: 0x0A0B_0C0D)
            analyzer.receive(frame[...], from: .initiator, at: Self.time) { events.append($0) }
        }
        let opened = Self.opens(events)
        #expect(opened.count == 1)
        #expect(opened.first?.client.port == 50000)
        #expect(Self.texts(events, from: .clientToServer).count == 4)
    }

    /// A data frame longer than the bytes held, whose header is the first captured byte of the
    /// stream: its next header can be a megabyte away, so the scanner takes it as a candidate now.
    @Test func aLongFrameAtTheStartIsACandidateBeforeItEnds() {
        let header = WebSocketFrameHeader(fin: true, reservedBits: 0, opcode: .binary, maskKey: nil, payloadLength: 1 << 20)
        let bytes = header.bytes + [UInt8](repeating: 0x55, count: 4000)
        let trusting = FrameBoundaryScanner(expectMasked: false, allowCompression: true, maxPlausibleFrameLength: 1 << 24, trustsStart: true)
        #expect(bytes.withUnsafeBytes { trusting.scan($0, isFinal: false) } == .boundary(offset: 0, chained: 1, masked: false))
        // Only at the start, and only with the sender's masking.
        let inside = FrameBoundaryScanner(expectMasked: false, allowCompression: true, maxPlausibleFrameLength: 1 << 24, trustsStart: false)
        #expect(bytes.withUnsafeBytes { inside.scan($0, isFinal: false) } != .boundary(offset: 0, chained: 1, masked: false))
        let client = FrameBoundaryScanner(expectMasked: true, allowCompression: true, maxPlausibleFrameLength: 1 << 24, trustsStart: true)
        #expect(bytes.withUnsafeBytes { client.scan($0, isFinal: false) } != .boundary(offset: 0, chained: 1, masked: false))
    }

    /// The reply after a long compressed binary message, found right after the skipped tail of
    /// that message (not at a segment start): a small compressed frame, too weak alone, which was
    /// dropped; it inflates to UTF-8, which proves it.
    @Test func aCompressedTextAfterSkippedBytesIsShown() throws {
        let deflater = try PerMessageDeflater(noContextTakeover: true)
        var random = MidstreamProbationTests.Random(state: 99)
        let texts = (1...5).map { "server reply \($0) ✓ " + String(repeating: "x", count: $0 * 7) }
        var stream = random.bytes(3000)  // the tail of a compressed binary message
        for text in texts { stream += frameBytes(.text, try deflater.compress(Array(text.utf8)), reservedBits: 0b100) }
        let events = MidstreamProbationTests.decodeMidstream([stream])
        #expect(Self.texts(events, from: .serverToClient) == texts)
    }
}
