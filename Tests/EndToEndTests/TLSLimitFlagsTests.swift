import Foundation
import Testing

/// The TLS limits a user can change from the command line (docs/limits.md).
struct TLSLimitFlagsTests {
    static let folder = WSTapRunner.capturesFolder.appendingPathComponent("tls")
    static let capture = folder.appendingPathComponent("tls12-aes128gcm.pcap").path
    static let keyLog = folder.appendingPathComponent("tls12-aes128gcm.keylog").path

    @Test func maxKeylogBytesRefusesALargerFile() throws {
        let result = try WSTapRunner.run(["read", "--keylog", Self.keyLog, "--max-keylog-bytes", "100", Self.capture])
        #expect(result.status == 2)
        #expect(result.stderr == "wstap: error: key log '\(Self.keyLog)' is larger than 100 bytes (--max-keylog-bytes): not read\n", "\(result.stderr)")
    }

    /// Only the first connection of a key log is kept: the capture's connection, listed second,
    /// is then `no_key`, and the warning counts what was dropped.
    @Test func maxKeylogEntriesKeepsTheFirstConnections() throws {
        let other = try String(contentsOfFile: Self.folder.appendingPathComponent("tls12-chacha20.keylog").path, encoding: .utf8)
        let own = try String(contentsOfFile: Self.keyLog, encoding: .utf8)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-two-\(getpid()).keylog").path
        try (other + own).write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let capped = try WSTapRunner.run(["read", "--format", "jsonl", "--keylog", path, "--max-keylog-entries", "1", Self.capture])
        #expect(capped.status == 0)
        #expect(capped.stderr.contains("more than 1 connections; 1 lines past that were not kept"), "\(capped.stderr)")
        #expect(capped.stdoutText.contains("\"kind\":\"no_key\""))
        let full = try WSTapRunner.run(["read", "--format", "jsonl", "--keylog", path, Self.capture])
        #expect(full.stderr.isEmpty && !full.stdoutText.contains("no_key"), "\(full.stderr)")
    }

    @Test(arguments: [["--max-keylog-bytes", "0"], ["--max-keylog-entries", "0"], ["--tls-resync-records", "-1"], ["--tls-resync-records", "5000"]])
    func outOfRangeIsAUsageError(_ flag: [String]) throws {
        let result = try WSTapRunner.run(["read", Self.capture] + flag)
        #expect(result.status == 64, "\(result.stderr)")
    }
}
