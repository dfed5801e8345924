import Foundation
import Testing

/// Real wss:// captures (scripts/capture/record_tls.py: python `websockets` over `ssl`, the
/// client's key log, permessage-deflate, a 100 KB message over many records) decoded with and
/// without their key log.
@Suite struct TLSCaptureTests {
    static let folder = WSTapRunner.capturesFolder.appendingPathComponent("tls")

    static let captures: [RecordedCaptureTests.Capture] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") }.sorted().map { name in
            let stem = String(name.dropLast(".pcap".count))
            return RecordedCaptureTests.Capture(name: stem, file: folder.appendingPathComponent(name),
                                                truth: folder.appendingPathComponent("\(stem).truth.jsonl"))
        }
    }()

    static func keyLog(_ capture: RecordedCaptureTests.Capture) -> String {
        capture.file.deletingPathExtension().appendingPathExtension("keylog").path
    }

    /// The TLS connections of a capture: those whose truth says they used `/tls/` paths are
    /// recorded by record_tls.py, the mixed capture adds one plain connection.
    static func tlsClients(_ capture: RecordedCaptureTests.Capture) throws -> Set<String> {
        let text = try String(contentsOf: capture.truth, encoding: .utf8)
        return Set(text.split(separator: "\n").compactMap { line -> String? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let server = object["server"] as? String, server.hasPrefix("127.0.0.1:92") else { return nil }
            return object["client"] as? String
        })
    }

    @Test func everySuiteIsRecorded() {
        let names = Set(Self.captures.map(\.name))
        for name in ["tls13-aes128gcm", "tls13-aes256gcm", "tls13-chacha20", "tls12-aes128gcm", "tls12-chacha20"] {
            #expect(names.contains(name), "captures/tls/\(name).pcap is missing")
        }
    }

    @Test(arguments: captures)
    func decryptsEveryMessageByteForByte(_ capture: RecordedCaptureTests.Capture) throws {
        let result = try WSTapRunner.run(["read", "--format", "jsonl", "--keylog", Self.keyLog(capture), capture.file.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = try result.jsonLines()
        let expected = try RecordedCaptureTests.truth(of: capture)
        let (actual, incomplete) = RecordedCaptureTests.decoded(lines)
        #expect(incomplete == 0)
        #expect(!expected.isEmpty)
        for (key, sent) in expected {
            let got = actual[key] ?? []
            #expect(got.count == sent.count, "\(capture.name) \(key): \(got.count) messages decoded, \(sent.count) sent")
            for (index, pair) in zip(got, sent).enumerated() where pair.0 != pair.1 {
                Issue.record("\(capture.name) \(key) message \(index): decoded \(pair.0), sent \(pair.1)")
                break
            }
        }
        #expect(expected.values.joined().contains { $0.payload.count >= 100_000 }, "a message spanning many TLS records")
        let anomalies = lines.filter { $0["event"] as? String == "anomaly" || $0["event"] as? String == "gap" }
        #expect(anomalies.isEmpty, "\(capture.name): \(anomalies)")
        // The open event says the connection was wss:// and with what; a plain one says nothing.
        let tlsClients = try Self.tlsClients(capture)
        for open in lines where open["event"] as? String == "open" {
            let tls = open["tls"] as? [String: Any]
            if tlsClients.contains(open["client"] as? String ?? "") {
                #expect(tls?["sni"] as? String == "localhost" && tls?["alpn"] as? String == "http/1.1", "\(open)")
                let version = tls?["version"] as? String ?? "", cipher = tls?["cipher"] as? String ?? ""
                #expect(version == (capture.name.hasPrefix("tls12") ? "TLS 1.2" : "TLS 1.3"), "\(open)")
                let chacha = capture.name.contains("chacha") || capture.name.hasPrefix("mixed")  // mixed holds tls13-chacha20
                #expect(cipher.contains(chacha ? "CHACHA20_POLY1305" : "GCM"), "\(open)")
            } else {
                #expect(tls == nil)
            }
        }
    }

    /// Without a key log a TLS connection is not silently dropped: it is listed once, with what
    /// its hellos said, and nothing else is printed for it.
    @Test(arguments: captures)
    func withoutAKeyLogEveryTLSConnectionIsListed(_ capture: RecordedCaptureTests.Capture) throws {
        // Another recording's key log (the mixed capture reuses tls13-chacha20's keys).
        let other = try #require(Self.captures.first { ![capture.name, "mixed-plain-and-tls", "tls13-chacha20"].contains($0.name) })
        let otherKeyLog = Self.keyLog(other)
        for keyLogArguments in [[], ["--keylog", otherKeyLog]] {
            let result = try WSTapRunner.run(["read", "--format", "jsonl"] + keyLogArguments + [capture.file.path])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let lines = try result.jsonLines()
            let noKey = lines.filter { $0["kind"] as? String == "no_key" }
            #expect(noKey.count == 1, "\(capture.name) \(keyLogArguments): \(lines)")
            let detail = noKey.first?["detail"] as? String ?? ""
            #expect(detail.contains("SNI localhost") && detail.contains("ALPN http/1.1"), "\(detail)")
            #expect(detail.contains("TLS 1.3") || detail.contains("TLS 1.2"), "\(detail)")
            if !keyLogArguments.isEmpty { #expect(detail.contains("has no entry for client random"), "\(detail)") }
            // Only the plain connection of the mixed capture has messages.
            let tlsClients = try Self.tlsClients(capture)
            let tlsMessages = lines.filter { $0["event"] as? String == "message" && tlsClients.contains($0["client"] as? String ?? "") }
            #expect(tlsMessages.isEmpty)
        }
    }

    /// The right client random with wrong secrets: every record fails authentication; that is said
    /// once per connection, and not one decrypted-looking byte is printed. A plain connection in
    /// the same capture loses nothing.
    @Test(arguments: captures)
    func aWrongKeyLogFailsAuthenticationAndPrintsNothing(_ capture: RecordedCaptureTests.Capture) throws {
        let text = try String(contentsOfFile: Self.keyLog(capture), encoding: .utf8)
        // Flip the last hex digit of every secret.
        let wrong = text.split(separator: "\n").map { line -> String in
            guard !line.hasPrefix("#"), let last = line.last else { return String(line) }
            return line.dropLast() + (last == "0" ? "1" : "0")
        }.joined(separator: "\n")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-wrong-\(capture.name)-\(getpid()).keylog").path
        try wrong.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try WSTapRunner.run(["read", "--format", "jsonl", "--keylog", path, capture.file.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = try result.jsonLines()
        let failures = lines.filter { $0["kind"] as? String == "tls_authentication_failed" }
        #expect(failures.count == 1, "\(lines)")
        let tlsClients = try Self.tlsClients(capture)
        let tlsEvents = lines.filter { tlsClients.contains($0["client"] as? String ?? "") }
        #expect(tlsEvents.isEmpty, "\(tlsEvents)")
        // Plain connections decode completely.
        let expected = try RecordedCaptureTests.truth(of: capture).filter { !tlsClients.contains($0.key.client) }
        let (actual, _) = RecordedCaptureTests.decoded(lines)
        for (key, sent) in expected { #expect(actual[key] == sent, "\(key)") }
    }

    struct BadKeyLog: Sendable, CustomTestStringConvertible {
        var name: String
        var contents: String?
        var message: String
        var testDescription: String { name }
    }

    @Test(arguments: [
        BadKeyLog(name: "missing", contents: nil, message: "cannot read key log"),
        BadKeyLog(name: "empty", contents: "", message: "is empty"),
        BadKeyLog(name: "binary", contents: "\u{0}\u{1}\u{2}pcap", message: "is binary"),
        BadKeyLog(name: "no secrets", contents: "# nothing\nhello\n", message: "holds no TLS secret"),
    ])
    func aBadKeyLogIsOneErrorLine(_ bad: BadKeyLog) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-bad-\(bad.name)-\(getpid()).keylog").path
        if let contents = bad.contents { try contents.write(toFile: path, atomically: true, encoding: .utf8) }
        defer { try? FileManager.default.removeItem(atPath: path) }
        for command in ["read", "sessions", "export"] {
            var arguments = [command, Self.captures[0].file.path, "--keylog", path]
            if command == "export" { arguments += ["--format", "har", "-o", "/dev/null"] }
            let result = try WSTapRunner.run(arguments)
            #expect(result.status == 2, "\(command): \(result.stderr)")
            let errorLines = result.stderr.split(separator: "\n")
            #expect(errorLines.count == 1 && errorLines[0].hasPrefix("wstap: error: ") && errorLines[0].contains(bad.message), "\(command): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }

    /// `sessions` and `export` read through the same layer: the decrypted connection is a session.
    @Test func sessionsAndExportSeeTheDecryptedConnection() throws {
        let capture = try #require(Self.captures.first { $0.name == "tls12-aes128gcm" })
        let sessions = try WSTapRunner.run(["sessions", "--format", "jsonl", "--keylog", Self.keyLog(capture), capture.file.path])
        #expect(sessions.status == 0, "\(sessions.stderr)")
        #expect(sessions.stdoutText.contains("/tls/tls12-aes128gcm"), "\(sessions.stdoutText)")
        let har = try WSTapRunner.run(["export", "--format", "har", "--keylog", Self.keyLog(capture), capture.file.path])
        #expect(har.status == 0, "\(har.stderr)")
        #expect(har.stdoutText.contains("hello over TLS"))
    }
}
