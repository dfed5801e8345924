import Foundation
import Testing

/// captures/deflate-bomb.pcap: a real websockets server sent 64 MiB of zeros with permessage-deflate
/// (about 65 KB on the wire), then a small text message. wstap must report the bomb with its true
/// size, keep memory flat, and still decode the message after it.
@Suite struct DecompressionBombTests {
    static let bomb = WSTapRunner.capturesFolder.appendingPathComponent("deflate-bomb.pcap")

    static func peakKiB(_ stderr: String) -> Int? {
        guard let range = stderr.range(of: "peak memory ") else { return nil }
        return Int(stderr[range.upperBound...].prefix { $0.isNumber })
    }

    @Test(arguments: [1 << 20, 16 << 20])
    func bombIsCappedAndMemoryStaysFlat(maxMessageBytes: Int) throws {
        let result = try WSTapRunner.run(["read", "--format", "jsonl", "--stats", "--max-message-bytes", String(maxMessageBytes), Self.bomb.path])
        #expect(result.status == 0)
        let lines = try result.jsonLines()
        let messages = lines.filter { $0["event"] as? String == "message" }
        let bomb = try #require(messages.first { ($0["length"] as? Int ?? 0) > 1 << 20 })
        #expect(bomb["length"] as? Int == 64 << 20)
        #expect(bomb["truncated"] as? Bool == true)
        #expect(Data(base64Encoded: bomb["data"] as? String ?? "")?.count == maxMessageBytes)
        #expect(lines.contains { $0["kind"] as? String == "message_too_large" })
        #expect(messages.contains { $0["text"] as? String == "after the bomb ✓" })
        // 64 MiB inflated, at most the cap kept: peak memory well under the bomb's size.
        let peak = try #require(Self.peakKiB(result.stderr), "stderr: \(result.stderr)")
        #expect(peak < (maxMessageBytes >> 10) * 4 + 48 * 1024, "peak \(peak) KiB")
    }
}
