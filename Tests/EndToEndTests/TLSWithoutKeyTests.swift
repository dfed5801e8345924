import Foundation
import PacketCapture
import PacketDecoding
import Testing

/// Without a key, every TLS connection of a recorded capture is still listed: by `read` as a `tls`
/// event (SNI, ALPN, version, `no_key`, bytes each way) and by `sessions` as a row.
struct TLSWithoutKeyTests {
    /// Each TCP stream's length per sender endpoint, from the packets themselves (the highest
    /// sequence number reached past the SYN), so retransmissions count once.
    static func streamBytes(_ path: String) throws -> [String: UInt64] {
        let source = try PacketSource.openFile(path)
        let decoder = try #require(PacketDecoder(linkType: source.linkType))
        var initial: [String: UInt32] = [:], highest: [String: UInt32] = [:]
        while let packet = try source.nextPacket() {
            guard case .tcp(let segment) = decoder.decode(packet.bytes, originalLength: packet.originalLength, timestamp: packet.timestamp) else { continue }
            let sender = segment.source.description
            if segment.flags.contains(.syn) { initial[sender] = segment.sequenceNumber &+ 1 }
            guard let start = initial[sender], !segment.payload.isEmpty else { continue }
            let end = segment.sequenceNumber &+ UInt32(segment.payload.count)
            if (end &- start) > (highest[sender].map { $0 &- start } ?? 0) { highest[sender] = end }
        }
        return highest.reduce(into: [:]) { result, entry in result[entry.key] = UInt64(entry.value &- initial[entry.key]!) }
    }

    /// Runs `wstap <subcommand> --format jsonl` on `capture` and keeps the lines whose `field` is
    /// `tls`: they must name exactly the capture's TLS clients. Returns them, those clients, and
    /// each stream's bytes counted from the packets.
    static func tlsLines(_ subcommand: String, field: String, _ capture: RecordedCaptureTests.Capture) throws
        -> (lines: [[String: Any]], clients: Set<String>, bytes: [String: UInt64]) {
        let result = try WSTapRunner.run([subcommand, "--format", "jsonl", capture.file.path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try result.jsonLines().filter { $0[field] as? String == "tls" }
        let tlsClients = try TLSCaptureTests.tlsClients(capture)
        #expect(Set(lines.compactMap { $0["client"] as? String }) == tlsClients)
        return (lines, tlsClients, try streamBytes(capture.file.path))
    }

    @Test(arguments: TLSCaptureTests.captures)
    func readListsEachTLSConnectionWithItsBytes(_ capture: RecordedCaptureTests.Capture) throws {
        let (events, tlsClients, bytes) = try Self.tlsLines("read", field: "event", capture)
        #expect(events.count == tlsClients.count)
        for event in events {
            #expect(event["decrypted"] as? Bool == false && event["reason"] as? String == "no_key", "\(event)")
            let tls = event["tls"] as? [String: Any]
            #expect(tls?["sni"] as? String == "localhost" && tls?["alpn"] as? String == "http/1.1", "\(event)")
            #expect(tls?["version"] as? String == (capture.name.hasPrefix("tls12") ? "TLS 1.2" : "TLS 1.3"), "\(event)")
            let client = event["client"] as? String ?? "", server = event["server"] as? String ?? ""
            #expect((event["bytes_from_client"] as? Int).map(UInt64.init) == bytes[client], "\(event) \(bytes)")
            #expect((event["bytes_from_server"] as? Int).map(UInt64.init) == bytes[server], "\(event) \(bytes)")
            #expect((event["bytes_from_client"] as? Int ?? 0) > 100_000, "the 100 KB message and its records")
        }
        // With the key log, the connection is a WebSocket connection instead.
        let decrypted = try WSTapRunner.run(["read", "--format", "jsonl", "--keylog", TLSCaptureTests.keyLog(capture), capture.file.path])
        #expect(try decrypted.jsonLines().filter { $0["event"] as? String == "tls" }.isEmpty)
    }

    @Test(arguments: TLSCaptureTests.captures)
    func sessionsHasARowForEachTLSConnection(_ capture: RecordedCaptureTests.Capture) throws {
        let (rows, tlsClients, bytes) = try Self.tlsLines("sessions", field: "kind", capture)
        for row in rows {
            let fromClient = (row["from_client"] as? [String: Any])?["wire_bytes"] as? Int
            let fromServer = (row["from_server"] as? [String: Any])?["wire_bytes"] as? Int
            #expect(fromClient.map(UInt64.init) == bytes[row["client"] as? String ?? ""], "\(row)")
            #expect(fromServer.map(UInt64.init) == bytes[row["server"] as? String ?? ""], "\(row)")
            #expect((row["tls"] as? [String: Any])?["sni"] as? String == "localhost")
        }
        let text = try WSTapRunner.run(["sessions", capture.file.path])
        let lines = text.stdoutText.split(separator: "\n").filter { $0.contains("TLS not decrypted (no_key)") }
        #expect(lines.count == tlsClients.count, "\(text.stdoutText)")
        #expect(lines.allSatisfy { $0.contains("SNI localhost ALPN http/1.1") && $0.contains("from client") }, "\(lines)")
    }
}
