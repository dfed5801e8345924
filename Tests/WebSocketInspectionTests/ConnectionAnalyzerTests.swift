import Testing
import PacketDecoding
import TCPReassembly
@testable import WebSocketInspection
import WebSocketProtocol

/// HTTP before the Upgrade on one connection: bodies of every framing are skipped, requests and
/// answers are paired in order, and the bytes after the 101 are frames.
@Suite struct ConnectionAnalyzerTests {
    static let client = Endpoint(address: IPAddress(v4: 127, 0, 0, 1), port: 50000)
    static let server = Endpoint(address: IPAddress(v4: 127, 0, 0, 1), port: 8080)

    static func run(client chunksFromClient: [String], server chunksFromServer: [[UInt8]], clientFrames: [UInt8] = []) -> [InspectorEvent] {
        let analyzer = ConnectionAnalyzer(
            info: TCPConnectionInfo(id: 1, initiator: client, responder: server, sawSYN: true, start: .zero),
            configuration: InspectionConfiguration())
        var events: [InspectorEvent] = []
        var time = Timestamp(seconds: 1_700_000_000, nanoseconds: 0)
        for chunk in chunksFromClient {
            time.nanoseconds += 1000
            analyzer.receive(Array(chunk.utf8)[...], from: .initiator, at: time) { events.append($0) }
        }
        if !clientFrames.isEmpty { analyzer.receive(clientFrames[...], from: .initiator, at: time) { events.append($0) } }
        for chunk in chunksFromServer {
            time.nanoseconds += 1000
            analyzer.receive(chunk[...], from: .responder, at: time) { events.append($0) }
        }
        analyzer.finish(reason: .fin, at: time) { events.append($0) }
        return events
    }

    static let upgrade = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    static let switching = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"

    @Test func skipsChunkedAndLengthBodiesBeforeTheUpgrade() {
        let events = Self.run(
            client: [
                "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                "PUT /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
                Self.upgrade,
            ],
            server: [
                Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nGET\r\n0\r\n\r\n".utf8),
                Array("HTTP/1.1 204 No Content\r\n\r\n".utf8),
                Array(Self.switching.utf8) + frameBytes(.text, Array("after".utf8)),
            ],
            clientFrames: frameBytes(.text, Array("early".utf8), maskKey: 0x01020304))
        guard case .open(let info)? = events.first else {
            Issue.record("expected an open event first, got \(events)")
            return
        }
        #expect(info.path == "/ws")
        #expect(events.anomalyKinds.isEmpty, "\(events.anomalyKinds)")
        #expect(events.messages.map { String(decoding: $0.payload, as: UTF8.self) } == ["early", "after"])
        #expect(events.messages.map(\.direction) == [.clientToServer, .serverToClient])
    }

    @Test func aRefusedUpgradeIsReportedAndHTTPGoesOn() {
        let events = Self.run(
            client: [Self.upgrade, Self.upgrade],
            server: [Array("HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nnope".utf8), Array(Self.switching.utf8)])
        let refusals = events.compactMap { if case .refused(let refusal) = $0 { refusal.status } else { nil } }
        #expect(refusals == [401])
        #expect(events.contains { if case .open = $0 { true } else { false } })
    }
}
