import Foundation
import Sessions
import Output
import Testing
import WebSocketInspection
import WebSocketProtocol

/// HAR export (shape, round trip through HARReader, redaction), `read` filters and colours.
@Suite struct ExportAndFilterTests {
    static func capture(_ name: String) -> String { WSTapRunner.capturesFolder.appendingPathComponent(name).path }

    // MARK: HAR

    /// The HAR 1.2 fields Chrome DevTools and other viewers need, with their types.
    static func checkHARShape(_ har: [String: Any]) {
        let log = har["log"] as? [String: Any] ?? [:]
        #expect(log["version"] as? String == "1.2")
        let creator = log["creator"] as? [String: Any] ?? [:]
        #expect(creator["name"] is String && creator["version"] is String)
        let entries = log["entries"] as? [[String: Any]] ?? []
        #expect(!entries.isEmpty)
        for entry in entries {
            let started = entry["startedDateTime"] as? String ?? ""
            #expect(started.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil, "\(started)")
            #expect(entry["time"] is Double || entry["time"] is Int)
            #expect(entry["cache"] is [String: Any])
            #expect(entry["_resourceType"] as? String == "websocket")
            let request = entry["request"] as? [String: Any] ?? [:]
            #expect(request["method"] as? String == "GET")
            #expect((request["url"] as? String ?? "").hasPrefix("ws://"))
            #expect(request["httpVersion"] is String)
            for key in ["headers", "queryString", "cookies"] {
                let list = request[key] as? [[String: Any]]
                #expect(list != nil, "request.\(key)")
                #expect(list?.allSatisfy { $0["name"] is String && $0["value"] is String } == true)
            }
            #expect(request["headersSize"] is Int && request["bodySize"] is Int)
            let response = entry["response"] as? [String: Any] ?? [:]
            #expect(response["status"] as? Int == 101)
            #expect(response["statusText"] is String && response["httpVersion"] is String && response["redirectURL"] is String)
            #expect(response["headers"] is [[String: Any]] && response["cookies"] is [[String: Any]])
            let content = response["content"] as? [String: Any] ?? [:]
            #expect(content["size"] is Int && content["mimeType"] is String)
            #expect(response["headersSize"] is Int && response["bodySize"] is Int)
            let timings = entry["timings"] as? [String: Any] ?? [:]
            for key in ["send", "wait", "receive"] { #expect(timings[key] is Double || timings[key] is Int, "timings.\(key)") }
            for message in entry["_webSocketMessages"] as? [[String: Any]] ?? [] {
                #expect(["send", "receive"].contains(message["type"] as? String ?? ""))
                #expect(message["time"] is Double)
                #expect([1, 2].contains(message["opcode"] as? Int ?? 0))
                #expect(message["data"] is String)
            }
        }
    }

    @Test(arguments: ["concurrent.pcap", "binary.pcap", "deflate-default.pcap", "auth-headers.pcap", "fragmented.pcap"])
    func harHasTheShapeAndGivesBackTheMessages(_ name: String) throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-test-\(ProcessInfo.processInfo.processIdentifier)-\(name).har")
        defer { try? FileManager.default.removeItem(at: output) }
        let export = try WSTapRunner.run(["export", Self.capture(name), "--format", "har", "-o", output.path])
        #expect(export.status == 0, "stderr: \(export.stderr)")
        let data = try Data(contentsOf: output)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        Self.checkHARShape(json)

        // HARReader gives back the text and binary messages `read` decodes from the pcap.
        let connections = try HARReader().read(data)
        let lines = try WSTapRunner.run(["read", "--format", "jsonl", Self.capture(name)]).jsonLines()
        let expected = lines.filter { $0["event"] as? String == "message" && ["text", "binary"].contains($0["opcode"] as? String ?? "") }
        let got = connections.flatMap(\.messages)
        #expect(got.count == expected.count)
        #expect(connections.count == lines.filter { $0["event"] as? String == "open" }.count)
        let byConnection = Dictionary(grouping: expected) { $0["conn"] as? Int ?? 0 }
        for connection in connections {
            let want = byConnection[connection.info.connection] ?? []
            #expect(connection.messages.count == want.count, "conn \(connection.info.connection)")
            for (message, line) in zip(connection.messages, want) {
                let payload = (line["text"] as? String).map { Data($0.utf8) } ?? Data(base64Encoded: line["data"] as? String ?? "") ?? Data()
                #expect(Data(message.payload) == payload)
                #expect(message.direction.senderName == line["from"] as? String)
                #expect(message.opcode.description == line["opcode"] as? String)
                #expect(message.timestamp.description == "\(line["ts"] ?? "")" || abs(message.timestamp.secondsValue - (line["ts"] as? Double ?? 0)) < 1e-5)
            }
            #expect(connection.info.requestHead?.headers.first("Sec-WebSocket-Key") != nil)
        }
    }

    static let secrets = ["s3cr3t-cookie-value", "s3cr3t-bearer-token", "s3cr3t-set-cookie-value"]

    @Test func redactRemovesCredentials() throws {
        let plain = try WSTapRunner.run(["export", Self.capture("auth-headers.pcap"), "--format", "har"])
        #expect(plain.status == 0)
        for secret in Self.secrets { #expect(plain.stdoutText.contains(secret), "the capture holds \(secret)") }
        let redacted = try WSTapRunner.run(["export", Self.capture("auth-headers.pcap"), "--format", "har", "--redact"])
        #expect(redacted.status == 0)
        for secret in Self.secrets { #expect(!redacted.stdoutText.contains(secret), "\(secret) leaked") }
        let json = try #require(try JSONSerialization.jsonObject(with: redacted.stdout) as? [String: Any])
        Self.checkHARShape(json)
        let entry = ((json["log"] as? [String: Any])?["entries"] as? [[String: Any]])?.first ?? [:]
        let request = entry["request"] as? [String: Any] ?? [:]
        let cookies = request["cookies"] as? [[String: Any]] ?? []
        #expect(cookies.map { $0["name"] as? String } == ["session", "theme"], "names stay, values go")
        #expect(cookies.allSatisfy { $0["value"] as? String == "[redacted]" })
        let responseCookies = (entry["response"] as? [String: Any])?["cookies"] as? [[String: Any]] ?? []
        #expect(responseCookies.map { $0["name"] as? String } == ["sid"])
    }

    @Test func harReaderRejectsWhatIsNotHAR() {
        #expect(throws: HARReadError.self) { try HARReader().read(Data("not json".utf8)) }
        #expect(throws: HARReadError.self) { try HARReader().read(Data(#"{"log": {"entries": 3}}"#.utf8)) }
    }

    // MARK: read filters

    @Test func connFilterKeepsOnlyThatConnectionsLife() throws {
        let lines = try WSTapRunner.run(["read", "--format", "jsonl", "--conn", "2", "--conn", "4", Self.capture("concurrent.pcap")]).jsonLines()
        #expect(Set(lines.compactMap { $0["conn"] as? Int }) == [2, 4])
        #expect(lines.filter { $0["event"] as? String == "open" }.count == 2)
        #expect(lines.filter { $0["event"] as? String == "close" }.count == 2)
        #expect(lines.filter { $0["event"] as? String == "message" }.count == 28)
    }

    @Test func fromFilterKeepsOneDirection() throws {
        let lines = try WSTapRunner.run(["read", "--format", "jsonl", "--from", "server", Self.capture("concurrent.pcap")]).jsonLines()
        let messages = lines.filter { $0["event"] as? String == "message" }
        #expect(messages.count == 35)
        #expect(messages.allSatisfy { $0["from"] as? String == "server" })
        #expect(lines.filter { $0["event"] as? String == "open" }.count == 5, "open/close are kept")
    }

    @Test func grepMatchesTextAndBinaryAsLatin1() throws {
        let text = try WSTapRunner.run(["read", "--format", "jsonl", "--grep", "^echo\\[[0-9]\\]: conn3 ", Self.capture("concurrent.pcap")]).jsonLines()
        let messages = text.filter { $0["event"] as? String == "message" }
        #expect(messages.count == 6)
        #expect(messages.allSatisfy { ($0["text"] as? String ?? "").hasPrefix("echo[") && $0["conn"] as? Int == 4 })
        // binary.pcap's first message is bytes 0..255: \x00\x01\x02 as Latin-1 characters.
        let binary = try WSTapRunner.run(["read", "--format", "jsonl", "--grep", "\\x00\\x01\\x02\\x03", "--from", "client", Self.capture("binary.pcap")]).jsonLines()
        let found = binary.filter { $0["event"] as? String == "message" }
        #expect(found.count == 2, "bytes(range(256)) and bytes(range(256)) * 40")
        #expect(found.allSatisfy { $0["opcode"] as? String == "binary" })
        let bad = try WSTapRunner.run(["read", "--grep", "(unclosed", Self.capture("binary.pcap")])
        #expect(bad.status == 64)
    }

    @Test func prettyIndentsJSONPayloads() throws {
        let result = try WSTapRunner.run(["read", "--pretty", "--conn", "1", Self.capture("auth-headers.pcap")])
        #expect(result.stdoutText.contains("\n    {\n      \"subscribe\" : \"room-42\"\n    }"), "\(result.stdoutText)")
    }

    // MARK: colours

    static let escape = "\u{1b}["

    @Test func pipesGetNoEscapeCodesUnlessAsked() throws {
        let piped = try WSTapRunner.run(["read", Self.capture("auth-headers.pcap")])
        #expect(!piped.stdoutText.contains(Self.escape))
        let sessions = try WSTapRunner.run(["sessions", Self.capture("auth-headers.pcap")])
        #expect(!sessions.stdoutText.contains(Self.escape))
        let forced = try WSTapRunner.run(["read", "--color", "always", Self.capture("auth-headers.pcap")])
        #expect(forced.stdoutText.contains(Self.escape + "36m"), "client lines in cyan")
        #expect(forced.stdoutText.contains(Self.escape + "35m"), "server lines in magenta")
    }

    /// On a real terminal (a pty from script(1)) colours appear, and NO_COLOR turns them off.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func terminalGetsColoursAndNoColorRemovesThem() throws {
        let binary = try WSTapRunner.binary().path
        func onTerminal(_ environment: String) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            process.arguments = ["-qec", "\(environment) '\(binary)' read '\(Self.capture("auth-headers.pcap"))'", "/dev/null"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { process.terminate() }
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: output, as: UTF8.self)
        }
        let colored = try onTerminal("env -u NO_COLOR")
        #expect(colored.contains("#1"), "ran: \(colored)")
        #expect(colored.contains(Self.escape + "36m"))
        let noColor = try onTerminal("env NO_COLOR=1")
        #expect(noColor.contains("#1"))
        #expect(!noColor.contains(Self.escape))
    }
}
