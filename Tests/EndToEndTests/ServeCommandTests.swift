import Foundation
import Testing

/// `wstap serve` against real clients on loopback: the Python `websockets` client in
/// Tests/Peers/serve_client.py plays the recorded client side and logs what it receives, which
/// must be the recorded server stream of the capture's truth file, byte for byte.
@Suite(.serialized) struct ServeCommandTests {
    /// A running `wstap serve`, with the URL and recorded paths from its listening line.
    struct Server {
        let process: BackgroundProcess
        let url: String
        let paths: [String]
        var port: Int { Int(url.split(separator: ":").last ?? "") ?? 0 }

        init(_ capture: String, _ extra: [String] = []) throws {
            try TestPeers.require()
            let process = try BackgroundProcess(
                executable: try WSTapRunner.binary(),
                arguments: ["serve", capture.hasPrefix("/") ? capture : WSTapRunner.capturesFolder.appendingPathComponent(capture).path] + extra)
            self.process = process
            let started = process.wait(timeout: 30) { process.stderr.contains("serving ") || !process.isRunning }
            let line = process.stderr.split(separator: "\n").first { $0.contains("serving ") }.map(String.init) ?? ""
            guard started, let range = line.range(of: "ws://") else { throw ServeError.didNotStart(process.stderr) }
            url = String(line[range.lowerBound...].prefix { $0 != " " })
            if let open = line.range(of: "(paths: ") {
                paths = line[open.upperBound...].dropLast().split(separator: ", ").map(String.init)
            } else {
                paths = []
            }
        }
    }

    enum ServeError: Error { case didNotStart(String) }

    struct ClientRun {
        var status: Int32
        var log: [[String: Any]]
        var received: [(opcode: String, payload: [UInt8])] {
            log.compactMap { entry in
                guard let opcode = entry["opcode"] as? String, opcode != "pong" else { return nil }
                return (opcode, [UInt8](Data(base64Encoded: entry["data_b64"] as? String ?? "") ?? Data()))
            }
        }
        var closeCode: Int? { log.last?["code"] as? Int }
    }

    /// Runs serve_client.py to the end (it has its own timeouts) and reads its log.
    static func client(_ url: String, truth: String, _ extra: [String] = []) throws -> ClientRun {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-serve-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: log) }
        let process = try BackgroundProcess(
            executable: URL(fileURLWithPath: "/usr/bin/env"),
            arguments: ["python3", WSTapRunner.repositoryRoot.appendingPathComponent("Tests/Peers/serve_client.py").path, "--url", url,
                        "--truth", WSTapRunner.capturesFolder.appendingPathComponent(truth).path, "--log", log.path] + extra)
        process.waitForExit(timeout: 60)
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        let lines = try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        return ClientRun(status: process.status, log: lines)
    }

    /// The recorded server data messages of a truth file.
    static func serverTruth(_ truth: String) throws -> [(opcode: String, payload: [UInt8])] {
        let text = try String(contentsOf: WSTapRunner.capturesFolder.appendingPathComponent(truth), encoding: .utf8)
        return try text.split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            guard object["from"] as? String == "server", let opcode = object["opcode"] as? String, opcode == "text" || opcode == "binary" else { return nil }
            return (opcode, [UInt8](Data(base64Encoded: object["data_b64"] as? String ?? "") ?? Data()))
        }
    }

    /// The close code of the recorded server close frame.
    static func serverCloseCode(_ truth: String) throws -> Int? {
        let text = try String(contentsOf: WSTapRunner.capturesFolder.appendingPathComponent(truth), encoding: .utf8)
        for line in text.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            guard object["from"] as? String == "server", object["opcode"] as? String == "close" else { continue }
            let payload = [UInt8](Data(base64Encoded: object["data_b64"] as? String ?? "") ?? Data())
            return payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : nil
        }
        return nil
    }

    @Test(arguments: [("replay-echo.pcap", "replay-echo.truth.jsonl"), ("deflate-fragmented.pcap", "deflate-fragmented.truth.jsonl")])
    func aRealClientGetsTheRecordedServerStreamByteForByte(_ capture: String, _ truth: String) throws {
        let server = try Server(capture, ["--max-clients", "1", "--format", "jsonl"])
        let path = try #require(server.paths.first)
        let subprotocol = capture == "replay-echo.pcap" ? ["--subprotocol", "chat.v1"] : []
        let run = try Self.client(server.url + path, truth: truth, subprotocol)
        #expect(server.process.waitForExit(timeout: 30))
        let expected = try Self.serverTruth(truth)
        #expect(run.status == 0, "\(run.log)")
        #expect(run.received.count == expected.count)
        #expect(run.received.map(\.opcode) == expected.map(\.opcode))
        #expect(run.received.map(\.payload) == expected.map(\.payload), "byte for byte")
        #expect(run.closeCode == (try Self.serverCloseCode(truth)), "the recorded close code")
        if capture == "replay-echo.pcap" { #expect(run.log.first?["subprotocol"] as? String == "chat.v1") }
        if capture.hasPrefix("deflate") {
            #expect((run.log.first?["extensions"] as? String)?.contains("permessage-deflate") == true)
        }
        #expect(server.process.status == 0, "\(server.process.stderr)\n\(server.process.stdoutText)")
        let lines = server.process.stdoutText.split(separator: "\n").map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:] }
        let done = try #require(lines.first { $0["event"] as? String == "connection_done" })
        #expect(done["differing"] as? Int == 0 && done["missing"] as? Int == 0 && done["extra"] as? Int == 0)
        #expect((done["matched"] as? Int ?? 0) > 0)
    }

    /// A ping the recording does not hold is answered at once (RFC 6455 §5.5.2); the recorded
    /// server stream still arrives byte for byte.
    @Test func anUnrecordedPingIsAnswered() throws {
        let truth = "deflate-fragmented.truth.jsonl"
        let server = try Server("deflate-fragmented.pcap", ["--max-clients", "1"])
        let path = try #require(server.paths.first)
        let run = try Self.client(server.url + path, truth: truth, ["--extra-ping", "not in the recording", "--timeout", "5"])
        #expect(server.process.waitForExit(timeout: 30))
        #expect(run.status == 0, "\(run.log)")
        #expect(run.log.contains { $0["event"] as? String == "extra_pong" }, "\(run.log)")
        #expect(run.received.map(\.payload) == (try Self.serverTruth(truth)).map(\.payload))
    }

    /// A client whose second data message changed: the divergence is reported with the JSON path
    /// that differs, the server goes on with the next recorded answer, and the exit status is 1.
    @Test func aChangedClientMessageIsReportedAndExitsOne() throws {
        let server = try Server("replay-echo.pcap", ["--max-clients", "1"])
        let run = try Self.client(server.url + (server.paths.first ?? "/"), truth: "replay-echo.truth.jsonl", ["--change", "1"])
        #expect(server.process.waitForExit(timeout: 30))
        #expect(server.process.status == 1)
        let report = server.process.stdoutText
        #expect(report.contains("client message 1 differs"), "\(report)")
        #expect(report.contains("1 differing"))
        // The server went on: the client still got every recorded answer.
        #expect(run.received.map(\.payload) == (try Self.serverTruth("replay-echo.truth.jsonl")).map(\.payload))
    }

    /// auth-headers.pcap was recorded from a Python `websockets` server that set a cookie in its
    /// 101: a real client of `wstap serve` gets that cookie again, with a fresh accept value.
    @Test func theRecordedSetCookieReachesARealClient() throws {
        let server = try Server("auth-headers.pcap", ["--max-clients", "1"])
        let run = try Self.client(server.url + (server.paths.first ?? "/"), truth: "auth-headers.truth.jsonl", ["--subprotocol", "chat.v1"])
        #expect(server.process.waitForExit(timeout: 30))
        #expect(run.status == 0, "\(run.log)")
        let headers = (run.log.first?["headers"] as? [[String]]) ?? []
        #expect(headers.contains(["Set-Cookie", "sid=s3cr3t-set-cookie-value; Path=/; HttpOnly"]), "\(headers)")
        #expect(headers.filter { $0.first?.lowercased() == "sec-websocket-accept" }.count == 1)
        #expect(server.process.status == 0, "\(server.process.stdoutText)")
    }

    /// A client that sends two requests in the other order: the divergence rule finds each within
    /// --max-match-lookahead, reports both as out of order (exit status 1), and the client still
    /// gets the recorded server stream byte for byte.
    @Test func aReorderedClientIsFollowedAndReportedOutOfOrder() throws {
        let server = try Server("replay-echo.pcap", ["--max-clients", "1", "--format", "jsonl"])
        let run = try Self.client(server.url + (server.paths.first ?? "/"), truth: "replay-echo.truth.jsonl", ["--swap", "1"])
        #expect(server.process.waitForExit(timeout: 30))
        #expect(run.status == 0, "\(run.log)")
        #expect(run.received.map(\.payload) == (try Self.serverTruth("replay-echo.truth.jsonl")).map(\.payload))
        #expect(server.process.status == 1)
        let lines = server.process.stdoutText.split(separator: "\n").map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:] }
        let reordered = lines.filter { $0["result"] as? String == "out_of_order" }
        #expect(reordered.map { $0["index"] as? Int } == [1, 2], "\(server.process.stdoutText)")
        #expect(reordered.map { $0["received_index"] as? Int } == [2, 1])
        let done = try #require(lines.first { $0["event"] as? String == "connection_done" })
        #expect(done["out_of_order"] as? Int == 2 && done["differing"] as? Int == 0 && done["missing"] as? Int == 0)
        // By position only (--max-match-lookahead 0) the same client differs twice instead.
        let positional = try Server("replay-echo.pcap", ["--max-clients", "1", "--max-match-lookahead", "0"])
        _ = try Self.client(positional.url + (positional.paths.first ?? "/"), truth: "replay-echo.truth.jsonl", ["--swap", "1"])
        #expect(positional.process.waitForExit(timeout: 30))
        #expect(positional.process.stdoutText.contains("2 differing"), "\(positional.process.stdoutText)")
    }

    /// --match: the same JSON with other whitespace matches as json (the default) and differs as
    /// exact; a changed value matches when only opcodes are compared.
    @Test func matchModesDecideWhatCountsAsTheSameMessage() throws {
        func serve(_ match: String, _ clientFlags: [String]) throws -> (Int32, String) {
            let server = try Server("replay-echo.pcap", ["--max-clients", "1", "--match", match])
            _ = try Self.client(server.url + (server.paths.first ?? "/"), truth: "replay-echo.truth.jsonl", clientFlags)
            #expect(server.process.waitForExit(timeout: 30))
            return (server.process.status, server.process.stdoutText)
        }
        let json = try serve("json", ["--respace", "1"])
        #expect(json.0 == 0, "\(json.1)")
        let exact = try serve("exact", ["--respace", "1"])
        #expect(exact.0 == 1 && exact.1.contains("client message 1 differs"), "\(exact.1)")
        let opcode = try serve("opcode", ["--change", "1"])
        #expect(opcode.0 == 0 && opcode.1.contains("0 differing"), "\(opcode.1)")
        let usage = try WSTapRunner.run(["serve", WSTapRunner.capturesFolder.appendingPathComponent("replay-echo.pcap").path, "--match", "exact", "--ignore", "$.ts"])
        #expect(usage.status == 64 && usage.stderr.contains("--ignore applies to --match json only"), "\(usage.stderr)")
    }

    @Test func aPathThatMatchesNothingGets404AndTheRecordedPaths() throws {
        let server = try Server("replay-echo.pcap", ["--max-clients", "1"])
        let run = try Self.client(server.url + "/no/such/path", truth: "replay-echo.truth.jsonl")
        #expect(server.process.waitForExit(timeout: 30))
        #expect(run.status != 0)
        #expect(server.process.status == 1)
        let report = server.process.stdoutText
        #expect(report.contains("refused (404): no recorded connection has the path /no/such/path; recorded paths: \(server.paths[0])"), "\(report)")
    }

    @Test func twoConcurrentClientsEachGetTheRecording() throws {
        let server = try Server("replay-echo.pcap", ["--max-clients", "2", "--loop"])
        let url = server.url + (server.paths.first ?? "/")
        nonisolated(unsafe) var runs: [ClientRun?] = [nil, nil]
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            runs[index] = try? Self.client(url, truth: "replay-echo.truth.jsonl")
        }
        #expect(server.process.waitForExit(timeout: 30))
        let expected = try Self.serverTruth("replay-echo.truth.jsonl").map(\.payload)
        for run in runs { #expect(run?.received.map(\.payload) == expected) }
        #expect(server.process.status == 0, "\(server.process.stdoutText)")
        #expect(server.process.stdoutText.contains("served 2 client(s)"))
    }

    @Test func aPortInUseExitsTwo() throws {
        let first = try Server("replay-echo.pcap")
        let result = try WSTapRunner.run(["serve", WSTapRunner.capturesFolder.appendingPathComponent("replay-echo.pcap").path, "--listen", "127.0.0.1:\(first.port)"])
        first.process.send(SIGINT)
        #expect(first.process.waitForExit(timeout: 10), "SIGINT stops serving")
        #expect(first.process.status == 0)
        #expect(result.status == 2)
        #expect(result.stderr.contains("cannot listen on 127.0.0.1:\(first.port)"), "\(result.stderr)")
        let unreadable = try WSTapRunner.run(["serve", "/nonexistent.pcap"])
        #expect(unreadable.status == 2 && unreadable.stderr.split(separator: "\n").count == 1, "\(unreadable.stderr)")
    }
}
