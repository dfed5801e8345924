import Foundation
import Testing

/// Files that are not captures, or damaged ones: one clear line on stderr, the documented exit
/// status, never a crash or a hang, and everything decodable still printed.
@Suite struct BadInputTests {
    static func temporaryFile(_ name: String, _ bytes: Data) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-test-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
        try bytes.write(to: url)
        return url
    }

    static var plainCapture: URL { WSTapRunner.capturesFolder.appendingPathComponent("plain.pcap") }

    @Test func missingFileIsAClearError() throws {
        let result = try WSTapRunner.run(["read", "/nonexistent/wstap/missing.pcap"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("wstap: error: "))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stdout.isEmpty)
    }

    @Test(arguments: [
        ("empty", Data()),
        ("random", Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) })),
        ("text", Data("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
        ("wrong-magic", Data([0xde, 0xad, 0xbe, 0xef] + [UInt8](repeating: 0, count: 20))),
    ])
    func nonCaptureFilesAreRejected(name: String, bytes: Data) throws {
        let file = try Self.temporaryFile(name, bytes)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try WSTapRunner.run(["read", file.path])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("wstap: error: "), "stderr: \(result.stderr)")
    }

    @Test func fileCutMidRecordWarnsAndKeepsWhatCameBefore() throws {
        let whole = try Data(contentsOf: Self.plainCapture)
        let cut = try Self.temporaryFile("cut.pcap", whole.prefix(whole.count * 2 / 3))
        defer { try? FileManager.default.removeItem(at: cut) }
        let full = try WSTapRunner.run(["read", "--format", "jsonl", Self.plainCapture.path]).jsonLines()
        let result = try WSTapRunner.run(["read", "--format", "jsonl", cut.path])
        #expect(result.status == 0)
        #expect(result.stderr.contains("wstap: warning: "), "stderr: \(result.stderr)")
        let partial = try result.jsonLines().filter { $0["event"] as? String == "message" && $0["incomplete"] == nil }
        let fullMessages = full.filter { $0["event"] as? String == "message" }
        #expect(partial.count > 0 && partial.count < fullMessages.count)
        // What was printed is exactly the start of the full decode.
        for (index, message) in partial.enumerated() {
            #expect((message["text"] as? String) == (fullMessages[index]["text"] as? String))
            #expect((message["data"] as? String) == (fullMessages[index]["data"] as? String))
        }
    }

    @Test func badFilterNamesTheProblem() throws {
        let result = try WSTapRunner.run(["read", "--filter", "tcp port banana", Self.plainCapture.path])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("wstap: error: "))
        #expect(result.stderr.contains("banana"))
    }

    @Test func standardInputGivesTheSameOutputAsTheFile() throws {
        let fromFile = try WSTapRunner.run(["read", "--format", "jsonl", Self.plainCapture.path])
        let fromStdin = try WSTapRunner.run(["read", "--format", "jsonl", "-"], stdin: Self.plainCapture)
        #expect(fromStdin.status == 0)
        #expect(fromStdin.stdout == fromFile.stdout)
        #expect(!fromFile.stdout.isEmpty)
    }

    @Test func filterSelectsTraffic() throws {
        let none = try WSTapRunner.run(["read", "--format", "jsonl", "--filter", "udp", Self.plainCapture.path])
        #expect(none.status == 0)
        #expect(none.stdout.isEmpty)
    }

    @Test func textOutputShowsHandshakeAndMessages() throws {
        let result = try WSTapRunner.run(["read", Self.plainCapture.path])
        #expect(result.status == 0)
        let lines = result.stdoutText.split(separator: "\n")
        #expect(lines.first?.contains(" open ") == true)
        #expect(lines.contains { $0.contains("C→S text") })
        #expect(lines.contains { $0.contains("S→C text") })
    }

    /// A classic pcap rewritten with every record cut to `snapshotLength` bytes, as tcpdump -s does.
    static func cutBySnapshotLength(_ capture: Data, snapshotLength: Int) -> Data {
        let bytes = [UInt8](capture)
        func word(_ offset: Int) -> Int { Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24 }
        var output = Array(bytes[0..<16])
        output += withUnsafeBytes(of: UInt32(snapshotLength).littleEndian, Array.init)
        output += bytes[20..<24]
        var offset = 24
        while offset + 16 <= bytes.count {
            let captured = word(offset + 8)
            let kept = min(captured, snapshotLength)
            output += bytes[offset..<offset + 8]
            output += withUnsafeBytes(of: UInt32(kept).littleEndian, Array.init)
            output += bytes[offset + 12..<offset + 16]
            output += bytes[offset + 16..<offset + 16 + kept]
            offset += 16 + captured
        }
        return Data(output)
    }

    @Test func packetsCutBySnapshotLengthAreGapsWithAWarning() throws {
        let cut = try Self.temporaryFile("snaplen.pcap", Self.cutBySnapshotLength(try Data(contentsOf: Self.plainCapture), snapshotLength: 120))
        defer { try? FileManager.default.removeItem(at: cut) }
        let result = try WSTapRunner.run(["read", "--format", "jsonl", cut.path])
        #expect(result.status == 0)
        #expect(result.stderr.contains("cut by the capture's snapshot length (120 bytes)"), "stderr: \(result.stderr)")
        let lines = try result.jsonLines()
        #expect(lines.contains { $0["event"] as? String == "open" })
        #expect(lines.contains { $0["kind"] as? String == "tcp_gap" || $0["event"] as? String == "gap" })
    }

    /// The pcapng blocks of a file: (offset, length).
    static func pcapngBlocks(_ bytes: [UInt8]) -> [(offset: Int, length: Int)] {
        var blocks: [(Int, Int)] = []
        var offset = 0
        while offset + 8 <= bytes.count {
            let length = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
            guard length >= 12 else { break }
            blocks.append((offset, length))
            offset += length
        }
        return blocks
    }

    static var pcapngCapture: URL { WSTapRunner.capturesFolder.appendingPathComponent("pcapng.pcapng") }

    @Test func pcapngBlockOfUnknownTypeIsSkipped() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.pcapngCapture))
        let blocks = Self.pcapngBlocks(bytes)
        #expect(blocks.count > 4)
        // Block type 0x0BAD with a 20-byte body, between the interface description and the first packet.
        let body = Array("not a block wstap knows".utf8.prefix(20))
        let length = UInt32(12 + body.count)
        let custom = withUnsafeBytes(of: UInt32(0x0BAD).littleEndian, Array.init) + withUnsafeBytes(of: length.littleEndian, Array.init)
            + body + withUnsafeBytes(of: length.littleEndian, Array.init)
        let insertAt = blocks[2].offset
        let file = try Self.temporaryFile("unknown-block.pcapng", Data(bytes[..<insertAt] + custom + bytes[insertAt...]))
        defer { try? FileManager.default.removeItem(at: file) }
        let original = try WSTapRunner.run(["read", "--format", "jsonl", Self.pcapngCapture.path])
        let result = try WSTapRunner.run(["read", "--format", "jsonl", file.path])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty, "stderr: \(result.stderr)")
        #expect(result.stdout == original.stdout)
        #expect(!original.stdout.isEmpty)
    }

    @Test func pcapngCutMidBlockWarnsAndKeepsWhatCameBefore() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.pcapngCapture))
        let blocks = Self.pcapngBlocks(bytes)
        let cutAt = blocks[blocks.count / 2].offset + 10
        let file = try Self.temporaryFile("cut.pcapng", Data(bytes[..<cutAt]))
        defer { try? FileManager.default.removeItem(at: file) }
        let original = try WSTapRunner.run(["read", "--format", "jsonl", Self.pcapngCapture.path])
        let result = try WSTapRunner.run(["read", "--format", "jsonl", file.path])
        #expect(result.status == 0)
        #expect(result.stderr.hasPrefix("wstap: warning: "), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("middle of a packet record"))
        let partial = try result.jsonLines().filter { $0["event"] as? String == "message" }
        let full = try original.jsonLines().filter { $0["event"] as? String == "message" }
        #expect(partial.count > 0 && partial.count < full.count)
    }
}
