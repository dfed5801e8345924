import Foundation
import Testing

/// Hostile durations and request heads for `wstap replay` (issue #17, classes 1 and 2): values from
/// flags and files that used to trap (SIGILL on an unchecked `UInt64(x * 1e9)`), sleep forever, or
/// reach the server verbatim with CR LF (header and request smuggling). Run against the real echo
/// server (Tests/Peers/echo_server.py), which logs every request it receives.
@Suite(.serialized) struct ReplayHardeningTests {
    typealias EchoServer = ReplayCommandTests.EchoServer

    static let echoCapture = ReplayCommandTests.capture("replay-echo.pcap")

    /// replay-echo.pcap exported as a session file, parsed for editing.
    static func exportedSession(in folder: URL) throws -> [String: Any] {
        let path = folder.appendingPathComponent("exported.session.json")
        let export = try WSTapRunner.run(["export", echoCapture, "--format", "session", "-o", path.path])
        try #require(export.status == 0, "\(export.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as? [String: Any])
    }

    /// Writes `object` as JSON under `folder` and returns its path.
    static func write(_ object: Any, _ name: String, in folder: URL) throws -> String {
        let path = folder.appendingPathComponent(name)
        try JSONSerialization.data(withJSONObject: object).write(to: path)
        return path.path
    }

    /// replay-echo.pcap exported as a HAR, its entries edited, written under `folder`; the path.
    static func editedHAR(_ name: String, in folder: URL, _ edit: (inout [[String: Any]]) -> Void) throws -> String {
        let har = folder.appendingPathComponent("echo.har")
        let export = try WSTapRunner.run(["export", echoCapture, "--format", "har", "-o", har.path])
        try #require(export.status == 0, "\(export.stderr)")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: har)) as? [String: Any])
        var log = object["log"] as? [String: Any] ?? [:]
        var entries = log["entries"] as? [[String: Any]] ?? []
        edit(&entries)
        log["entries"] = entries
        object["log"] = log
        return try write(object, name, in: folder)
    }

    /// Changes connection 0 of a session file object.
    static func editConnection(_ session: [String: Any], _ edit: (inout [String: Any]) -> Void) -> [String: Any] {
        var session = session
        var connections = session["connections"] as? [[String: Any]] ?? []
        edit(&connections[0])
        session["connections"] = connections
        return session
    }

    /// Adds `seconds` to the time of every message from index `from` on.
    static func shiftTimes(_ connection: inout [String: Any], from: Int, by seconds: Double) {
        var messages = connection["messages"] as? [[String: Any]] ?? []
        for index in from..<messages.count { messages[index]["time"] = (messages[index]["time"] as? Double ?? 0) + seconds }
        connection["messages"] = messages
    }

    // MARK: durations (class 1)

    @Test(arguments: [
        (["--speed", "1e-15", "--pace", "recorded"], "--speed must be between 0.001 and 1000000"),
        (["--answer-timeout", "1e300"], "--answer-timeout must be between 0 and 86400 seconds"),
        (["--connect-timeout", "1e300"], "--connect-timeout must be between 0 and 86400 seconds"),
        (["--close-timeout", "1e300"], "--close-timeout must be between 0 and 86400 seconds"),
        (["--max-recorded-gap=-1"], "--max-recorded-gap must be between 0 and 86400 seconds"),
        (["--close-timeout", "nan"], "--close-timeout must be between 0 and 86400 seconds"),
    ])
    func durationFlagsOutsideTheirRangeAreUsageErrors(_ flags: [String], _ message: String) throws {
        let server = try EchoServer()
        defer { server.stop() }
        let result = try WSTapRunner.run(["replay", Self.echoCapture, "--target", "ws://127.0.0.1:\(server.port)"] + flags, timeout: 60)
        #expect(result.status == 64, "status \(result.status), stderr: \(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(try server.received().isEmpty, "nothing may be sent on a usage error")
    }

    @Test(arguments: [1e300, 1e9])
    func aRecordedGapFarInTheFutureIsCutAndReported(_ gap: Double) throws {
        let server = try EchoServer()
        defer { server.stop() }
        let session = Self.editConnection(try Self.exportedSession(in: server.folder)) { Self.shiftTimes(&$0, from: 4, by: gap) }
        let path = try Self.write(session, "far.session.json", in: server.folder)
        let started = Date()
        let result = try WSTapRunner.run(
            ["replay", path, "--target", "ws://127.0.0.1:\(server.port)", "--ignore", "$.ts", "--pace", "recorded", "--max-recorded-gap", "0.2"],
            timeout: 60)
        // With recorded pacing the close follows the last messages within a millisecond, and the
        // echo server may close before it echoes them all (so 1 is fine); what it received must
        // be the recorded stream.
        #expect(result.status == 0 || result.status == 1, "status \(result.status), stdout: \(result.stdoutText), stderr: \(result.stderr)")
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(result.stdoutText.contains("1 recorded gap(s) longer than 0.2 s were cut to 0.2 s (--max-recorded-gap)"), "\(result.stdoutText)")
        try ReplayCommandTests.expectIdenticalStream(server, truth: "replay-echo.truth.jsonl", exactFrameLengths: false)
    }

    /// Found by FuzzSessionFile (fuzz/crashes/FuzzSessionFile/): a fragment length of 2^64 - 1 after
    /// the first fragment overflowed the frame splitting and trapped replay.
    @Test func aHugeRecordedFragmentLengthIsClampedNotATrap() throws {
        let server = try EchoServer()
        defer { server.stop() }
        let session = Self.editConnection(try Self.exportedSession(in: server.folder)) { connection in
            var messages = connection["messages"] as? [[String: Any]] ?? []
            let index = try? #require(messages.firstIndex { $0["from"] as? String == "client" })
            messages[index ?? 0]["fragmentLengths"] = [1, UInt64.max, 1]
            connection["messages"] = messages
        }
        let path = try Self.write(session, "huge-fragment.session.json", in: server.folder)
        let result = try WSTapRunner.run(["replay", path, "--target", "ws://127.0.0.1:\(server.port)", "--ignore", "$.ts"], timeout: 60)
        #expect(result.status == 0, "status \(result.status), stdout: \(result.stdoutText), stderr: \(result.stderr)")
        // Every message still reaches the server whole; the edited one in the three frames the file
        // names (1 byte, the rest, an empty last frame).
        let received = try server.received().filter { $0["event"] as? String == "message" }
        let sent = try ReplayCommandTests.clientTruth("replay-echo.truth.jsonl")
        #expect(received.map { $0["data_b64"] as? String } == sent.map { $0["data_b64"] as? String })
        #expect(received.first?["frames"] as? Int == 3, "\(received.first ?? [:])")
    }

    @Test func aConnectionStartFarInTheFutureIsCutWithConcurrency() throws {
        let server = try EchoServer()
        defer { server.stop() }
        var session = try Self.exportedSession(in: server.folder)
        var connections = session["connections"] as? [[String: Any]] ?? []
        var later = connections[0]
        later["id"] = 2
        later["start"] = 1e300
        Self.shiftTimes(&later, from: 0, by: 1e300)
        connections.append(later)
        session["connections"] = connections
        let path = try Self.write(session, "two.session.json", in: server.folder)
        let result = try WSTapRunner.run(
            ["replay", path, "--target", "ws://127.0.0.1:\(server.port)", "--ignore", "$.ts", "--concurrency", "2", "--max-recorded-gap", "0.2",
             "--format", "jsonl"], timeout: 60)
        #expect(result.status == 0, "status \(result.status), stderr: \(result.stderr)")
        let notes = try result.jsonLines().compactMap { $0["notes"] as? [String] }.flatMap { $0 }
        #expect(notes.contains { $0.hasPrefix("connection starts: 1 recorded gap(s)") }, "\(notes)")
        #expect(try server.received().filter { $0["event"] as? String == "connect" }.count == 2)
    }

    @Test func aHARMessageTimeFarFromItsStartIsCut() throws {
        let server = try EchoServer()
        defer { server.stop() }
        let path = try Self.editedHAR("far.har", in: server.folder) { entries in
            entries[0]["startedDateTime"] = "1970-01-01T00:00:00.000Z"
            var messages = entries[0]["_webSocketMessages"] as? [[String: Any]] ?? []
            for index in messages.indices { messages[index]["time"] = 9.9e11 + Double(index) }
            entries[0]["_webSocketMessages"] = messages
        }
        let result = try WSTapRunner.run(
            ["replay", path, "--target", "ws://127.0.0.1:\(server.port)", "--ignore", "$.ts", "--pace", "recorded", "--max-recorded-gap", "0.2"],
            timeout: 60)
        #expect(result.status == 0 || result.status == 1, "status \(result.status), stderr: \(result.stderr)")
        #expect(result.stdoutText.contains("were cut to 0.2 s (--max-recorded-gap)"), "\(result.stdoutText)")
    }

    @Test func slowSpeedWithinRangeDoesNotTrapOnARealCapture() throws {
        let server = try EchoServer()
        defer { server.stop() }
        // The recorded gaps of replay-echo are milliseconds: at the slowest speed they become
        // seconds, cut by --max-recorded-gap to 0.1 s.
        let result = try WSTapRunner.run(
            ["replay", Self.echoCapture, "--target", "ws://127.0.0.1:\(server.port)", "--ignore", "$.ts", "--pace", "recorded",
             "--speed", "0.001", "--max-recorded-gap", "0.1"], timeout: 60)
        #expect(result.status == 0, "status \(result.status), stderr: \(result.stderr)")
        #expect(result.stdoutText.contains("(÷ speed 0.001) longer than 0.1 s were cut"), "\(result.stdoutText)")
    }

    // MARK: request heads (class 2)

    /// The echo server saw no request at all (nothing was sent, so nothing was smuggled).
    static func expectNothingReached(_ server: EchoServer) throws {
        let received = try server.received()
        #expect(received.isEmpty, "the server received: \(received)")
    }

    @Test(arguments: [
        ("X-Session: a\r\nAuthorization: smuggled", "the value must not contain CR, LF or NUL"),
        ("X-Session: a\nAuthorization: smuggled", "the value must not contain CR, LF or NUL"),
        ("Bad Name: x", "is not an HTTP token"),
        ("X\r\nAuthorization: smuggled", "is not an HTTP token"),
    ])
    // (A NUL cannot be passed in an argument at all; HTTPFieldSyntax's unit tests cover it.)
    func headerFlagsThatWouldBreakTheHeadAreUsageErrors(_ header: String, _ message: String) throws {
        let server = try EchoServer()
        defer { server.stop() }
        let result = try WSTapRunner.run(["replay", Self.echoCapture, "--target", "ws://127.0.0.1:\(server.port)", "--header", header], timeout: 60)
        #expect(result.status == 64, "status \(result.status), stderr: \(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        try Self.expectNothingReached(server)
    }

    @Test(arguments: [
        ("X-Session", "replay-42\r\nAuthorization: smuggled", "the request header \"X-Session\" has a CR, LF or NUL in its value"),
        ("X-Session", "replay-42\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x", "the request header \"X-Session\" has a CR, LF or NUL"),
        ("X-Session\r\nAuthorization", "smuggled", "the request header name \"X-Session\\r\\nAuthorization\" is not an HTTP token"),
    ])
    func aSessionFileHeaderWithCRLFIsRefused(_ name: String, _ value: String, _ message: String) throws {
        let server = try EchoServer()
        defer { server.stop() }
        let session = Self.editConnection(try Self.exportedSession(in: server.folder)) { connection in
            var request = connection["request"] as? [String: Any] ?? [:]
            var headers = request["headers"] as? [[String: Any]] ?? []
            headers.removeAll { $0["name"] as? String == "X-Session" }
            headers.append(["name": name, "value": value])
            request["headers"] = headers
            connection["request"] = request
        }
        let path = try Self.write(session, "smuggling.session.json", in: server.folder)
        let result = try WSTapRunner.run(["replay", path, "--target", "ws://127.0.0.1:\(server.port)"], timeout: 60)
        #expect(result.status == 2, "status \(result.status), stderr: \(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("connection 1: \(message)"), "\(result.stderr)")
        try Self.expectNothingReached(server)
    }

    @Test(arguments: ["/chat HTTP/1.1\r\nAuthorization: smuggled\r\nX-A: b", "/a b", "chat", "/\u{0}"])
    func aSessionFileTargetThatIsNotAnOriginFormPathIsRefused(_ target: String) throws {
        let server = try EchoServer()
        defer { server.stop() }
        let session = Self.editConnection(try Self.exportedSession(in: server.folder)) { connection in
            var request = connection["request"] as? [String: Any] ?? [:]
            request["target"] = target
            connection["request"] = request
        }
        let path = try Self.write(session, "target.session.json", in: server.folder)
        let result = try WSTapRunner.run(["replay", path, "--target", "ws://127.0.0.1:\(server.port)"], timeout: 60)
        #expect(result.status == 2, "status \(result.status), stderr: \(result.stderr)")
        #expect(result.stderr.contains("connection 1: the request target") && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        try Self.expectNothingReached(server)
    }

    /// Found by FuzzHAR (fuzz/crashes/FuzzHAR/): a `startedDateTime` with a fraction of 34 digits
    /// killed replay with SIGFPE inside ICU's date parser; it is now read without ICU.
    @Test func aHARDateTimeWithALongFractionReplays() throws {
        let server = try EchoServer()
        defer { server.stop() }
        let path = try Self.editedHAR("long-fraction.har", in: server.folder) { entries in
            entries[0]["startedDateTime"] = "2026-11-25T11:58:06.2222222222222222222222222222222222825Z"
        }
        let result = try WSTapRunner.run(["replay", path, "--target", "ws://127.0.0.1:\(server.port)", "--ignore", "$.ts"], timeout: 60)
        #expect(result.status == 0, "status \(result.status), stderr: \(result.stderr)")
        #expect(try server.received().contains { $0["event"] as? String == "message" })
    }

    @Test func aHARHeaderWithCRLFIsRefused() throws {
        let server = try EchoServer()
        defer { server.stop() }
        let path = try Self.editedHAR("smuggling.har", in: server.folder) { entries in
            var request = entries[0]["request"] as? [String: Any] ?? [:]
            var headers = request["headers"] as? [[String: Any]] ?? []
            headers.append(["name": "X-Trace", "value": "1\r\nAuthorization: smuggled"])
            request["headers"] = headers
            entries[0]["request"] = request
        }
        let result = try WSTapRunner.run(["replay", path, "--target", "ws://127.0.0.1:\(server.port)"], timeout: 60)
        #expect(result.status == 2, "status \(result.status), stderr: \(result.stderr)")
        #expect(result.stderr.contains("connection 1: the request header \"X-Trace\" has a CR, LF or NUL in its value"), "\(result.stderr)")
        try Self.expectNothingReached(server)
    }
}
