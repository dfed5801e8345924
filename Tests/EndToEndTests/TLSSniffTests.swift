import Foundation
import Testing

private let runningAsRoot = geteuid() == 0

/// `sniff --keylog FILE` while the client is still writing FILE: the key log is empty when the
/// capture starts, a Python `websockets` client over `ssl` (scripts/capture/record_tls.py, its
/// `SSLContext.keylog_filename` appending to FILE) connects afterwards, and every message it and
/// the server logged must be printed live, decrypted, byte for byte.
@Suite(.serialized, .enabled(if: runningAsRoot, "wstap sniff tests need root (CAP_NET_RAW) to capture on lo: skipped"))
struct TLSSniffTests {
    static let recorder = WSTapRunner.repositoryRoot.appendingPathComponent("scripts/capture/record_tls.py")

    static func python(_ arguments: [String]) throws -> BackgroundProcess {
        try BackgroundProcess(executable: URL(fileURLWithPath: "/usr/bin/env"), arguments: ["python3", recorder.path] + arguments)
    }

    @Test(arguments: [("1.3", "TLS_AES_128_GCM_SHA256"), ("1.2", "ECDHE-RSA-AES128-GCM-SHA256")])
    func connectionsOpenedAfterStartDecryptAsTheKeyLogGrows(_ version: String, _ suite: String) throws {
        try TestPeers.require()
        let folder = try SniffTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cert = folder.appendingPathComponent("cert.pem").path, key = folder.appendingPathComponent("key.pem").path
        let openssl = try BackgroundProcess(executable: URL(fileURLWithPath: "/usr/bin/env"), arguments: [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
        ])
        #expect(openssl.waitForExit(timeout: 60) && openssl.status == 0, "openssl: \(openssl.stderr)")
        let keyLog = folder.appendingPathComponent("keys.txt")
        try Data().write(to: keyLog)
        let port = try SniffTests.freePort(), clientPort = try SniffTests.freePort()
        let sniff = try SniffTests.startSniff(["-i", "lo", "--filter", "tcp port \(port)", "--format", "jsonl", "--keylog", keyLog.path])
        #expect(sniff.stderr.contains("holds no secret yet"), "\(sniff.stderr)")

        let serverLog = folder.appendingPathComponent("server.jsonl"), clientLog = folder.appendingPathComponent("client.jsonl")
        let ready = folder.appendingPathComponent("ready")
        let common = ["--version", version, "--suite", suite, "--port", String(port)]
        let server = try Self.python(["server", "live"] + common + ["--cert", cert, "--key", key, "--log", serverLog.path, "--ready", ready.path])
        #expect(server.wait(timeout: 20) { FileManager.default.fileExists(atPath: ready.path) || !server.isRunning }, "\(server.stderr)")
        let client = try Self.python(["client", "live"] + common + ["--log", clientLog.path, "--keylog", keyLog.path, "--lport", String(clientPort)])
        #expect(client.waitForExit(timeout: 60) && client.status == 0, "client: \(client.stderr)")
        #expect(server.waitForExit(timeout: 30) && server.status == 0, "server: \(server.stderr)")

        let truth = folder.appendingPathComponent("truth.jsonl")
        try (try Data(contentsOf: serverLog) + Data(contentsOf: clientLog)).write(to: truth)
        let expected = try RecordedCaptureTests.truth(of: RecordedCaptureTests.Capture(name: "live-tls", file: truth, truth: truth))
        let expectedCount = expected.values.reduce(0) { $0 + $1.count }
        #expect(expectedCount >= 10)
        let allPrinted = sniff.wait(timeout: 15) { SniffTests.messageLines(sniff.stdoutText) >= expectedCount }
        sniff.send(SIGINT)
        #expect(sniff.waitForExit(timeout: 15) && sniff.status == 0, "\(sniff.stderr)")
        #expect(allPrinted, "only \(SniffTests.messageLines(sniff.stdoutText)) of \(expectedCount) messages printed live: \(sniff.stdoutText)")

        let lines = try WSTapRunner.Result(status: sniff.status, stdout: sniff.stdout, stderr: sniff.stderr).jsonLines()
        let (actual, incomplete) = RecordedCaptureTests.decoded(lines)
        #expect(incomplete == 0)
        for (key, sent) in expected { #expect(actual[key] == sent, "\(key)") }
        let open = lines.first { $0["event"] as? String == "open" }
        #expect((open?["tls"] as? [String: Any])?["version"] as? String == "TLS \(version)", "\(sniff.stdoutText.prefix(600))")
        #expect(!lines.contains { $0["kind"] as? String == "no_key" || $0["event"] as? String == "tls" }, "\(lines)")
    }
}
