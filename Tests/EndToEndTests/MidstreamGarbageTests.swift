import Foundation
import Testing

/// Slices of real binary and compressed payloads (the inside of the 64-bit-length frames of the
/// implementation captures), fed to `wstap read` as a connection picked up mid-stream, hold no
/// frame and must give no message (issue #16: chance "headers" in payloads were decoded as chains
/// of garbage frames).
@Suite struct MidstreamGarbageTests {
    /// The payload bytes of every 64-bit-length frame of a capture (header excluded).
    static func longFramePayloads(_ cutter: PcapCutter) -> [[UInt8]] {
        cutter.longFrameHeaders().compactMap { header in
            let masked = cutter.packets[header.packet].bytes[cutter.packets[header.packet].payloadOffset + header.offset + 1] & 0x80 != 0
            let start = header.offset + 10 + (masked ? 4 : 0)
            var bytes: [UInt8] = []
            var remaining = header.length
            var offset = start
            for index in header.packet..<cutter.packets.count where cutter.packets[index].flow == cutter.packets[header.packet].flow {
                let packet = cutter.packets[index]
                guard offset < packet.payloadLength else { offset -= packet.payloadLength; continue }
                let take = min(remaining, packet.payloadLength - offset)
                bytes += packet.bytes[(packet.payloadOffset + offset)..<(packet.payloadOffset + offset + take)]
                remaining -= take
                offset = 0
                if remaining == 0 { break }
            }
            return remaining == 0 ? bytes : nil
        }
    }

    @Test func slicesOfBinaryAndCompressedPayloadsGiveNoMessage() throws {
        var payloads: [[UInt8]] = []
        for name in ["implementations/node-ws.pcap", "implementations/aiohttp.pcap"] {
            payloads += Self.longFramePayloads(try PcapCutter(file: WSTapRunner.capturesFolder.appendingPathComponent(name)))
        }
        #expect(payloads.count >= 8)
        var random = UInt64(0x5DEE_CE66_D1CE_4E5B)
        func next() -> Int {
            random ^= random << 13
            random ^= random >> 7
            random ^= random << 17
            return Int(truncatingIfNeeded: random & 0x7FFF_FFFF)
        }
        var writer = PcapWriter()
        var sequences: [UInt32] = []
        for connection in 0..<24 {
            let payload = payloads[connection % payloads.count]
            sequences.append(1000)
            for fromServer in [false, true] {
                let length = min(payload.count, 2_000 + next() % 30_000)
                let start = next() % (payload.count - length + 1)
                let slice = payload[start..<start + length]
                var sequence: UInt32 = 1000
                var offset = slice.startIndex
                while offset < slice.endIndex {
                    let end = min(offset + 1448, slice.endIndex)
                    writer.tcp(
                        client: (1, UInt8(connection + 1)), clientPort: UInt16(40_000 + connection), serverPort: 9000,
                        fromServer: fromServer, sequence: sequence, flags: PcapWriter.pshAck, payload: slice[offset..<end])
                    sequence &+= UInt32(end - offset)
                    offset = end
                }
            }
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-garbage-\(UUID().uuidString).pcap")
        try writer.data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try WSTapRunner.run(["read", "--format", "jsonl", file.path])
        #expect(result.status == 0, "\(result.stderr)")
        let messages = try result.jsonLines().filter { $0["event"] as? String == "message" }
        #expect(messages.isEmpty, "\(messages.count) messages from payload slices: \(messages.prefix(3))")
    }
}
