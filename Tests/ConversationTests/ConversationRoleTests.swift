import Foundation
import Testing
import NIOCore
@testable import Conversation
import Inspector
import Sessions
import WebSocketInspection
import WebSocketProtocol

/// The conversation engine's seam (ARCHITECTURE.md: one engine, two roles) on real recordings:
/// captures/*.pcap loaded through `RecordingLoader`, checked against the truth files their peers
/// wrote while sending.
@Suite struct ConversationRoleTests {
    static let captures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("captures")

    static func connection(_ capture: String) throws -> SessionConnection {
        let loaded = try RecordingLoader.loadCapture(captures.appendingPathComponent(capture).path)
        return try #require(loaded.session.connections.first)
    }

    /// The truth lines of one sender: (opcode, payload).
    static func truth(_ capture: String, from sender: String) throws -> [(opcode: String, payload: [UInt8])] {
        let name = capture.replacingOccurrences(of: ".pcap", with: ".truth.jsonl")
        let text = try String(contentsOf: captures.appendingPathComponent(name), encoding: .utf8)
        return try text.split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            guard object["from"] as? String == sender else { return nil }
            return (object["opcode"] as? String ?? "", [UInt8](Data(base64Encoded: object["data_b64"] as? String ?? "") ?? Data()))
        }
    }

    /// The wire bytes of every frame of `script`'s steps, encoded as the role encodes them.
    static func wire(_ script: ConversationScript, compression: PerMessageDeflateParameters?) throws -> [UInt8] {
        let encoder = try FrameEncoder(compression: compression, role: script.role)
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        for step in script.steps {
            for frame in try encoder.frames(for: step.message) { FrameEncoder.encode(frame, masked: encoder.masksFrames, into: &buffer) }
        }
        return Array(buffer.readableBytesView)
    }

    /// Decodes `bytes` as the frames of `direction` the way captures are decoded.
    static func decode(_ bytes: [UInt8], _ direction: WebSocketDirection, _ compression: PerMessageDeflateParameters?) -> [WebSocketMessage] {
        var decoder = WebSocketStreamDecoder(connection: 0, direction: direction, configuration: InspectionConfiguration(), compression: compression)
        var messages: [WebSocketMessage] = []
        var anomalies: [String] = []
        let collect: (InspectorEvent) -> Void = { event in
            if case .message(let message) = event { messages.append(message) }
            if case .anomaly(let anomaly) = event { anomalies.append("\(anomaly.kind)") }
        }
        decoder.receive(bytes[...], at: .zero, collect)
        decoder.finish(at: .zero, collect)
        #expect(anomalies.isEmpty, "\(anomalies)")
        return messages
    }

    @Test func clientRoleScriptIsWhatReplaySends() throws {
        let connection = try Self.connection("replay-echo.pcap")
        let script = try ConversationScript(connection: connection, role: .client)
        let sent = try Self.truth("replay-echo.pcap", from: "client")
        #expect(script.steps.map(\.message.payload) == sent.map(\.payload))
        #expect(script.steps.map { $0.message.opcode.description } == sent.map(\.opcode))
        #expect(script.expected.map(\.payload) == (try Self.truth("replay-echo.pcap", from: "server")).map(\.payload))
        // Each client message waits for the server messages that preceded it in the recording.
        var serverMessagesSoFar = 0
        var waits: [Int] = []
        for message in connection.messages {
            if message.from == "server" { serverMessagesSoFar += 1 } else { waits.append(serverMessagesSoFar) }
        }
        #expect(script.steps.map(\.peerMessagesBefore) == waits)
        #expect(waits.first == 0 && waits.last == script.expected.count - 1)
        // Masked, and what the server decodes is the recorded client stream.
        let wire = try Self.wire(script, compression: nil)
        #expect(wire[1] & 0x80 != 0, "a client masks every frame")
        #expect(Self.decode(wire, .clientToServer, nil).map(\.payload) == sent.map(\.payload))
    }

    @Test func serverRoleScriptSendsTheRecordedServerMessagesUnmasked() throws {
        let connection = try Self.connection("replay-echo.pcap")
        let script = try ConversationScript(connection: connection, role: .server)
        let sent = try Self.truth("replay-echo.pcap", from: "server")
        #expect(script.steps.map(\.message.payload) == sent.map(\.payload))
        #expect(script.expected.map(\.payload) == (try Self.truth("replay-echo.pcap", from: "client")).map(\.payload))
        // The first answer follows the first client message; every answer one more.
        #expect(script.steps.first?.peerMessagesBefore == 1)
        let wire = try Self.wire(script, compression: nil)
        var offset = 0
        var frames = 0
        while offset < wire.count {
            #expect(wire[offset + 1] & 0x80 == 0, "a server never masks (frame \(frames))")
            let length = Int(wire[offset + 1] & 0x7f)
            let extended = length == 126 ? Int(wire[offset + 2]) << 8 | Int(wire[offset + 3]) : length
            offset += (length == 126 ? 4 : 2) + extended
            frames += 1
        }
        #expect(offset == wire.count && frames >= sent.count)
        #expect(Self.decode(wire, .serverToClient, nil).map(\.payload) == sent.map(\.payload))
    }

    /// deflate-small-window.pcap negotiated server_max_window_bits=10, client_max_window_bits=12:
    /// each role compresses with its own window, so the peer's inflater (sized by the same
    /// parameters) takes every message back.
    @Test(arguments: [ConversationRole.client, .server])
    func eachRoleCompressesWithItsOwnParameters(_ role: ConversationRole) throws {
        let connection = try Self.connection("deflate-small-window.pcap")
        let parameters = try #require(PerMessageDeflateParameters(negotiated: WebSocketExtensionHeader.parse(connection.extensions)))
        #expect(parameters.serverMaxWindowBits == 10 && parameters.clientMaxWindowBits == 12)
        let script = try ConversationScript(connection: connection, role: role)
        #expect(script.sendsCompressedMessages)
        let wire = try Self.wire(script, compression: parameters)
        let decoded = Self.decode(wire, role.sentDirection, parameters)
        #expect(decoded.map(\.payload) == script.steps.map(\.message.payload))
        #expect(decoded.contains { $0.compressed })
    }

    /// A message whose repeats are 2,000 bytes apart: a compressor with a 12-bit window refers back
    /// to them, one with a 10-bit window cannot. Only the server's 10-bit inflater shows which
    /// window the server role used.
    @Test func serverRoleUsesServerWindowBitsAndTakeover() throws {
        var generator = SplitMix(seed: 7)
        let block = (0..<2_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let message = ReplayMessage(opcode: .binary, payload: block + block, compressed: true)
        let parameters = PerMessageDeflateParameters(serverNoContextTakeover: true, clientMaxWindowBits: 12, serverMaxWindowBits: 10)
        let server = try FrameEncoder(compression: parameters, role: .server)
        let client = try FrameEncoder(compression: parameters, role: .client)
        let serverPayload = try server.frames(for: message)[0].payload
        let clientPayload = try client.frames(for: message)[0].payload
        #expect(clientPayload.count < serverPayload.count - 1_000, "the 12-bit window reaches the repeat, the 10-bit one does not")
        #expect(PerMessageInflater(windowBits: 10, noContextTakeover: true).inflate(message: serverPayload) == .inflated(message.payload))
        // server_no_context_takeover: the same message compresses the same way twice; the client
        // keeps its context, so its second copy is shorter.
        #expect(try server.frames(for: message)[0].payload == serverPayload)
        #expect(try client.frames(for: message)[0].payload.count < clientPayload.count)
    }

    /// Both roles at once, wired to each other in memory: the client engine plays the recorded
    /// client, the server engine the recorded server, and each finds exactly the recording in what
    /// the other sent — the engine's contract, without a socket.
    @Test(arguments: ["replay-echo.pcap", "deflate-small-window.pcap", "deflate-fragmented.pcap"])
    func clientAndServerEnginesReplayTheRecordingToEachOther(_ capture: String) async throws {
        let connection = try Self.connection(capture)
        let compression = PerMessageDeflateParameters(negotiated: WebSocketExtensionHeader.parse(connection.extensions))
        let upgrade = NegotiatedUpgrade(statusLine: "HTTP/1.1 101 Switching Protocols", subprotocol: nil, extensions: [], compression: compression)
        let playback = ConversationPlayback(answerTimeout: 5, closeTimeout: 0.2)
        let client = ConversationEngine(script: try ConversationScript(connection: connection, role: .client), playback: playback)
        let server = ConversationEngine(script: try ConversationScript(connection: connection, role: .server), playback: playback)
        let clientInbox = client.makeInbox(upgraded: upgrade)
        let serverInbox = server.makeInbox(upgraded: upgrade)
        @Sendable func play(_ engine: ConversationEngine, _ inbox: ConversationInbox, to peer: ConversationInbox) async throws -> ConnectionReport {
            var report = ConnectionReport(id: connection.id, recordedClient: connection.client, recordedServer: connection.server, path: "/")
            try await engine.play(compression: compression, inbox: inbox, report: &report) { await peer.receive(Array($0.readableBytesView)) }
            await peer.end(error: nil)
            return report
        }
        async let clientRun = play(client, clientInbox, to: serverInbox)
        async let serverRun = play(server, serverInbox, to: clientInbox)
        var reports = try await [clientRun, serverRun]
        await ConversationEngine.conclude(&reports[0], from: clientInbox)
        await ConversationEngine.conclude(&reports[1], from: serverInbox)
        for (report, engine) in zip(reports, [client, server]) {
            #expect(report.sent == engine.script.steps.count)
            #expect(report.count(.matched) == engine.script.expected.count, "\(engine.script.role): \(report.answerCounts) \(report.notes)")
            #expect(report.allMatched, "\(engine.script.role): \(report.answers.filter { $0.outcome != .matched })")
        }
    }
}

/// A small deterministic generator for test payloads.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
