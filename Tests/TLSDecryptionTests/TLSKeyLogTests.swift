import Foundation
import Testing
@testable import TLSDecryption

/// The NSS key log parser against real and hostile lines: what can be used is kept, every bad line
/// is counted with its number, nothing is fatal.
struct TLSKeyLogTests {
    static let random = String(repeating: "ab", count: 32)
    static let secret32 = String(repeating: "01", count: 32)
    static let secret48 = String(repeating: "02", count: 48)

    @Test func readsEveryLabelAndIgnoresOthers() throws {
        let text = """
            # TLS secrets log file
            CLIENT_HANDSHAKE_TRAFFIC_SECRET \(Self.random) \(Self.secret32)
            SERVER_HANDSHAKE_TRAFFIC_SECRET \(Self.random) \(Self.secret32)
            EXPORTER_SECRET \(Self.random) \(Self.secret32)
            CLIENT_TRAFFIC_SECRET_0 \(Self.random) \(Self.secret48)
            SERVER_TRAFFIC_SECRET_0 \(Self.random) \(Self.secret48)

            CLIENT_RANDOM \(String(repeating: "CD", count: 32)) \(Self.secret48)\r
            """
        let keyLog = TLSKeyLog(parsing: Array(text.utf8))
        #expect(keyLog.malformedLineCount == 0)
        #expect(keyLog.ignoredLineCount == 1)
        let entry = try #require(keyLog[clientRandom: Array(repeating: 0xAB, count: 32)])
        #expect(entry.clientHandshakeTrafficSecret == Array(repeating: 1, count: 32))
        #expect(entry.serverTrafficSecret0 == Array(repeating: 2, count: 48))
        #expect(entry.masterSecret == nil)
        let tls12 = try #require(keyLog[clientRandom: Array(repeating: 0xCD, count: 32)])
        #expect(tls12.masterSecret == Array(repeating: 2, count: 48))
    }

    struct HostileLine: Sendable, CustomTestStringConvertible {
        var line: String
        var reason: String
        var testDescription: String { reason }
    }

    @Test(arguments: [
        HostileLine(line: "CLIENT_RANDOM \(random)", reason: "3 fields"),
        HostileLine(line: "CLIENT_RANDOM \(random) \(secret48) extra", reason: "3 fields"),
        HostileLine(line: "CLIENT_RANDOM \(String(random.dropLast(2))) \(secret48)", reason: "64 hex digits"),
        HostileLine(line: "CLIENT_RANDOM \(String(random.dropLast(1)))g \(secret48)", reason: "64 hex digits"),
        HostileLine(line: "CLIENT_RANDOM \(random) \(secret32)", reason: "48"),
        HostileLine(line: "CLIENT_RANDOM \(random) \(secret48.dropLast())", reason: "not hex"),
        HostileLine(line: "CLIENT_TRAFFIC_SECRET_0 \(random) \(String(repeating: "00", count: 64))", reason: "32 or 48"),
        HostileLine(line: "CLIENT_RANDOM \(random) \(String(repeating: "0", count: 4000))", reason: "longer than"),
        HostileLine(line: "\u{1}\u{2} \(random) \(secret48)", reason: "printable"),
    ])
    func aMalformedLineIsCountedWithItsNumber(_ hostile: HostileLine) throws {
        let text = "# header\nCLIENT_RANDOM \(String(repeating: "11", count: 32)) \(Self.secret48)\n\(hostile.line)\n"
        let keyLog = TLSKeyLog(parsing: Array(text.utf8))
        #expect(keyLog.malformedLineCount == 1)
        let first = try #require(keyLog.malformedLines.first)
        #expect(first.line == 3)
        #expect(first.reason.contains(hostile.reason), "\(first.reason)")
        // The good line before it is kept.
        #expect(keyLog.secrets.count == 1)
    }

    @Test func entriesPastTheCapAreCountedNotKept() {
        var text = ""
        for index in 0..<10 {
            let random = String(repeating: String(format: "%02x", index), count: 32)
            text += "CLIENT_RANDOM \(random) \(Self.secret48)\n"
        }
        let keyLog = TLSKeyLog(parsing: Array(text.utf8), maxEntries: 4)
        #expect(keyLog.secrets.count == 4)
        #expect(keyLog.droppedEntryCount == 6)
        #expect(keyLog.warnings.contains { $0.contains("6 lines past that") })
    }

    @Test func malformedLinesKeptAreCappedButAllCounted() {
        let text = String(repeating: "garbage line\n", count: 1000)
        let keyLog = TLSKeyLog(parsing: Array(text.utf8))
        #expect(keyLog.malformedLineCount == 1000)
        #expect(keyLog.malformedLines.count == TLSKeyLog.maxMalformedLinesKept)
        #expect(keyLog.isEmpty)
    }

    /// A file of a million bytes with no newline is neither buffered whole nor a crash.
    @Test func aHugeLineIsOneMalformedLine() {
        let keyLog = TLSKeyLog(parsing: Array(repeating: UInt8(ascii: "A"), count: 1_000_000))
        #expect(keyLog.malformedLineCount == 1)
    }

    struct BadFile: Sendable, CustomTestStringConvertible {
        var name: String
        var contents: [UInt8]?
        var message: String
        var testDescription: String { name }
    }

    @Test(arguments: [
        BadFile(name: "missing", contents: nil, message: "cannot read key log"),
        BadFile(name: "empty", contents: [], message: "is empty"),
        BadFile(name: "binary", contents: [0xD4, 0xC3, 0xB2, 0xA1, 0x02, 0x00, 0x04, 0x00] + Array(repeating: 0, count: 100), message: "is binary"),
        BadFile(name: "no secrets", contents: Array("# only a comment\ngarbage\nUNKNOWN_LABEL a b\n".utf8), message: "holds no TLS secret (1 malformed lines, first line 2"),
    ])
    func aBadFileIsOneClearError(_ bad: BadFile) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-keylog-\(bad.name)-\(getpid()).txt").path
        if let contents = bad.contents { _ = FileManager.default.createFile(atPath: path, contents: Data(contents)) }
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try TLSKeyLog.load(path: path)
            Issue.record("loaded a bad key log")
        } catch {
            #expect(error.description.contains(bad.message), "\(error.description)")
            #expect(!error.description.contains("\n"))
        }
    }
}
