import Foundation
import Testing
@testable import TLSDecryption

/// A key log that is still being written (sniff): appended lines are found, a line written in two
/// pieces only once complete, a replaced file from its start; reads are rate-limited.
struct TLSKeyLogFileTests {
    static func line(_ random: UInt8, _ label: String = "CLIENT_RANDOM") -> String {
        "\(label) \(String(repeating: String(format: "%02x", random), count: 32)) \(String(repeating: "ab", count: 48))\n"
    }

    static func append(_ text: String, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    @Test func findsWhatIsAppendedLater() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-live-\(UUID().uuidString).keylog").path
        try Data().write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = TLSKeyLogFile(path: path, minimumRereadInterval: .zero)
        let first = [UInt8](repeating: 1, count: 32), second = [UInt8](repeating: 2, count: 32)
        #expect(file.secrets(for: first) == nil)
        try Self.append(Self.line(1), to: path)
        #expect(file.secrets(for: first)?.masterSecret?.count == 48)
        // Half a line is not a secret yet; the rest completes it.
        let text = Self.line(2)
        try Self.append(String(text.prefix(50)), to: path)
        #expect(file.secrets(for: second) == nil)
        try Self.append(String(text.dropFirst(50)), to: path)
        #expect(file.secrets(for: second) != nil)
        #expect(file.count == 2)
    }

    @Test func anEntryWithoutAllSecretsIsLookedUpAgain() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-live-\(UUID().uuidString).keylog").path
        try Data(Self.line(3, "CLIENT_HANDSHAKE_TRAFFIC_SECRET").utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = TLSKeyLogFile(path: path, minimumRereadInterval: .zero)
        let random = [UInt8](repeating: 3, count: 32)
        let complete: (TLSKeyLog.Secrets) -> Bool = { $0.clientTrafficSecret0 != nil }
        #expect(file.secrets(for: random).map(complete) == false)
        try Self.append(Self.line(3, "CLIENT_TRAFFIC_SECRET_0"), to: path)
        #expect(file.secrets(for: random, isComplete: complete).map(complete) == true)
    }

    @Test func readsAreRateLimitedUnlessForced() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-live-\(UUID().uuidString).keylog").path
        try Data().write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = TLSKeyLogFile(path: path, minimumRereadInterval: .seconds(3600))
        let random = [UInt8](repeating: 4, count: 32)
        try Self.append(Self.line(4), to: path)
        #expect(file.secrets(for: random) == nil)
        #expect(file.secrets(for: random, force: true) != nil)
    }

    @Test func aReplacedFileIsReadFromItsStart() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-live-\(UUID().uuidString).keylog").path
        try Data((Self.line(5) + Self.line(6)).utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = TLSKeyLogFile(path: path, minimumRereadInterval: .zero)
        try Data(Self.line(7).utf8).write(to: URL(fileURLWithPath: path))
        #expect(file.secrets(for: [UInt8](repeating: 7, count: 32)) != nil)
        #expect(file.secrets(for: [UInt8](repeating: 5, count: 32)) != nil, "secrets already read are kept")
    }
}
