import Foundation
import Testing

/// Issue #17, class 3, for `wstap replay`: a live server (Tests/Peers/hostile_server.py, python
/// `websockets`) puts escapes in its status line, subprotocol, extensions, answers and close
/// reason; the text report on stdout and the errors on stderr must show them escaped.
@Suite(.serialized) struct ReplayTerminalInjectionTests {
    /// Starts hostile_server.py in `mode` on a free loopback port; `stop()` ends it.
    final class HostileServer {
        let process = Process()
        let folder: URL
        let port: Int

        init(mode: String) throws {
            try TestPeers.require()
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-hostile-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let ready = folder.appendingPathComponent("ready")
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", WSTapRunner.repositoryRoot.appendingPathComponent("Tests/Peers/hostile_server.py").path,
                                 "--mode", mode, "--port", "0", "--ready", ready.path]
            try process.run()
            var port: Int?
            for _ in 0..<100 {
                if let text = try? String(contentsOf: ready, encoding: .utf8), let value = Int(text) { port = value; break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            guard let port else {
                ReplayCommandTests.EchoServer.stop(process)
                throw ReplayCommandTests.EchoServer.ServerError.didNotStart
            }
            self.port = port
        }

        func stop() {
            ReplayCommandTests.EchoServer.stop(process)
            try? FileManager.default.removeItem(at: folder)
        }
    }

    static func replay(_ capture: String, mode: String, extra: [String] = []) throws -> WSTapRunner.Result {
        let server = try HostileServer(mode: mode)
        defer { server.stop() }
        return try WSTapRunner.run(["replay", capture, "--target", "ws://127.0.0.1:\(server.port)", "--answer-timeout", "0.5"] + extra, timeout: 60)
    }

    static let echoCapture = ReplayCommandTests.capture("replay-echo.pcap")
    static let escaped = TerminalInjectionTests.escapedServerPayload
    static let quoted = TerminalInjectionTests.quotedServerPayload
    /// Diagnostics escape only what acts on the terminal: the payload's literal backslash stays single.
    static let escapedOnStderr = escaped.replacingOccurrences(of: #"\\x1b"#, with: #"\x1b"#)

    @Test func acceptedHandshakeAnswersAndCloseAreEscaped() throws {
        let result = try Self.replay(Self.echoCapture, mode: "accept")
        #expect(result.status == 1, "stdout: \(result.stdoutText) stderr: \(result.stderr)")
        TerminalInjectionTests.expectClean(result.stdout, result.stderr, "replay (accept)")
        for expected in [
            "  handshake: HTTP/1.1 101 Switching\(Self.escaped); subprotocol chat\(Self.escaped)",
            "    now:      \"now\(Self.quoted)\"",
            "note: subprotocol is chat\(Self.escaped) now, chat.v1 in the recording",
            "\"1000 ok\(Self.quoted)\"",
        ] {
            #expect(result.stdoutText.contains(expected), "lacks \(expected):\n\(result.stdoutText)")
        }
    }

    @Test func refusedHandshakeIsEscapedOnStdoutAndStderr() throws {
        let result = try Self.replay(Self.echoCapture, mode: "refuse")
        #expect(result.status == 2, "stdout: \(result.stdoutText) stderr: \(result.stderr)")
        TerminalInjectionTests.expectClean(result.stdout, result.stderr, "replay (refuse)")
        let failure = "the server rejected the handshake: HTTP/1.1 403 Forbidden"
        #expect(result.stdoutText.contains("  error: \(failure)\(Self.escaped)"), "\(result.stdoutText)")
        #expect(result.stderr.contains("wstap: error: connection 1: \(failure)\(Self.escapedOnStderr)"), "\(result.stderr)")
    }

    @Test func unspeakableExtensionIsEscapedOnStdoutAndStderr() throws {
        let result = try Self.replay(Self.echoCapture, mode: "bad-extension")
        #expect(result.status == 2, "stdout: \(result.stdoutText) stderr: \(result.stderr)")
        TerminalInjectionTests.expectClean(result.stdout, result.stderr, "replay (bad-extension)")
        let failure = "the server accepted extensions replay cannot speak: x-evil; p="
        #expect(result.stdoutText.contains(failure + Self.escaped), "\(result.stdoutText)")
        #expect(result.stderr.contains(failure + Self.escapedOnStderr), "\(result.stderr)")
    }

    /// A recording whose path holds C0 controls is refused before anything is sent; the error
    /// quoting the path reaches stderr without a raw control character.
    @Test func unreplayableHostileRecordingIsEscapedInTheError() throws {
        let file = try TerminalInjectionTests.hostileCapture()
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try Self.replay(file.path, mode: "accept", extra: ["--conn", "1"])
        #expect(result.status == 2, "stdout: \(result.stdoutText) stderr: \(result.stderr)")
        TerminalInjectionTests.expectClean(result.stdout, result.stderr, "replay (hostile recording)")
        #expect(result.stderr.contains("/chat") && result.stderr.contains(#"\u{9b}31m\u{202e}evil"#), "\(result.stderr)")
    }

    /// A recording whose path holds C1 and bidi controls (no control byte): replay sends it, and
    /// the report's first line shows it escaped.
    @Test func hostileRecordedPathIsEscapedInTheReport() throws {
        let file = try TerminalInjectionTests.hostileCapture()
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try Self.replay(file.path, mode: "accept", extra: ["--conn", "3"])
        TerminalInjectionTests.expectClean(result.stdout, result.stderr, "replay (hostile recorded path)")
        #expect(result.stdoutText.contains(#"/c1\u{9b}31m\u{202e}evil\u{2066}"#), "\(result.stdoutText) \(result.stderr)")
    }
}
