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
}
