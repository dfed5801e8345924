import Foundation
import Testing

/// Real-world captures from public projects (../shared/captures/public, not in this repository):
/// wstap must find every WebSocket frame tshark counted, with the same opcodes.
@Suite struct PublicCaptureTests {
    struct Expectation: Sendable, CustomTestStringConvertible {
        var file: String
        /// Frames tshark decoded (continuations included).
        var frames = 0
        /// Opcode of each message's first frame → count (continuations excluded).
        var messageOpcodes: [Int: Int] = [:]
        var testDescription: String { file }
    }

    static let tsv = WSTapRunner.publicCapturesFolder.appendingPathComponent("expected.tsv")

    static let expectations: [Expectation] = {
        guard let text = try? String(contentsOf: tsv, encoding: .utf8) else { return [] }
        var byFile: [String: Expectation] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard columns.count > 4 else { continue }
            var expectation = byFile[columns[0]] ?? Expectation(file: columns[0])
            for opcode in columns[4].split(separator: ",").compactMap({ Int($0) }) {
                expectation.frames += 1
                if opcode != 0 { expectation.messageOpcodes[opcode, default: 0] += 1 }
            }
            byFile[columns[0]] = expectation
        }
        return byFile.values.sorted { $0.file < $1.file }
    }()

    static let opcodeNumbers = ["continuation": 0, "text": 1, "binary": 2, "close": 8, "ping": 9, "pong": 10]

    @Test func publicCapturesArePresentOrSkipped() {
        if Self.expectations.isEmpty {
            print("note: \(Self.tsv.path) not found; the public-capture comparisons are skipped")
        }
    }

    @Test(arguments: expectations)
    func findsEveryFrameTsharkFound(_ expectation: Expectation) throws {
        let file = WSTapRunner.publicCapturesFolder.appendingPathComponent(expectation.file)
        let result = try WSTapRunner.run(["read", "--format", "jsonl", file.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let messages = try result.jsonLines().filter { $0["event"] as? String == "message" }
        let frames = messages.reduce(0) { $0 + ($1["frames"] as? Int ?? 0) }
        var opcodes: [Int: Int] = [:]
        for message in messages {
            let name = message["opcode"] as? String ?? "?"
            opcodes[Self.opcodeNumbers[name] ?? -1, default: 0] += 1
        }
        #expect(frames == expectation.frames)
        #expect(opcodes == expectation.messageOpcodes)
    }
}

/// The protocol checker on real captures with known problems.
@Suite struct PublicCaptureAnomalyTests {
    static func anomalies(_ name: String) throws -> [String]? {
        let file = WSTapRunner.publicCapturesFolder.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: file.path) else {
            print("note: \(file.path) not found; skipped")
            return nil
        }
        let lines = try WSTapRunner.run(["read", "--format", "jsonl", file.path]).jsonLines()
        return lines.filter { $0["event"] as? String == "anomaly" }.compactMap { $0["kind"] as? String }
    }

    @Test func wrongAcceptHeaderIsReported() throws {
        guard let kinds = try Self.anomalies("zeek-wrong-accept-header.pcap") else { return }
        #expect(kinds.contains("wrong_accept"))
    }

    @Test func unmaskedClientFramesAreReported() throws {
        guard let kinds = try Self.anomalies("zeek-wstunnel-http.pcap") else { return }
        #expect(kinds.contains("unmasked_client_frame"))
    }

    @Test func aCleanRealCaptureHasNoAnomalies() throws {
        guard let kinds = try Self.anomalies("zeek-pr5646-websocket-compressed.pcap") else { return }
        #expect(kinds.isEmpty, "\(kinds)")
    }
}
