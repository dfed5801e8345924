import Foundation
import Testing

/// `wstap replay` against real python `websockets` servers (Tests/Peers/echo_server.py) on
/// loopback: the server logs what it received, and that must be the recorded client stream.
@Suite(.serialized) struct ReplayCommandTests {
    /// A running echo server; stopped by `stop()` (every test calls it via defer).
    final class EchoServer {
        let process = Process()
        let folder: URL
        let port: Int
        var receivedLog: URL { folder.appendingPathComponent("received.jsonl") }

        init(_ extra: [String] = []) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-replay-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let ready = folder.appendingPathComponent("ready")
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", WSTapRunner.repositoryRoot.appendingPathComponent("Tests/Peers/echo_server.py").path,
                                 "--port", "0", "--ready", ready.path, "--received", folder.appendingPathComponent("received.jsonl").path] + extra
            try process.run()
            var port: Int?
            for _ in 0..<100 {
                if let text = try? String(contentsOf: ready, encoding: .utf8), let value = Int(text) { port = value; break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            guard let port else {
                process.terminate()
                throw ServerError.didNotStart
            }
            self.port = port
        }

        enum ServerError: Error { case didNotStart }

        /// SIGTERM, then SIGKILL after 3 s: a child may inherit a blocked SIGTERM from the test process.
        func stop() {
            Self.stop(process)
            try? FileManager.default.removeItem(at: folder)
        }

        static func stop(_ process: Process) {
            if process.isRunning { process.terminate() }
            for _ in 0..<30 where process.isRunning { Thread.sleep(forTimeInterval: 0.1) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }

        /// The log lines written so far.
        func received() throws -> [[String: Any]] {
            let text = (try? String(contentsOf: receivedLog, encoding: .utf8)) ?? ""
            return try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        }
    }

    static func capture(_ name: String) -> String { WSTapRunner.capturesFolder.appendingPathComponent(name).path }

    /// The client messages of a truth file: opcode, base64 payload, fragments.
    static func clientTruth(_ name: String) throws -> [[String: Any]] {
        let text = try String(contentsOf: WSTapRunner.capturesFolder.appendingPathComponent(name), encoding: .utf8)
        return try text.split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["from"] as? String == "client" ? object : nil
        }
    }

    /// The server received exactly the recorded client messages, in order, with their fragmentation.
    static func expectIdenticalStream(_ server: EchoServer, truth: String, exactFrameLengths: Bool) throws {
        let received = try server.received().filter { $0["event"] as? String == "message" }
        let sent = try clientTruth(truth)
        #expect(received.count == sent.count, "server received \(received.count) messages, the recording holds \(sent.count)")
        for (index, (got, recorded)) in zip(received, sent).enumerated() {
            #expect(got["opcode"] as? String == recorded["opcode"] as? String, "message \(index) opcode")
            #expect(got["data_b64"] as? String == recorded["data_b64"] as? String, "message \(index) payload")
            #expect(got["frames"] as? Int == recorded["fragments"] as? Int, "message \(index) frame count")
        }
        if exactFrameLengths {
            // Uncompressed: the frame lengths seen by the server are the recorded wire lengths.
            let read = try WSTapRunner.run(["read", "--format", "jsonl", capture(truth.replacingOccurrences(of: ".truth.jsonl", with: ".pcap"))])
            let recordedFragments = try read.jsonLines().filter { $0["event"] as? String == "message" && $0["from"] as? String == "client" && ($0["frames"] as? Int ?? 1) > 1 }
            let receivedFragments = received.filter { ($0["frames"] as? Int ?? 1) > 1 }
            #expect(recordedFragments.count == receivedFragments.count && !receivedFragments.isEmpty)
        }
    }

    @Test func replayReproducesTheRecordedStreamAndMatches() throws {
        let server = try EchoServer()
        defer { server.stop() }
        let result = try WSTapRunner.run(["replay", Self.capture("replay-echo.pcap"), "--target", "ws://127.0.0.1:\(server.port)", "--ignore", "$.ts"], timeout: 60)
        #expect(result.status == 0, "stdout: \(result.stdoutText) stderr: \(result.stderr)")
        #expect(result.stdoutText.contains("answers: 9 matched, 0 differing, 0 missing, 0 extra"), "\(result.stdoutText)")
        try Self.expectIdenticalStream(server, truth: "replay-echo.truth.jsonl", exactFrameLengths: true)
        let connect = try #require(try server.received().first { $0["event"] as? String == "connect" })
        #expect(connect["path"] as? String == "/chat?room=7")
        #expect(connect["subprotocol"] as? String == "chat.v1")
        let headers = try #require(connect["headers"] as? [String: Any])
        #expect(headers["Origin"] as? String == "http://app.example")
        #expect(headers["Cookie"] as? String == "session=abc123; theme=dark")
        #expect(headers["User-Agent"] as? String == "wstap-recorder/1.0")
        #expect(headers["X-Session"] as? String == "replay-42")
        #expect(headers["Host"] as? String == "127.0.0.1:\(server.port)")
    }

    @Test func withoutIgnoreTheChangingTimestampIsReported() throws {
        let server = try EchoServer()
        defer { server.stop() }
        let result = try WSTapRunner.run(["replay", Self.capture("replay-echo.pcap"), "--target", "ws://127.0.0.1:\(server.port)", "--format", "jsonl"], timeout: 60)
        #expect(result.status == 1)
        let answers = try result.jsonLines().filter { $0["event"] as? String == "answer" }
        #expect(answers.count == 9)
        let differing = answers.filter { $0["result"] as? String == "differing" }
        #expect(!differing.isEmpty)
        for answer in differing {
            let paths = (answer["differences"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
            #expect(paths == ["$.ts"], "\(answer)")
        }
    }

    @Test func changedAnswersExitOneAndShowTheDifference() throws {
        let server = try EchoServer(["--changed"])
        defer { server.stop() }
        let result = try WSTapRunner.run(["replay", Self.capture("replay-echo.pcap"), "--target", "ws://127.0.0.1:\(server.port)", "--ignore", "$.ts"], timeout: 60)
        #expect(result.status == 1, "stderr: \(result.stderr)")
        #expect(result.stdoutText.contains("$.n: recorded 1, now 101"), "\(result.stdoutText)")
        #expect(result.stdoutText.contains("7 differing"))
    }

    /// Status 1 means "answers differed", so a report lost to a full disk must not look like it.
    @Test func aReportThatCannotBeWrittenExitsTwoWithItsCause() throws {
        let server = try EchoServer(["--changed"])
        defer { server.stop() }
        let result = try OutputSafetyTests.run(
            ["replay", Self.capture("replay-echo.pcap"), "--target", "ws://127.0.0.1:\(server.port)"], stdoutPath: "/dev/full")
        #expect(result.status == 2, "stderr: \(result.stderr)")
        #expect(result.stderr.hasSuffix("wstap: error: cannot write standard output: No space left on device\n"), "stderr: \(result.stderr)")
    }

    @Test func refusedConnectionExitsTwo() throws {
        // Port 1 on loopback: nothing listens there, the kernel refuses.
        let result = try WSTapRunner.run(["replay", Self.capture("replay-echo.pcap"), "--target", "ws://127.0.0.1:1", "--connect-timeout", "2"], timeout: 30)
        #expect(result.status == 2)
        #expect(result.stderr.contains("wstap: error: connection 1: could not connect"), "\(result.stderr)")
    }

    @Test func rejectedHandshakeExitsTwoWithItsStatusLine() throws {
        // A plain HTTP server answers the Upgrade with 404 (python's http.server, a real peer).
        let folder = FileManager.default.temporaryDirectory
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import http.server, sys
            s = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
            open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1])); import os; os.replace(sys.argv[1] + ".tmp", sys.argv[1])
            s.serve_forever()
            """, folder.appendingPathComponent("http-ready-\(UUID().uuidString)").path]
        let ready = URL(fileURLWithPath: process.arguments![3])
        process.currentDirectoryURL = folder
        try process.run()
        defer { EchoServer.stop(process); try? FileManager.default.removeItem(at: ready) }
        var port: Int?
        for _ in 0..<100 {
            if let text = try? String(contentsOf: ready, encoding: .utf8), let value = Int(text) { port = value; break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let result = try WSTapRunner.run(["replay", Self.capture("replay-echo.pcap"), "--target", "ws://127.0.0.1:\(try #require(port))"], timeout: 30)
        #expect(result.status == 2)
        #expect(result.stderr.contains("rejected the handshake: HTTP/1.0 404"), "\(result.stderr)")
    }

    @Test func compressedFragmentedRecordingIsReplayedByteExact() throws {
        let server = try EchoServer()
        defer { server.stop() }
        let result = try WSTapRunner.run(["replay", Self.capture("deflate-fragmented.pcap"), "--target", "ws://127.0.0.1:\(server.port)", "--format", "jsonl"], timeout: 60)
        // The echo server answers differently from the recording's server: exit 1, but it ran.
        #expect(result.status == 1, "stderr: \(result.stderr)")
        let connection = try #require(try result.jsonLines().first { $0["event"] as? String == "connection" })
        #expect((connection["extensions"] as? String ?? "").contains("permessage-deflate"))
        try Self.expectIdenticalStream(server, truth: "deflate-fragmented.truth.jsonl", exactFrameLengths: false)
    }

    @Test func exportedSessionFileReplaysLikeThePcap() throws {
        let server = try EchoServer()
        defer { server.stop() }
        let session = server.folder.appendingPathComponent("echo.session.json")
        let export = try WSTapRunner.run(["export", Self.capture("replay-echo.pcap"), "--format", "session", "-o", session.path])
        #expect(export.status == 0, "\(export.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: session)) as? [String: Any]
        #expect(object?["format"] as? String == "wstap-session")
        let result = try WSTapRunner.run(["replay", session.path, "--target", "ws://127.0.0.1:\(server.port)", "--ignore", "$.ts", "--conn", "1"], timeout: 60)
        #expect(result.status == 0, "stdout: \(result.stdoutText) stderr: \(result.stderr)")
        try Self.expectIdenticalStream(server, truth: "replay-echo.truth.jsonl", exactFrameLengths: true)
    }

    @Test func harExportReplaysItsTextAndBinaryMessages() throws {
        let server = try EchoServer()
        defer { server.stop() }
        let har = server.folder.appendingPathComponent("echo.har")
        let export = try WSTapRunner.run(["export", Self.capture("replay-echo.pcap"), "--format", "har", "-o", har.path])
        #expect(export.status == 0, "\(export.stderr)")
        let result = try WSTapRunner.run(["replay", har.path, "--target", "ws://127.0.0.1:\(server.port)", "--ignore", "$.ts"], timeout: 60)
        // HAR holds no ping or close frames: the data messages must arrive exactly, in order.
        #expect(result.stderr.contains("is a HAR file"), "stderr: \(result.stderr)")
        #expect(result.status == 0 || result.status == 1, "stderr: \(result.stderr)")
        let isData: ([String: Any]) -> Bool = { ["text", "binary"].contains($0["opcode"] as? String ?? "") }
        let received = try server.received().filter { $0["event"] as? String == "message" }.filter(isData)
        let sent = try Self.clientTruth("replay-echo.truth.jsonl").filter(isData)
        #expect(!sent.isEmpty)
        #expect(received.map { $0["data_b64"] as? String } == sent.map { $0["data_b64"] as? String })
        #expect(received.map { $0["opcode"] as? String } == sent.map { $0["opcode"] as? String })
    }

    @Test func unreadableSourceExitsTwo() throws {
        let result = try WSTapRunner.run(["replay", "/nonexistent/file.pcap", "--target", "ws://127.0.0.1:9"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("wstap: error:"))
    }

    @Test func wssWithSelfSignedCertificate() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let cert = folder.appendingPathComponent("cert.pem").path
        let key = folder.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                             "-days", "1", "-subj", "/CN=localhost"]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0)
        let server = try EchoServer(["--cert", cert, "--key", key])
        defer { server.stop() }
        let verified = try WSTapRunner.run(["replay", Self.capture("replay-echo.pcap"), "--target", "wss://127.0.0.1:\(server.port)", "--ignore", "$.ts"], timeout: 60)
        #expect(verified.status == 2, "a self-signed certificate must be refused without --insecure")
        let insecure = try WSTapRunner.run(["replay", Self.capture("replay-echo.pcap"), "--target", "wss://127.0.0.1:\(server.port)", "--ignore", "$.ts", "--insecure"], timeout: 60)
        #expect(insecure.status == 0, "stdout: \(insecure.stdoutText) stderr: \(insecure.stderr)")
        try Self.expectIdenticalStream(server, truth: "replay-echo.truth.jsonl", exactFrameLengths: true)
    }
}
