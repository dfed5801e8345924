import Foundation
import Testing

/// A wss:// recording, decrypted with its key log, replays to a live wss:// server like a plain
/// one: the server receives exactly the client messages the recording's peer logged.
@Suite(.serialized) struct TLSReplayTests {
    @Test(arguments: ["tls13-aes128gcm", "tls12-chacha20"])
    func aDecryptedRecordingReplaysToAWSSServer(_ name: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-tls-replay-\(UUID().uuidString)")
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
        let server = try ReplayCommandTests.EchoServer(["--cert", cert, "--key", key])
        defer { server.stop() }
        let capture = ReplayCommandTests.capture("tls/\(name).pcap")
        let keyLog = ReplayCommandTests.capture("tls/\(name).keylog")
        // Without the key log there is nothing to replay: the TLS connection is not WebSocket yet.
        let withoutKeys = try WSTapRunner.run(["replay", capture, "--target", "wss://127.0.0.1:\(server.port)", "--insecure"], timeout: 60)
        #expect(withoutKeys.status == 2, "\(withoutKeys.stderr)")
        // The echo server answers differently from the recorded one (exit 1); what counts is that
        // it received every recorded client message.
        let result = try WSTapRunner.run(["replay", capture, "--keylog", keyLog, "--target", "wss://127.0.0.1:\(server.port)",
                                          "--insecure", "--answer-timeout", "1"], timeout: 90)
        #expect(result.status == 0 || result.status == 1, "stdout: \(result.stdoutText) stderr: \(result.stderr)")
        try ReplayCommandTests.expectIdenticalStream(server, truth: "tls/\(name).truth.jsonl", exactFrameLengths: false)
    }

    /// The mirror: `serve --keylog` plays the decrypted server side of a wss:// recording to a
    /// live client (here a plain ws:// one), byte for byte, and says why without the key log.
    @Test(arguments: ["tls13-aes128gcm", "tls12-chacha20"])
    func aDecryptedRecordingIsServedToARealClient(_ name: String) throws {
        let capture = ReplayCommandTests.capture("tls/\(name).pcap")
        let keyLog = ReplayCommandTests.capture("tls/\(name).keylog")
        let withoutKeys = try WSTapRunner.run(["serve", capture, "--max-clients", "1"], timeout: 60)
        #expect(withoutKeys.status == 2, "\(withoutKeys.stderr)")
        let server = try ServeCommandTests.Server(capture, ["--keylog", keyLog, "--max-clients", "1"])
        let path = try #require(server.paths.first)
        let truth = "tls/\(name).truth.jsonl"
        let run = try ServeCommandTests.client(server.url + path, truth: truth)
        #expect(server.process.waitForExit(timeout: 30))
        let expected = try ServeCommandTests.serverTruth(truth)
        #expect(run.status == 0, "\(run.log)")
        #expect(!expected.isEmpty)
        #expect(run.received.map(\.opcode) == expected.map(\.opcode))
        #expect(run.received.map(\.payload) == expected.map(\.payload), "byte for byte")
        #expect(server.process.status == 0, "\(server.process.stderr)")
    }
}
