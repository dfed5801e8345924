import PacketDecoding
import TCPReassembly
import Testing
import WebSocketInspection
@testable import TLSDecryption

/// The TLS layer on hand-made streams: plain traffic passes untouched, and hostile TLS-looking
/// bytes are reported and bounded, never buffered without limit or handed on as plaintext.
struct TLSStreamLayerTests {
    final class Collector {
        var data: [StreamSide: [UInt8]] = [:]
        var gaps: [StreamSide: UInt64] = [:]
        var anomalies: [AnomalyKind] = []
        var details: [String] = []

        func callAsFunction(_ output: StreamLayerOutput) {
            switch output {
            case .data(let side, let bytes, _): data[side, default: []] += bytes
            case .gap(let side, let count, _): gaps[side, default: 0] += count
            case .anomaly(let kind, let detail, _):
                anomalies.append(kind)
                details.append(detail)
            }
        }
    }

    static func layer(keyLog: TLSKeyLog = TLSKeyLog(parsing: [UInt8]())) -> TLSStreamLayer {
        TLSStreamLayer(configuration: TLSDecryptionConfiguration(keyLog: keyLog))
    }

    @Test(arguments: [
        Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
        [0x16],  // one byte alone: not enough to decide, flushed at the end
        [0x16, 0x03],
        [0x16, 0x04, 0x00, 0x00],  // not a 3.x version
        [0x80, 0x2E, 0x01, 0x03, 0x01],  // an SSLv2-style hello is not decrypted: passes through
    ])
    func nonTLSBytesPassThroughUntouched(_ bytes: [UInt8]) {
        let layer = Self.layer()
        let collector = Collector()
        // Byte by byte: the decision must not depend on segmentation.
        for byte in bytes { layer.receive([byte][...], from: .initiator, at: .zero) { collector($0) } }
        layer.receive([0x48, 0x54][...], from: .responder, at: .zero) { collector($0) }
        layer.finish(at: .zero) { collector($0) }
        #expect(collector.data[.initiator] == bytes)
        #expect(collector.data[.responder] == [0x48, 0x54])
        #expect(collector.anomalies.isEmpty)
    }

    @Test func aRecordLongerThanTheLimitIsReportedAndNotBuffered() {
        let layer = Self.layer()
        let collector = Collector()
        layer.receive([0x16, 0x03, 0x01, 0xFF, 0xFF][...], from: .initiator, at: .zero) { collector($0) }
        for _ in 0..<100 { layer.receive([UInt8](repeating: 0x41, count: 1000)[...], from: .initiator, at: .zero) { collector($0) } }
        layer.finish(at: .zero) { collector($0) }
        #expect(collector.anomalies == [.tlsRecordTooLarge])
        #expect(collector.data.isEmpty)
        #expect(layer.halves[0].buffer.isEmpty)
    }

    /// A handshake message claiming 16 MiB is skipped as it streams past, not reassembled.
    @Test func aHugeHandshakeMessageIsSkippedNotHeld() {
        let layer = Self.layer()
        let collector = Collector()
        let fragment: [UInt8] = [0x01, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 16_000)
        let record: [UInt8] = [0x16, 0x03, 0x01, UInt8(fragment.count >> 8), UInt8(fragment.count & 0xFF)] + fragment
        for _ in 0..<200 { layer.receive(record[...], from: .initiator, at: .zero) { collector($0) } }
        #expect(collector.data.isEmpty)
        #expect(layer.halves[0].buffer.count < TLSDecryptionConfiguration().maxRecordBytes + 5)
        #expect(layer.clientHello == nil)
    }

    @Test func aMalformedClientHelloIsReportedOnce() {
        let layer = Self.layer()
        let collector = Collector()
        let fragment: [UInt8] = [0x01, 0x00, 0x00, 0x04, 0x03, 0x03, 0x00, 0x00]  // a hello cut after 2 bytes of random
        layer.receive(([0x16, 0x03, 0x01, 0x00, UInt8(fragment.count)] + fragment)[...], from: .initiator, at: .zero) { collector($0) }
        layer.receive([0x17, 0x03, 0x03, 0x00, 0x02, 0xAA, 0xBB][...], from: .initiator, at: .zero) { collector($0) }
        layer.finish(at: .zero) { collector($0) }
        #expect(collector.anomalies == [.tlsMalformed])
        #expect(collector.data.isEmpty)
    }

    /// A capture that starts after the handshake: the connection is listed as TLS without key,
    /// and its records are not handed on.
    @Test(arguments: [StreamSide.initiator, .responder])
    func aConnectionFirstSeenMidStreamIsNoKey(side: StreamSide) {
        let layer = Self.layer()
        let collector = Collector()
        layer.receive([0x17, 0x03, 0x03, 0x00, 0x03, 1, 2, 3][...], from: side, at: .zero) { collector($0) }
        layer.receive([0x17, 0x03, 0x03, 0x00, 0x03, 4, 5, 6][...], from: side == .initiator ? .responder : .initiator, at: .zero) { collector($0) }
        layer.finish(at: .zero) { collector($0) }
        #expect(collector.anomalies == [.noKey])
        #expect(collector.details.first?.contains("handshake was not captured") == true)
        #expect(collector.data.isEmpty)
    }

    @Test func anUnsupportedSuiteIsNamed() {
        let layer = Self.layer()
        let collector = Collector()
        let clientHello: [UInt8] = [0x01, 0x00, 0x00, UInt8(TLSHelloTests.clientHelloBody.count)] + TLSHelloTests.clientHelloBody
        var serverBody = TLSHelloTests.serverHelloBody
        serverBody[2 + 32 + 1 + 32] = 0xC0
        serverBody[2 + 32 + 1 + 32 + 1] = 0x13  // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
        serverBody.removeLast(6)  // no supported_versions: TLS 1.2
        serverBody[serverBody.count - 2] = 0
        serverBody[serverBody.count - 1] = 0
        let serverHello: [UInt8] = [0x02, 0x00, 0x00, UInt8(serverBody.count)] + serverBody
        layer.receive(([0x16, 0x03, 0x01, 0x00, UInt8(clientHello.count)] + clientHello)[...], from: .initiator, at: .zero) { collector($0) }
        layer.receive(([0x16, 0x03, 0x03, 0x00, UInt8(serverHello.count)] + serverHello)[...], from: .responder, at: .zero) { collector($0) }
        #expect(collector.anomalies == [.tlsUnsupported])
        #expect(collector.details.first?.contains("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA") == true, "\(collector.details)")
        #expect(collector.details.first?.contains("SNI example.com") == true)
    }
}

extension TLSStreamLayerTests {
    /// A TLS 1.2 server that chose ALPN h2: decryptable, but WebSocket over HTTP/2 is not decoded
    /// yet, and the user is told so instead of seeing nothing.
    @Test func http2IsSaidNotSilent() {
        let keyLog = TLSKeyLog(parsing: Array("CLIENT_RANDOM \(String(repeating: "42", count: 32)) \(String(repeating: "07", count: 48))\n".utf8))
        let layer = Self.layer(keyLog: keyLog)
        let collector = Collector()
        let clientHello: [UInt8] = [0x01, 0x00, 0x00, UInt8(TLSHelloTests.clientHelloBody.count)] + TLSHelloTests.clientHelloBody
        var serverBody: [UInt8] = [0x03, 0x03] + Array(repeating: 0x24, count: 32) + TLSHelloTests.vector8([]) + [0xC0, 0x2F, 0x00]
        serverBody += TLSHelloTests.vector16(TLSHelloTests.extension(16, TLSHelloTests.vector16(TLSHelloTests.vector8(Array("h2".utf8)))))
        let serverHello: [UInt8] = [0x02, 0x00, 0x00, UInt8(serverBody.count)] + serverBody
        layer.receive(([0x16, 0x03, 0x01, 0x00, UInt8(clientHello.count)] + clientHello)[...], from: .initiator, at: .zero) { collector($0) }
        layer.receive(([0x16, 0x03, 0x03, 0x00, UInt8(serverHello.count)] + serverHello)[...], from: .responder, at: .zero) { collector($0) }
        #expect(collector.anomalies == [.http2NotDecoded])
        #expect(collector.details.first?.contains("RFC 8441") == true)
        #expect(layer.tlsSession?.protocols == ["h2"])
    }
}
