import Foundation
import Testing

/// Upgrade requests whose head arrives one byte per TCP segment: each head must be scanned once,
/// not re-parsed per segment (quadratic: before the fix, each 64 KB head cost about 280 s of CPU
/// in a debug build; docs/limits.md has the figures).
@Suite struct BytewiseHeadTests {
    /// `count` connections, each a handshake, an upgrade request of about `headBytes` in 1-byte
    /// segments, and a 101 with one text frame `hello`.
    static func capture(connections count: Int, headBytes: Int) -> PcapWriter {
        var writer = PcapWriter()
        let key = "dGhlIHNhbXBsZSBub25jZQ=="
        let padding = String(repeating: "p", count: 50)
        for index in 0..<count {
            let client: (UInt8, UInt8) = (0, 1)
            let port = UInt16(20_000 + index)
            var head = "GET /chat/\(index) HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
            var line = 0
            while head.utf8.count + 70 < headBytes {
                head += "X-Padding-\(line): \(padding)\r\n"
                line += 1
            }
            let bytes = Array((head + "\r\n").utf8)
            writer.tcp(client: client, clientPort: port, sequence: 1000, flags: PcapWriter.syn)
            writer.tcp(client: client, clientPort: port, fromServer: true, sequence: 5000, acknowledgment: 1001, flags: PcapWriter.synAck)
            for (offset, byte) in bytes.enumerated() {
                writer.tcp(client: client, clientPort: port, sequence: 1001 + UInt32(offset), acknowledgment: 5001, flags: PcapWriter.pshAck, payload: [byte])
            }
            let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
            writer.tcp(client: client, clientPort: port, fromServer: true, sequence: 5001, acknowledgment: 1001 + UInt32(bytes.count),
                       flags: PcapWriter.pshAck, payload: Array(response.utf8) + [0x81, 0x05] + Array("hello".utf8))
        }
        return writer
    }

    @Test(.timeLimit(.minutes(3))) func headsArrivingOneByteAtATimeDecodeInLinearTime() throws {
        let file = try BadInputTests.temporaryFile("bytewise-heads.pcap", Self.capture(connections: 4, headBytes: 65_000).data)
        defer { try? FileManager.default.removeItem(at: file) }
        let started = ContinuousClock.now
        let result = try WSTapRunner.run(["read", "--format", "jsonl", "--stats", file.path], timeout: 170)
        let elapsed = ContinuousClock.now - started
        #expect(result.status == 0)
        let events = try result.jsonLines()
        #expect(events.filter { $0["event"] as? String == "open" }.compactMap { $0["path"] as? String } == (0..<4).map { "/chat/\($0)" })
        #expect(events.filter { $0["event"] as? String == "message" }.compactMap { $0["text"] as? String } == Array(repeating: "hello", count: 4))
        #expect(!events.contains { $0["event"] as? String == "anomaly" })
        // Linear: about 2 s of CPU in a debug build; quadratic was over 1,000 s.
        #expect(elapsed < .seconds(120), "\(elapsed)")
        let peak = try #require(DecompressionBombTests.peakKiB(result.stderr), "stderr: \(result.stderr)")
        #expect(peak < 64 * 1024, "peak \(peak) KiB")
    }
}
