import Foundation
import Testing

/// A pcapng file that carries its own key log in a Decryption Secrets Block (made from a recorded
/// capture by `editcap --inject-secrets`, scripts/capture/inject_secrets.sh) decrypts with no flag,
/// exactly as the same packets do with `--keylog`.
struct TLSEmbeddedSecretsTests {
    static let folder = WSTapRunner.capturesFolder.appendingPathComponent("tls")
    static let embedded = folder.appendingPathComponent("tls13-aes256gcm.dsb.pcapng").path
    static let plain = folder.appendingPathComponent("tls13-aes256gcm.pcap").path
    static let keyLog = folder.appendingPathComponent("tls13-aes256gcm.keylog").path

    @Test(arguments: [["read", "--format", "jsonl"], ["sessions", "--format", "jsonl"], ["export", "--format", "session"]])
    func decodesWithoutAFlagExactlyAsWithTheKeyLog(_ command: [String]) throws {
        let withSecrets = try WSTapRunner.run(command + [Self.embedded])
        let withKeyLog = try WSTapRunner.run(command + ["--keylog", Self.keyLog, Self.plain])
        #expect(withSecrets.status == 0 && withKeyLog.status == 0, "\(withSecrets.stderr) \(withKeyLog.stderr)")
        #expect(withSecrets.stderr == "wstap: using the TLS secrets embedded in '\(Self.embedded)' (1 Decryption Secrets Block)\n")
        #expect(!withSecrets.stdout.isEmpty)
        // Export names its source file; everything else must be identical.
        let cleaned = withSecrets.stdoutText.replacingOccurrences(of: Self.embedded, with: Self.plain)
        #expect(cleaned == withKeyLog.stdoutText)
    }

    @Test func everyMessageMatchesTheTruth() throws {
        let result = try WSTapRunner.run(["read", "--format", "jsonl", Self.embedded])
        let lines = try result.jsonLines()
        let truth = RecordedCaptureTests.Capture(name: "dsb", file: URL(fileURLWithPath: Self.embedded),
                                                 truth: Self.folder.appendingPathComponent("tls13-aes256gcm.truth.jsonl"))
        let expected = try RecordedCaptureTests.truth(of: truth)
        let (actual, incomplete) = RecordedCaptureTests.decoded(lines)
        #expect(incomplete == 0 && !expected.isEmpty)
        for (key, sent) in expected { #expect(actual[key] == sent, "\(key)") }
    }

    /// A damaged block is one warning naming it; the connection it would have opened is listed
    /// with `no_key`, and the read succeeds.
    @Test func aMalformedBlockIsAWarning() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.embedded)))
        let headerLength = Int(bytes[4]) | Int(bytes[5]) << 8
        // The secrets length field of the block after the section header: claim 1 MiB.
        bytes.replaceSubrange((headerLength + 12)..<(headerLength + 16), with: [0, 0, 0x10, 0])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-bad-dsb-\(getpid()).pcapng").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try WSTapRunner.run(["read", "--format", "jsonl", path])
        #expect(result.status == 0)
        #expect(result.stderr == "wstap: warning: pcapng Decryption Secrets Block at byte \(headerLength) claims 1048576 secrets bytes in a block of \(bytes.count > 0 ? Int(bytes[headerLength + 4]) | Int(bytes[headerLength + 5]) << 8 : 0): not used\n", "\(result.stderr)")
        let noKey = try result.jsonLines().filter { $0["kind"] as? String == "no_key" }
        #expect(noKey.count == 1)
    }
}
