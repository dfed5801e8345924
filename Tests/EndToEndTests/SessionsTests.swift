import Foundation
import Testing

/// `wstap sessions` numbers against what the peers logged they sent (captures/*.truth.jsonl).
@Suite struct SessionsTests {
    struct Totals: Equatable, CustomStringConvertible {
        var messages = 0
        var bytes = 0
        var description: String { "\(messages) messages, \(bytes) bytes" }
    }

    struct Expected {
        var fromClient = Totals()
        var fromServer = Totals()
        var closeCodes: [String: Int] = [:]
    }

    /// Per client endpoint: what each side sent, and the close code each side sent.
    static func truth(_ capture: RecordedCaptureTests.Capture) throws -> [String: Expected] {
        var result: [String: Expected] = [:]
        for line in try String(contentsOf: capture.truth, encoding: .utf8).split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            if object["before_capture"] as? Bool == true { continue }
            let client = object["client"] as? String ?? "?"
            // Payloads too large to log (a decompression bomb) come with their length instead.
            let bytes = object["length"] as? Int ?? Data(base64Encoded: object["data_b64"] as? String ?? "")?.count ?? 0
            var expected = result[client, default: Expected()]
            if object["from"] as? String == "client" {
                expected.fromClient.messages += 1
                expected.fromClient.bytes += bytes
            } else {
                expected.fromServer.messages += 1
                expected.fromServer.bytes += bytes
            }
            if object["opcode"] as? String == "close", let code = object["code"] as? Int {
                expected.closeCodes[object["from"] as? String ?? "?"] = code
            }
            result[client] = expected
        }
        return result
    }

    /// Captures whose messages can all be recovered (not those with packets removed on purpose, or
    /// with compressed messages that refer to uncaptured history).
    static let exactCaptures = RecordedCaptureTests.captures.filter {
        let stem = $0.file.deletingPathExtension().path
        return !FileManager.default.fileExists(atPath: stem + ".dropped.json")
            && !FileManager.default.fileExists(atPath: stem + ".subsequence")
    }

    @Test(arguments: exactCaptures)
    func countsMatchTheTruth(_ capture: RecordedCaptureTests.Capture) throws {
        let result = try WSTapRunner.run(["sessions", "--format", "jsonl", capture.file.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let rows = try result.jsonLines().filter { $0["kind"] as? String == "websocket" }
        let expected = try Self.truth(capture)
        #expect(rows.count == expected.count, "\(capture.name): \(rows.count) connections listed, \(expected.count) in the truth")
        for row in rows {
            let client = row["client"] as? String ?? "?"
            guard let want = expected[client] else {
                Issue.record("\(capture.name): connection from \(client) is not in the truth")
                continue
            }
            for (key, totals) in [("from_client", want.fromClient), ("from_server", want.fromServer)] {
                let side = row[key] as? [String: Any] ?? [:]
                let got = Totals(messages: side["messages"] as? Int ?? -1, bytes: side["bytes"] as? Int ?? -1)
                #expect(got == totals, "\(capture.name) \(client) \(key)")
            }
            let close = row["close"] as? [String: Any] ?? [:]
            for (side, code) in want.closeCodes {
                let frame = close[side] as? [String: Any]
                #expect(frame?["code"] as? Int == code, "\(capture.name) \(client): close code sent by the \(side)")
            }
        }
    }

    @Test func concurrentCaptureHasFiveConnectionsClosedByTheClient() throws {
        let file = WSTapRunner.capturesFolder.appendingPathComponent("concurrent.pcap")
        let rows = try WSTapRunner.run(["sessions", "--format", "jsonl", file.path]).jsonLines()
        #expect(rows.map { $0["conn"] as? Int } == [1, 2, 3, 4, 5])
        for row in rows {
            let close = row["close"] as? [String: Any] ?? [:]
            #expect(close["first_by"] as? String == "client")
            #expect(close["browser_code"] as? Int == 1000)
            #expect(close["clean"] as? Bool == true)
            let states = (row["timeline"] as? [[String: Any]] ?? []).map { $0["state"] as? String ?? "?" }
            #expect(states == ["CONNECTING", "OPEN", "CLOSING", "CLOSED"])
            #expect(row["browser_error"] is NSNull)
        }
        let table = try WSTapRunner.run(["sessions", file.path]).stdoutText
        #expect(table.split(separator: "\n").count == 6, "header and five rows:\n\(table)")
    }

    @Test func pingRoundTripsAreMatchedByPayload() throws {
        let file = WSTapRunner.capturesFolder.appendingPathComponent("auth-headers.pcap")
        let row = try #require(try WSTapRunner.run(["sessions", "--format", "jsonl", file.path]).jsonLines().first)
        let rtt = row["rtt"] as? [String: Any] ?? [:]
        #expect(rtt["count"] as? Int == 2, "two pings, rtt-1 and rtt-2, each answered")
        #expect(rtt["unanswered"] as? Int == 0)
        let minimum = try #require(rtt["min"] as? Double), maximum = try #require(rtt["max"] as? Double)
        let average = try #require(rtt["avg"] as? Double)
        #expect(minimum > 0 && minimum <= average && average <= maximum && maximum < 1)
        #expect(row["subprotocol"] as? String == "chat.v1")
        #expect(row["path"] as? String == "/feed?room=42&user=alice")
    }

    @Test func refusedUpgradeIsListed() throws {
        let file = WSTapRunner.capturesFolder.appendingPathComponent("refused.pcap")
        let rows = try WSTapRunner.run(["sessions", "--format", "jsonl", file.path]).jsonLines()
        #expect(rows.count == 1)
        #expect(rows.first?["kind"] as? String == "refused")
        #expect(rows.first?["status"] as? Int == 401)
        #expect(rows.first?["path"] as? String == "/admin/stream")
        let text = try WSTapRunner.run(["sessions", file.path]).stdoutText
        #expect(text.contains("upgrade refused") && text.contains("401"))
    }

    @Test func lostPacketsShowAsGaps() throws {
        let file = WSTapRunner.capturesFolder.appendingPathComponent("lost-packets.pcap")
        let row = try #require(try WSTapRunner.run(["sessions", "--format", "jsonl", file.path]).jsonLines().first)
        let fromClient = row["from_client"] as? [String: Any] ?? [:]
        #expect((fromClient["gaps"] as? Int ?? 0) > 0)
        #expect((fromClient["gap_bytes"] as? Int ?? 0) > 0)
        let text = try WSTapRunner.run(["sessions", file.path]).stdoutText
        #expect(text.contains("tcp_gap×"))
    }

    @Test func detailsShowTheBrowserTimeline() throws {
        let file = WSTapRunner.capturesFolder.appendingPathComponent("auth-headers.pcap")
        let result = try WSTapRunner.run(["sessions", "--details", file.path])
        // CONNECTING starts when the Upgrade request was captured.
        #expect(result.stdoutText.range(of: #"timeline: CONNECTING \d{2}:\d{2}:\d{2}\.\d{6} → OPEN "#, options: .regularExpression) != nil)
        #expect(result.stdoutText.contains("browser CloseEvent code 1000, wasClean true"))
        #expect(result.stdoutText.contains("ping→pong: 2 answered"))
    }

    @Test(arguments: ["sessions", "export"])
    func nonCaptureFileIsAClearError(_ command: String) throws {
        let file = try BadInputTests.temporaryFile("\(command)-not-a-capture.txt", Data("hello, this is not a pcap\n".utf8))
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try WSTapRunner.run([command, file.path])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("wstap: error: "), "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}
