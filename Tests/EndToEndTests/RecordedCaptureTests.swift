import Foundation
import Testing

/// The captures in captures/ were recorded from real peers that logged every message they sent
/// (scripts/capture). `wstap read --format jsonl` must give back each of those messages byte for
/// byte, in order, per connection and direction.
@Suite struct RecordedCaptureTests {
    struct Capture: Sendable, CustomTestStringConvertible {
        var name: String
        var file: URL
        var truth: URL
        var testDescription: String { name }
    }

    static let captures: [Capture] = {
        let folder = WSTapRunner.capturesFolder
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".truth.jsonl") }.sorted().compactMap { truthName in
            let stem = String(truthName.dropLast(".truth.jsonl".count))
            for ext in ["pcap", "pcapng"] where names.contains("\(stem).\(ext)") {
                return Capture(name: stem, file: folder.appendingPathComponent("\(stem).\(ext)"), truth: folder.appendingPathComponent(truthName))
            }
            return nil
        }
    }()

    /// One message as the peer logged it or as wstap printed it.
    struct Message: Equatable, CustomStringConvertible {
        static func == (lhs: Message, rhs: Message) -> Bool {
            (lhs.opcode, lhs.payload, lhs.closeCode, lhs.frames, lhs.lengthOnly)
                == (rhs.opcode, rhs.payload, rhs.closeCode, rhs.frames, rhs.lengthOnly)
        }

        var opcode: String
        var payload: Data
        var closeCode: Int?
        /// Frames the sender split the message into.
        var frames: Int
        /// For payloads too large to log or print (a decompression bomb): the length alone is compared.
        var lengthOnly: Int? = nil
        /// When the sender handed it to its socket (truth) or when the packet completing it was
        /// captured (wstap): not compared for equality, only for being close.
        var time: Double = 0
        var description: String {
            "\(opcode) \(payload.count) B in \(frames) frame(s) \(String(decoding: payload.prefix(40), as: UTF8.self).debugDescription)"
        }
    }

    struct Key: Hashable, CustomStringConvertible {
        var client: String
        var from: String
        var description: String { "\(client) \(from)" }
    }

    static func truth(of capture: Capture) throws -> [Key: [Message]] {
        var result: [Key: [Message]] = [:]
        let text = try String(contentsOf: capture.truth, encoding: .utf8)
        for line in text.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            if object["before_capture"] as? Bool == true { continue }
            let key = Key(client: object["client"] as? String ?? "?", from: object["from"] as? String ?? "?")
            let payload = Data(base64Encoded: object["data_b64"] as? String ?? "") ?? Data()
            let opcode = object["opcode"] as? String ?? "?"
            var code = object["code"] as? Int
            if opcode == "close", code == nil, payload.count >= 2 { code = Int(payload[0]) << 8 | Int(payload[1]) }
            let lengthOnly = object["data_sha256"] == nil ? nil : object["length"] as? Int
            result[key, default: []].append(Message(
                opcode: opcode, payload: lengthOnly == nil ? payload : Data(), closeCode: opcode == "close" ? code : nil,
                frames: object["fragments"] as? Int ?? 1, lengthOnly: lengthOnly, time: object["ts"] as? Double ?? 0))
        }
        return result
    }

    static func decoded(_ lines: [[String: Any]]) -> (complete: [Key: [Message]], incomplete: Int) {
        var result: [Key: [Message]] = [:]
        var incomplete = 0
        for line in lines where line["event"] as? String == "message" {
            if line["incomplete"] as? Bool == true { incomplete += 1; continue }
            // Compressed bytes wstap could not inflate are printed raw and flagged as such: they
            // are not a claim about the message, so they are counted with the incomplete ones.
            if line["compressed"] as? Bool == true && line["decompressed"] as? Bool == false { incomplete += 1; continue }
            let key = Key(client: line["client"] as? String ?? "?", from: line["from"] as? String ?? "?")
            let payload: Data
            if let text = line["text"] as? String {
                payload = Data(text.utf8)
            } else {
                payload = Data(base64Encoded: line["data"] as? String ?? "") ?? Data()
            }
            let opcode = line["opcode"] as? String ?? "?"
            var wireBytes = payload
            if opcode == "close", let code = line["code"] as? Int {
                // The truth logs a close frame's whole body: code then reason.
                wireBytes = Data([UInt8(code >> 8), UInt8(code & 0xff)]) + Data((line["reason"] as? String ?? "").utf8)
            }
            let truncated = line["truncated"] as? Bool == true
            result[key, default: []].append(Message(
                opcode: opcode, payload: truncated ? Data() : wireBytes, closeCode: line["code"] as? Int,
                frames: line["frames"] as? Int ?? 0, lengthOnly: truncated ? line["length"] as? Int : nil,
                time: line["ts"] as? Double ?? 0))
        }
        return (result, incomplete)
    }

    @Test func capturesFolderHasRecordings() {
        #expect(Self.captures.count >= 10, "captures/ should hold the recorded set")
    }

    @Test(arguments: captures)
    func recoversEveryMessageByteForByte(_ capture: Capture) throws {
        let result = try WSTapRunner.run(["read", "--format", "jsonl", capture.file.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = try result.jsonLines()
        let expected = try Self.truth(of: capture)
        let (actual, incomplete) = Self.decoded(lines)
        // Packets removed on purpose (.dropped.json), or messages that cannot be recovered by
        // design (.subsequence explains why): then every message printed must still be one the
        // peer sent, in order, and nothing may be invented.
        let stem = capture.file.deletingPathExtension().path
        let dropped = FileManager.default.fileExists(atPath: stem + ".dropped.json")
        let lossy = dropped || FileManager.default.fileExists(atPath: stem + ".subsequence")
        for (key, sent) in expected {
            var got = actual[key] ?? []
            if lossy {
                // Packets were removed on purpose: every complete message must still be one the
                // peer sent, in order, and the lost ones must be reported, never invented.
                var remaining = sent[...]
                for message in got {
                    guard let index = remaining.firstIndex(of: message) else {
                        Issue.record("\(capture.name) \(key): \(message) was not sent by the peer")
                        break
                    }
                    remaining = remaining[(index + 1)...]
                }
                continue
            }
            if got.count != sent.count {
                Issue.record("\(capture.name) \(key): \(got.count) messages decoded, \(sent.count) sent")
            }
            got = Array(got.prefix(sent.count))
            for (index, pair) in zip(got, sent).enumerated() where pair.0 != pair.1 {
                Issue.record("\(capture.name) \(key) message \(index): decoded \(pair.0), sent \(pair.1)")
                break
            }
            // Each message carries the time of the packet that completed it: within a second of
            // the moment the peer sent it (the peers ran on the capturing host).
            for (index, pair) in zip(got, sent).enumerated() where abs(pair.0.time - pair.1.time) > 1 {
                Issue.record("\(capture.name) \(key) message \(index): time \(pair.0.time), sent at \(pair.1.time)")
                break
            }
        }
        for key in actual.keys where expected[key] == nil {
            Issue.record("\(capture.name): messages decoded for \(key), which sent none")
        }
        if dropped {
            #expect(incomplete > 0 || lines.contains { $0["event"] as? String == "gap" }, "lost packets must be reported")
        } else if lossy {
            #expect(lines.contains { $0["kind"] as? String == "undecodable_compressed_message" }, "unrecoverable messages must be reported")
        } else {
            #expect(!lines.contains { $0["event"] as? String == "gap" }, "no gaps expected in \(capture.name)")
            // Real peers that follow RFC 6455 and 7692: the protocol checker must find nothing.
            // (A message over the default 16 MiB cap is reported as too large, and that is all.)
            let oversized = expected.values.joined().contains { ($0.lengthOnly ?? 0) > 16 << 20 }
            let anomalies = lines.filter { $0["event"] as? String == "anomaly" }.map { $0["kind"] as? String ?? "?" }
                .filter { !(oversized && $0 == "message_too_large") }
            #expect(anomalies.isEmpty, "\(capture.name): \(anomalies)")
        }
    }
}
