import Foundation
import Testing

/// A wss:// capture with client packets removed: the records they cut are lost (a gap, never
/// unauthenticated bytes), and decryption picks up again at the next record, with its sequence
/// number found within the resynchronisation window.
@Suite struct TLSLossTests {
    /// Removes `count` consecutive client→server data packets from the middle of a classic
    /// little-endian Ethernet/IPv4 pcap (as tcpdump writes on lo).
    static func dropClientPackets(_ source: URL, serverPort: UInt16, count: Int) throws -> Data {
        let data = [UInt8](try Data(contentsOf: source))
        var records: [(range: Range<Int>, clientData: Bool)] = []
        var offset = 24
        while offset + 16 <= data.count {
            let included = Int(data[offset + 8]) | Int(data[offset + 9]) << 8 | Int(data[offset + 10]) << 16 | Int(data[offset + 11]) << 24
            let packet = offset + 16
            var clientData = false
            if data[packet + 12] == 0x08, data[packet + 13] == 0x00 {
                let ip = packet + 14
                let headerLength = Int(data[ip] & 0x0F) * 4
                let totalLength = Int(data[ip + 2]) << 8 | Int(data[ip + 3])
                let tcp = ip + headerLength
                let destination = UInt16(data[tcp + 2]) << 8 | UInt16(data[tcp + 3])
                let payload = totalLength - headerLength - Int(data[tcp + 12] >> 4) * 4
                clientData = destination == serverPort && payload > 0
            }
            records.append((offset..<(packet + included), clientData))
            offset = packet + included
        }
        let clientRecords = records.indices.filter { records[$0].clientData }
        let middle = clientRecords.count / 2
        let dropped = Set(clientRecords[middle..<(middle + count)])
        var output = Data(data[0..<24])
        for index in records.indices where !dropped.contains(index) { output += data[records[index].range] }
        return output
    }

    @Test(arguments: [1, 2])
    func lostClientPacketsLoseOnlyTheirRecords(dropping count: Int) throws {
        let folder = WSTapRunner.capturesFolder.appendingPathComponent("tls")
        for name in ["tls13-aes128gcm", "tls12-chacha20"] {
            let port: UInt16 = name == "tls13-aes128gcm" ? 9201 : 9205
            let lossy = try Self.dropClientPackets(folder.appendingPathComponent("\(name).pcap"), serverPort: port, count: count)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-lossy-\(name)-\(count)-\(getpid()).pcap")
            try lossy.write(to: path)
            defer { try? FileManager.default.removeItem(at: path) }
            let result = try WSTapRunner.run(["read", "--format", "jsonl", "--keylog", folder.appendingPathComponent("\(name).keylog").path, path.path])
            #expect(result.status == 0, "\(result.stderr)")
            let lines = try result.jsonLines()
            #expect(lines.contains { $0["kind"] as? String == "tls_record_lost" }, "\(name) -\(count): \(lines.filter { $0["event"] as? String != "message" })")
            #expect(!lines.contains { $0["kind"] as? String == "tls_authentication_failed" }, "\(name) -\(count)")
            let capture = RecordedCaptureTests.Capture(name: name, file: path, truth: folder.appendingPathComponent("\(name).truth.jsonl"))
            let expected = try RecordedCaptureTests.truth(of: capture)
            let (actual, _) = RecordedCaptureTests.decoded(lines)
            for (key, sent) in expected {
                // Every message printed is one the peer sent, in order: nothing is invented.
                var remaining = sent[...]
                for message in actual[key] ?? [] {
                    guard let index = remaining.firstIndex(of: message) else {
                        Issue.record("\(name) -\(count) \(key): \(message) was not sent")
                        break
                    }
                    remaining = remaining[(index + 1)...]
                }
                // The server lost nothing; the client's ping and close after the loss decrypt again.
                if key.from == "server" {
                    #expect(actual[key] == sent, "\(name) -\(count) server messages")
                } else {
                    let opcodes = (actual[key] ?? []).map(\.opcode)
                    #expect(opcodes.suffix(2) == ["ping", "close"], "\(name) -\(count) client: \(opcodes)")
                    #expect((actual[key] ?? []).count < sent.count)
                }
            }
        }
    }
}
