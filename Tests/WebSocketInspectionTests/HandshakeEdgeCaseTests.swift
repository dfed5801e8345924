import Foundation
import Testing
import PacketDecoding
import TCPReassembly
@testable import WebSocketInspection
@testable import WebSocketProtocol

/// Handshakes that arrive in odd shapes: heads a byte at a time, extension headers that break the
/// RFC 6455 §9.1 grammar.
@Suite struct HandshakeEdgeCaseTests {
    typealias Run = ConnectionAnalyzerTests

    static func response(extensions: String) -> [UInt8] {
        Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: \(extensions)\r\n\r\n".utf8)
    }

    static let offeringRequest = Run.upgrade.replacingOccurrences(
        of: "\r\n\r\n", with: "\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n")

    static func anomalies(_ events: [InspectorEvent]) -> [(kind: String, detail: String)] {
        events.compactMap { if case .anomaly(let anomaly) = $0 { (anomaly.kind.name, anomaly.detail) } else { nil } }
    }

    @Test(arguments: [
        "per message-deflate", "permessage-deflate\u{E9}", "permessage@deflate", "\"permessage-deflate\"",
        "permessage-deflate; client max window bits", "permessage-deflate; server_max_window_bits=1 0",
        "permessage-deflate; server_max_window_bits=\"10",
    ])
    func aMalformedResponseExtensionIsReported(_ extensions: String) {
        let events = Run.run(
            client: [Self.offeringRequest],
            server: [Self.response(extensions: extensions) + frameBytes(.text, Array("still decoded".utf8))])
        let malformed = Self.anomalies(events).filter { $0.kind == "malformed_extension" }
        #expect(malformed.count == 1, "\(Self.anomalies(events))")
        #expect(malformed.first?.detail.contains(extensions) == true, "\(malformed)")
        #expect(events.messages.map { String(decoding: $0.payload, as: UTF8.self) } == ["still decoded"])
    }

    @Test(arguments: [
        "permessage-deflate", "permessage-deflate; client_max_window_bits=10", "permessage-deflate; server_max_window_bits=\"10\"",
        " permessage-deflate ;  server_no_context_takeover ", "permessage-deflate, ",
    ])
    func aWellFormedResponseExtensionIsNotReported(_ extensions: String) {
        let events = Run.run(client: [Self.offeringRequest], server: [Self.response(extensions: extensions)])
        #expect(Self.anomalies(events).isEmpty, "\(Self.anomalies(events))")
        #expect(events.contains { if case .open = $0 { true } else { false } })
    }

    /// The same connection, the heads delivered whole or one byte per segment, give the same events.
    @Test func headsArrivingOneByteAtATimeDecodeAsWholeHeads() {
        let padding = (0..<200).map { "X-Padding-\($0): \(String(repeating: "p", count: 60))\r\n" }.joined()
        let request = Run.upgrade.replacingOccurrences(of: "\r\n\r\n", with: "\r\n" + padding + "\r\n")
        let response = Array(Run.switching.utf8) + frameBytes(.text, Array("hello".utf8))
        let whole = Run.run(client: [request], server: [response])
        let bytewise = Run.run(client: request.map { String($0) }, server: response.map { [$0] })
        #expect(whole.messages.map(\.payload) == [Array("hello".utf8)])
        #expect(bytewise.messages.map(\.payload) == whole.messages.map(\.payload))
        #expect(bytewise.anomalyKinds == whole.anomalyKinds)
        guard case .open(let wholeInfo)? = whole.first, case .open(let bytewiseInfo)? = bytewise.first else {
            Issue.record("no open event")
            return
        }
        #expect(bytewiseInfo.requestHead == wholeInfo.requestHead)
        #expect(bytewiseInfo.responseHead == wholeInfo.responseHead)
    }

    /// Cost: a head of 60 KB delivered a byte at a time is searched once, not once per byte.
    @Test func aHeadArrivingOneByteAtATimeIsScannedOnce() throws {
        let padding = (0..<900).map { "X-Padding-\($0): \(String(repeating: "p", count: 50))\r\n" }.joined()
        let request = Array(Run.upgrade.replacingOccurrences(of: "\r\n\r\n", with: "\r\n" + padding + "\r\n").utf8)
        #expect(request.count > 50_000 && request.count < HTTPHeadParser.defaultMaxHeadBytes)
        let analyzer = ConnectionAnalyzer(
            info: TCPConnectionInfo(id: 1, initiator: Run.client, responder: Run.server, sawSYN: true, start: .zero),
            configuration: InspectionConfiguration())
        var examined = 0
        for (index, byte) in request.enumerated() {
            analyzer.receive([byte][...], from: .initiator, at: Timestamp(seconds: 1, nanoseconds: UInt32(index))) { _ in }
            examined = max(examined, analyzer.headScans[0].bytesExamined)
        }
        // The head completed (the scan was reset for the next one) after examining each byte about once.
        #expect(analyzer.requestsAwaitingResponse.count == 1)
        #expect(examined <= 2 * request.count, "examined \(examined) bytes for a \(request.count)-byte head")
    }
}
