import Foundation
import Testing

/// Inputs whose cost grows faster than their size: output amplification (one header that makes
/// thousands of anomalies) and per-frame bookkeeping (millions of one-byte frames). Each must stay
/// within a named limit (InspectionConfiguration: maxAnomaliesPerKind, maxAnomalyDetailBytes,
/// maxFragmentLengths).
@Suite struct AmplificationTests {
    /// A connection with the given extra request and response header lines, then `serverStream`
    /// sent by the server after its 101 head, in segments of at most 60,000 bytes.
    static func connection(requestHeaders: String = "", responseHeaders: String = "", serverStream: [UInt8] = []) -> PcapWriter {
        var writer = PcapWriter()
        let client: (UInt8, UInt8) = (0, 1)
        writer.tcp(client: client, clientPort: 5000, sequence: 1000, flags: PcapWriter.syn)
        writer.tcp(client: client, clientPort: 5000, fromServer: true, sequence: 5000, acknowledgment: 1001, flags: PcapWriter.synAck)
        let request = Array("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\(requestHeaders)\r\n".utf8)
        var clientSequence: UInt32 = 1001
        for chunk in stride(from: 0, to: request.count, by: 60_000).map({ request[$0..<min($0 + 60_000, request.count)] }) {
            writer.tcp(client: client, clientPort: 5000, sequence: clientSequence, flags: PcapWriter.pshAck, payload: chunk)
            clientSequence &+= UInt32(chunk.count)
        }
        let stream = Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\(responseHeaders)\r\n".utf8) + serverStream
        var serverSequence: UInt32 = 5001
        for start in stride(from: 0, to: stream.count, by: 60_000) {
            let chunk = stream[start..<min(start + 60_000, stream.count)]
            writer.tcp(client: client, clientPort: 5000, fromServer: true, sequence: serverSequence, acknowledgment: clientSequence, flags: PcapWriter.pshAck, payload: chunk)
            serverSequence &+= UInt32(chunk.count)
        }
        return writer
    }

    /// The request offers 2,000 subprotocols and the response selects 4,000 others: one anomaly
    /// per selected item, each quoting every offer, was 109 MB of JSON Lines from 114 KB.
    @Test func thousandsOfUnofferedSubprotocolsGiveBoundedOutput() throws {
        let offered = (0..<2000).map { "offered-protocol-\($0)" }.joined(separator: ", ")
        let selected = (0..<4000).map { "selected-\($0)" }.joined(separator: ", ")
        let writer = Self.connection(requestHeaders: "Sec-WebSocket-Protocol: \(offered)\r\n", responseHeaders: "Sec-WebSocket-Protocol: \(selected)\r\n")
        let file = try BadInputTests.temporaryFile("subprotocol-flood.pcap", writer.data)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(writer.data.count < 200_000)
        let result = try WSTapRunner.run(["read", "--format", "jsonl", "--stats", file.path])
        #expect(result.status == 0)
        // Measured (debug build, --stats): 205 MB while every problem quoted all 2,000 offers.
        let peak = try #require(DecompressionBombTests.peakKiB(result.stderr), "stderr: \(result.stderr)")
        #expect(peak < 64 * 1024, "peak \(peak) KiB")
        let anomalies = try result.jsonLines().filter { $0["kind"] as? String == "unoffered_subprotocol" }
        // 100 shown (the default maxAnomaliesPerKind), then one line that counts the rest.
        #expect(anomalies.count == 101)
        #expect((anomalies.last?["detail"] as? String)?.hasPrefix("3900 more unoffered_subprotocol anomalies") == true)
        #expect(anomalies.allSatisfy { ($0["detail"] as? String)?.utf8.count ?? .max <= 1024 + 32 })
        #expect(result.stdout.count < 400_000, "\(result.stdout.count) bytes of output")

        let raised = try WSTapRunner.run(["read", "--format", "jsonl", "--max-anomalies-per-kind", "5000", file.path])
        #expect(try raised.jsonLines().filter { $0["kind"] as? String == "unoffered_subprotocol" }.count == 4000)
    }

    /// A text message sent as 2,000,000 one-byte continuation frames: the frames are counted, but
    /// only `maxFragmentLengths` of their lengths are kept (8 bytes each, 16 MB before).
    @Test(.timeLimit(.minutes(3))) func millionsOfOneByteFramesCostAFixedAmount() throws {
        let frames = 2_000_000
        var stream: [UInt8] = [0x01, 0x01, UInt8(ascii: "a")]
        stream.reserveCapacity(3 * frames + 3)
        for _ in 0..<frames { stream += [0x00, 0x01, UInt8(ascii: "b")] }
        stream += [0x80, 0x01, UInt8(ascii: "c")]
        let file = try BadInputTests.temporaryFile("one-byte-frames.pcap", Self.connection(serverStream: stream).data)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try WSTapRunner.run(["read", "--format", "jsonl", "--stats", file.path], timeout: 170)
        #expect(result.status == 0)
        let message = try #require(try result.jsonLines().first { $0["event"] as? String == "message" })
        #expect(message["frames"] as? Int == frames + 2)
        #expect(message["length"] as? Int == frames + 2)
        let peak = try #require(DecompressionBombTests.peakKiB(result.stderr), "stderr: \(result.stderr)")
        // Measured (debug build, --stats): 48 MB before the cap, 32 MB with it; the payload is 2 MB.
        // Since the allocator keeps freed memory for reuse (AllocatorTuning) and the default is a
        // worker per core: 38 MB with --threads 1, 42 MB with 2; 16 MB of kept lengths would still
        // go past the bound.
        #expect(peak < 48 * 1024, "peak \(peak) KiB")
    }
}
