import Foundation
import Testing

/// `wstap serve --tls-cert --tls-key`: wss:// to a real Python `websockets` client that verifies
/// a self-signed certificate made by openssl for this test; bad files stop serving with exit 2.
@Suite(.serialized) struct ServeTLSTests {
    /// A self-signed certificate for 127.0.0.1 (and a second, unrelated key) in a new folder.
    static func makeCertificate() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-serve-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, subject) in [("", "/CN=127.0.0.1"), ("other-", "/CN=other")] {
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            openssl.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", subject,
                                 "-addext", "subjectAltName=IP:127.0.0.1",
                                 "-keyout", folder.appendingPathComponent("\(name)key.pem").path, "-out", folder.appendingPathComponent("\(name)cert.pem").path]
            openssl.standardError = FileHandle.nullDevice
            openssl.standardOutput = FileHandle.nullDevice
            try openssl.run()
            openssl.waitUntilExit()
            try #require(openssl.terminationStatus == 0, "openssl req failed: is openssl installed?")
        }
        return folder
    }

    @Test func aVerifyingClientGetsTheRecordedStreamOverWSS() throws {
        let folder = try Self.makeCertificate()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cert = folder.appendingPathComponent("cert.pem").path
        try TestPeers.require()
        let server = try BackgroundProcess(
            executable: try WSTapRunner.binary(),
            arguments: ["serve", WSTapRunner.capturesFolder.appendingPathComponent("replay-echo.pcap").path, "--tls-cert", cert,
                        "--tls-key", folder.appendingPathComponent("key.pem").path, "--max-clients", "1"])
        #expect(server.wait(timeout: 30) { server.stderr.contains("serving ") || !server.isRunning })
        let line = server.stderr.split(separator: "\n").first { $0.contains("serving ") }.map(String.init) ?? ""
        let url = try #require(line.split(separator: " ").first { $0.hasPrefix("wss://") }.map(String.init), "\(server.stderr)")
        let path = try #require(line.range(of: "(paths: ").map { String(line[$0.upperBound...].dropLast()) })
        let run = try ServeCommandTests.client(url + path, truth: "replay-echo.truth.jsonl", ["--cafile", cert, "--subprotocol", "chat.v1"])
        #expect(server.waitForExit(timeout: 30))
        #expect(run.status == 0, "\(run.log)")
        #expect(run.received.map(\.payload) == (try ServeCommandTests.serverTruth("replay-echo.truth.jsonl")).map(\.payload), "byte for byte over TLS")
        #expect(run.closeCode == (try ServeCommandTests.serverCloseCode("replay-echo.truth.jsonl")))
        #expect(server.status == 0, "\(server.stdoutText)\n\(server.stderr)")
    }

    @Test func badCertificateOrKeyExitsTwoWithOneLine() throws {
        let folder = try Self.makeCertificate()
        defer { try? FileManager.default.removeItem(at: folder) }
        let junk = folder.appendingPathComponent("junk.pem")
        try Data("not a certificate\n".utf8).write(to: junk)
        let capture = WSTapRunner.capturesFolder.appendingPathComponent("replay-echo.pcap").path
        let cert = folder.appendingPathComponent("cert.pem").path
        let key = folder.appendingPathComponent("key.pem").path
        let cases: [([String], String)] = [
            (["--tls-cert", junk.path, "--tls-key", key], "--tls-cert \(junk.path): not a PEM certificate"),
            (["--tls-cert", cert, "--tls-key", junk.path], "--tls-key \(junk.path): not a PEM private key"),
            (["--tls-cert", cert, "--tls-key", folder.appendingPathComponent("other-key.pem").path], "the key does not fit the certificate"),
            (["--tls-cert", folder.appendingPathComponent("missing.pem").path, "--tls-key", key], "cannot be opened"),
        ]
        for (flags, message) in cases {
            let result = try WSTapRunner.run(["serve", capture] + flags, timeout: 30)
            #expect(result.status == 2, "\(flags): \(result.stderr)")
            #expect(result.stderr.contains(message) && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
        let usage = try WSTapRunner.run(["serve", capture, "--tls-cert", cert])
        #expect(usage.status == 64 && usage.stderr.contains("--tls-cert and --tls-key go together"))
    }
}
