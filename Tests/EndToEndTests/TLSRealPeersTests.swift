import Foundation
import Testing

/// Captures from other TLS implementations than Python's (scripts/capture/record_tls_openssl.py):
/// OpenSSL's s_client sending KeyUpdates in the middle of a WebSocket conversation, and an
/// s_client/s_server pair that chose ALPN h2.
struct TLSRealPeersTests {
    static let folder = WSTapRunner.capturesFolder.appendingPathComponent("tls/openssl")

    static func capture(_ name: String) -> RecordedCaptureTests.Capture {
        RecordedCaptureTests.Capture(name: name, file: folder.appendingPathComponent("\(name).pcap"),
                                     truth: folder.appendingPathComponent("\(name).truth.jsonl"))
    }

    /// Reads `capture` with `keyLog`: it must succeed, hold `messages` messages in its truth file,
    /// and every one of them must decode complete and byte for byte as the peers sent it.
    /// Returns the JSON lines and the truth, for the caller's own checks.
    static func decryptsAsSent(_ capture: RecordedCaptureTests.Capture, keyLog: String, messages: Int) throws
        -> (lines: [[String: Any]], truth: [RecordedCaptureTests.Key: [RecordedCaptureTests.Message]]) {
        let result = try WSTapRunner.run(["read", "--format", "jsonl", "--keylog", keyLog, capture.file.path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try result.jsonLines()
        let expected = try RecordedCaptureTests.truth(of: capture)
        let (actual, incomplete) = RecordedCaptureTests.decoded(lines)
        #expect(incomplete == 0)
        #expect(expected.values.reduce(0) { $0 + $1.count } == messages)
        for (key, sent) in expected { #expect(actual[key] == sent, "\(key)") }
        return (lines, expected)
    }

    /// s_client's `K` (both sides update) twice and `k` (client only) once: the key log holds
    /// only the first application secrets, so every message after an update decrypts only if the
    /// KeyUpdate is followed. Each must match what the peers sent, byte for byte.
    @Test func keyUpdatesAreFollowed() throws {
        let capture = Self.capture("openssl-keyupdate")
        let keyLog = Self.folder.appendingPathComponent("openssl-keyupdate.keylog").path
        let keys = try String(contentsOfFile: keyLog, encoding: .utf8)
        #expect(keys.contains("CLIENT_TRAFFIC_SECRET_0") && !keys.contains("TRAFFIC_SECRET_1"))
        let lines = try Self.decryptsAsSent(capture, keyLog: keyLog, messages: 12).lines
        #expect(!lines.contains { $0["event"] as? String == "anomaly" || $0["event"] as? String == "gap" }, "\(lines)")
        let open = try #require(lines.first { $0["event"] as? String == "open" })
        #expect((open["tls"] as? [String: Any])?["cipher"] as? String == "TLS_AES_128_GCM_SHA256")
    }

    /// ALPN h2: without a key the connection is listed with SNI, ALPN and why WebSocket inside it
    /// would not be decoded; with the key, it decrypts and says HTTP/2 is not decoded yet.
    @Test func alpnH2IsNamed() throws {
        let capture = Self.capture("openssl-alpn-h2")
        let without = try WSTapRunner.run(["read", "--format", "jsonl", capture.file.path])
        #expect(without.status == 0, "\(without.stderr)")
        let event = try #require(try without.jsonLines().first { $0["event"] as? String == "tls" })
        let tls = event["tls"] as? [String: Any]
        #expect(tls?["alpn"] as? String == "h2" && tls?["sni"] as? String == "h2.example" && tls?["version"] as? String == "TLS 1.2", "\(event)")
        #expect((event["detail"] as? String ?? "").contains("WebSocket over HTTP/2 (RFC 8441) is not decoded yet"), "\(event)")
        #expect(event["bytes_from_client"] as? Int ?? 0 > 0 && event["bytes_from_server"] as? Int ?? 0 > 0)

        let keyLog = Self.folder.appendingPathComponent("openssl-alpn-h2.keylog").path
        let with = try WSTapRunner.run(["read", "--format", "jsonl", "--keylog", keyLog, capture.file.path])
        let lines = try with.jsonLines()
        #expect(lines.filter { $0["kind"] as? String == "http2_not_decoded" }.count == 1, "\(lines)")
        #expect(!lines.contains { $0["event"] as? String == "tls" || $0["kind"] as? String == "no_key" }, "\(lines)")
    }

    /// Headless Chromium's own WebSocket over wss:// (SSLKEYLOGFILE, a self-signed certificate,
    /// permessage-deflate; scripts/capture/record_tls_browser.py): every message matches what the
    /// page and the server logged; the page's other TLS connections (HTTP/1.1 requests) decrypt
    /// too and are not WebSocket, so nothing else is printed.
    @Test func chromiumOverWSS() throws {
        let folder = WSTapRunner.capturesFolder.appendingPathComponent("tls/browser")
        let capture = RecordedCaptureTests.Capture(name: "browser-chromium-tls", file: folder.appendingPathComponent("browser-chromium-tls.pcap"),
                                                   truth: folder.appendingPathComponent("browser-chromium-tls.truth.jsonl"))
        let keyLog = folder.appendingPathComponent("browser-chromium-tls.keylog").path
        let lines = try Self.decryptsAsSent(capture, keyLog: keyLog, messages: 10).lines
        #expect(!lines.contains { $0["event"] as? String == "anomaly" || $0["event"] as? String == "tls" }, "\(lines)")
        let open = try #require(lines.first { $0["event"] as? String == "open" })
        #expect((open["tls"] as? [String: Any])?["alpn"] as? String == "http/1.1")
        #expect((open["extensions"] as? [String])?.first?.hasPrefix("permessage-deflate") == true)
        // Without the key log, each of Chromium's TLS connections is listed.
        let without = try WSTapRunner.run(["read", "--format", "jsonl", capture.file.path])
        let listed = try without.jsonLines().filter { $0["event"] as? String == "tls" }
        #expect(listed.count >= 2, "\(listed)")
        #expect(listed.contains { ($0["tls"] as? [String: Any])?["alpn"] as? String == "http/1.1" })
    }
}
