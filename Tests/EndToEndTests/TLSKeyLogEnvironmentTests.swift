import Foundation
import Testing

/// `SSLKEYLOGFILE`, the variable browsers and curl read, is used when no `--keylog` is given, and
/// said so; a bad one is a warning, not a failure, since the user did not name it on this run.
struct TLSKeyLogEnvironmentTests {
    static func run(_ arguments: [String], keyLog: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = try WSTapRunner.binary()
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SSLKEYLOGFILE"] = keyLog
        process.environment = environment
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    static let folder = WSTapRunner.capturesFolder.appendingPathComponent("tls")

    @Test func theVariableIsUsedAndSaidSo() throws {
        let keyLog = Self.folder.appendingPathComponent("tls13-chacha20.keylog").path
        let result = try Self.run(["read", "--format", "jsonl", Self.folder.appendingPathComponent("tls13-chacha20.pcap").path], keyLog: keyLog)
        #expect(result.status == 0)
        #expect(result.stderr == "wstap: using the TLS key log named by SSLKEYLOGFILE: \(keyLog)\n")
        #expect(result.stdout.components(separatedBy: "\"event\":\"message\"").count - 1 == 12)
    }

    @Test func aFlagWinsOverTheVariable() throws {
        let result = try Self.run(["read", "--format", "jsonl", "--keylog", Self.folder.appendingPathComponent("tls13-chacha20.keylog").path,
                                   Self.folder.appendingPathComponent("tls13-chacha20.pcap").path], keyLog: "/nonexistent/keys.txt")
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty, "\(result.stderr)")
    }

    @Test func aBadVariableIsAWarningAndDecodingGoesOn() throws {
        let result = try Self.run(["read", "--format", "jsonl", Self.folder.appendingPathComponent("mixed-plain-and-tls.pcap").path], keyLog: "/nonexistent/keys.txt")
        #expect(result.status == 0)
        #expect(result.stderr.hasPrefix("wstap: warning: SSLKEYLOGFILE not used: cannot read key log '/nonexistent/keys.txt'"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stdout.contains("\"kind\":\"no_key\""))
        // The plain connection in the same capture decodes as always.
        #expect(result.stdout.contains("\"event\":\"message\""))
    }

    /// Malformed lines cost nothing but a warning that names them: the good lines still decrypt.
    @Test func malformedLinesAreOneWarningWithTheirNumbers() throws {
        let good = try String(contentsOfFile: Self.folder.appendingPathComponent("tls12-aes128gcm.keylog").path, encoding: .utf8)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-malformed-\(getpid()).keylog").path
        try ("CLIENT_RANDOM zz\n\n# fine\n" + good + "CLIENT_RANDOM \(String(repeating: "ab", count: 32)) 00\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try WSTapRunner.run(["read", "--format", "jsonl", "--keylog", path, Self.folder.appendingPathComponent("tls12-aes128gcm.pcap").path])
        #expect(result.status == 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("wstap: warning: key log: 2 malformed lines skipped: line 1: ") == true, "\(result.stderr)")
        #expect(result.stderr.contains("; line \(good.split(separator: "\n").count + 4): "), "\(result.stderr)")
        #expect(result.stdoutText.components(separatedBy: "\"event\":\"message\"").count - 1 == 12)
    }
}
