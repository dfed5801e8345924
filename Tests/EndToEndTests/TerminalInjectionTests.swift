import Foundation
import Testing

/// Issue #17, class 3: a capture or a server must never move the user's cursor, clear the screen,
/// retitle the terminal or reorder a line. Every human view (read, sessions, sessions --details,
/// replay, sniff, diagnostics) of HostileTraffic must hold no raw control character from the wire,
/// show each one as a visible escape, and still print accents, CJK and emoji as themselves; JSON
/// Lines must keep the exact strings.
@Suite(.serialized) struct TerminalInjectionTests {
    /// `HostileTraffic.payload` as the text views show it bare (paths, hosts, reasons).
    static let escapedPayload =
        #"\x1b[2J\x1b]0;pwned\x07\r\u{9b}31m\u{202e}evil\u{202a}\u{202b}\u{202c}\u{202d}\u{2066}\u{2067}\u{2068}\u{2069}"#
        + #"\u{200e}\u{200f}\u{61c}\u{2028}\x7f\x00"\\x1b é中🎉"#
    /// The same inside double quotes (previews, close reasons).
    static let quotedPayload = escapedPayload.replacingOccurrences(of: "\"", with: "\\\"")
    /// The Python server's string has no NUL.
    static let escapedServerPayload = escapedPayload.replacingOccurrences(of: #"\x00"#, with: "")
    static let quotedServerPayload = quotedPayload.replacingOccurrences(of: #"\x00"#, with: "")

    static func hostileCapture() throws -> URL {
        try BadInputTests.temporaryFile("terminal-injection.pcap", HostileTraffic.pcap().data)
    }

    /// Fails the test for every raw control character in standard output or error.
    static func expectClean(_ stdout: Data, _ stderr: String, _ view: String, colours: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
        let outputControls = HostileTraffic.rawControls(in: stdout, allowingColours: colours)
        #expect(outputControls.isEmpty, "\(view) stdout: \(outputControls.prefix(5))", sourceLocation: sourceLocation)
        let errorControls = HostileTraffic.rawControls(in: Data(stderr.utf8))
        #expect(errorControls.isEmpty, "\(view) stderr: \(errorControls.prefix(5))", sourceLocation: sourceLocation)
    }

    @Test func readTextShowsEveryWireStringEscaped() throws {
        let file = try Self.hostileCapture()
        defer { try? FileManager.default.removeItem(at: file) }
        for extra in [[], ["--color", "always"], ["--pretty"]] {
            let result = try WSTapRunner.run(["read"] + extra + [file.path])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            Self.expectClean(result.stdout, result.stderr, "read \(extra)", colours: extra.contains("always"))
            let text = result.stdoutText
            for expected in [
                "GET /chat\(Self.escapedPayload) host=evil\(Self.escapedPayload) subprotocol=chat\(Self.escapedPayload)",
                "extensions=\"x-evil\(Self.quotedPayload)\"",
                "GET /refused\(Self.escapedPayload): 403 Forbidden\(Self.escapedPayload)",
                "text 81 B \"hi\(Self.quotedPayload)\"",
                "1000 \"bye\(Self.quotedPayload)\"",
                "1000 \"ok\(Self.quotedPayload)\"",
                "! unoffered_subprotocol: response selects subprotocol chat\(Self.escapedPayload); offered: chat",
                "binary 5 B 0x1b5b324a9b",
            ] {
                #expect(text.contains(expected), "read \(extra) lacks \(expected):\n\(text)")
            }
            if extra == ["--pretty"] {
                // JSON stays JSON: what JSON leaves raw is escaped as \uHHHH, printable text as itself.
                #expect(text.contains(#"    "k" : "\u009b2J\u202e\u007fé中🎉""#) || text.contains(#"    "k": "\u009b2J\u202e\u007fé中🎉""#), "\(text)")
            }
        }
    }

    @Test func sessionsTableAndDetailsShowEveryWireStringEscaped() throws {
        let file = try Self.hostileCapture()
        defer { try? FileManager.default.removeItem(at: file) }
        for extra in [[], ["--details"], ["--details", "--color", "always"]] {
            let result = try WSTapRunner.run(["sessions"] + extra + [file.path])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            Self.expectClean(result.stdout, result.stderr, "sessions \(extra)", colours: extra.contains("always"))
            let text = result.stdoutText
            var expected = ["/chat\(Self.escapedPayload)", "GET /refused\(Self.escapedPayload): 403 Forbidden\(Self.escapedPayload)"]
            if extra.contains("--details") {
                expected += [
                    "host evil\(Self.escapedPayload); subprotocol chat\(Self.escapedPayload); extensions x-evil\(Self.escapedPayload)",
                    "client closed first with 1000 \"bye\(Self.quotedPayload)\", server answered 1000 \"ok\(Self.quotedPayload)\"",
                ]
            }
            for line in expected {
                #expect(text.contains(line), "sessions \(extra) lacks \(line):\n\(text)")
            }
        }
    }

    /// JSON Lines is for programs: the strings stay exactly as sent (JSON escapes what it must).
    @Test func jsonLinesKeepTheExactStrings() throws {
        let file = try Self.hostileCapture()
        defer { try? FileManager.default.removeItem(at: file) }
        let read = try WSTapRunner.run(["read", "--format", "jsonl", file.path]).jsonLines()
        let open = try #require(read.first { $0["event"] as? String == "open" })
        #expect(open["path"] as? String == "/chat" + HostileTraffic.payload)
        #expect(open["host"] as? String == "evil" + HostileTraffic.payload)
        #expect(open["subprotocol"] as? String == "chat" + HostileTraffic.payload)
        let refused = try #require(read.first { $0["event"] as? String == "refused" })
        #expect(refused["reason"] as? String == "Forbidden" + HostileTraffic.payload)
        let texts = read.compactMap { $0["text"] as? String }
        #expect(texts.contains("hi" + HostileTraffic.payload))
        let sessions = try WSTapRunner.run(["sessions", "--format", "jsonl", file.path]).jsonLines()
        let refusedRow = try #require(sessions.first { $0["kind"] as? String == "refused" })
        #expect(refusedRow["host"] as? String == "h\u{9b}2J")
    }

    /// Live on lo (root only): the same bytes, played by Tests/Peers/scripted_tcp.py.
    @Test(.enabled(if: geteuid() == 0, "capturing on lo needs root")) func sniffTextShowsEveryWireStringEscaped() throws {
        try TestPeers.require()
        let folder = try SniffTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = folder.appendingPathComponent("hostile.json")
        try HostileTraffic.script().write(to: script)
        let port = try SniffTests.freePort()
        let sniff = try SniffTests.startSniff(["-i", "lo", "--filter", "tcp port \(port)", "--color", "never"])
        let peer = try BackgroundProcess(executable: SniffTests.python, arguments: [
            "python3", WSTapRunner.repositoryRoot.appendingPathComponent("Tests/Peers/scripted_tcp.py").path,
            "--port", String(port), "--script", script.path,
        ])
        #expect(peer.waitForExit(timeout: 30) && peer.status == 0, "peer: \(peer.stderr)")
        let printed = sniff.wait(timeout: 15) { sniff.stdoutText.contains("upgrade refused") && sniff.stdoutText.contains("end (fin)") }
        sniff.send(SIGINT)
        #expect(sniff.waitForExit(timeout: 15))
        #expect(printed, "stdout: \(sniff.stdoutText)")
        Self.expectClean(sniff.stdout, sniff.stderr, "sniff")
        for expected in [
            "GET /chat\(Self.escapedPayload) host=evil\(Self.escapedPayload)", "1000 \"ok\(Self.quotedPayload)\"",
            "GET /refused\(Self.escapedPayload): 403 Forbidden\(Self.escapedPayload)",
        ] {
            #expect(sniff.stdoutText.contains(expected), "sniff lacks \(expected):\n\(sniff.stdoutText)")
        }
    }
}
