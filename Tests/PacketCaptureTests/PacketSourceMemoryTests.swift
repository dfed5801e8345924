import Foundation
import PacketCapture
import PacketDecoding
import Testing

/// `PacketSource.openCapture(bytes:)` (what the fuzz targets read through) must read a capture
/// exactly as `openFile` reads the same bytes from disk, errors included.
struct PacketSourceMemoryTests {
    static let captures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("captures")

    /// Every packet of a source: time, lengths and bytes, and the error that ended it, if any.
    static func packets(_ source: PacketSource) -> (packets: [String], error: CaptureError?) {
        var packets: [String] = []
        do {
            while let packet = try source.nextPacket() {
                packets.append("\(packet.timestamp) \(packet.capturedLength)/\(packet.originalLength) \(Array(packet.bytes).hashValue)")
            }
        } catch {
            return (packets, error)
        }
        return (packets, nil)
    }

    static func fromMemory(_ bytes: [UInt8]) throws -> PacketSource {
        try bytes.withUnsafeBytes { try PacketSource.openCapture(bytes: $0) }
    }

    @Test(arguments: ["plain.pcap", "pcapng.pcapng", "any-sll2.pcap", "ipv6.pcap"])
    func readsACaptureAsTheFileReaderDoes(name: String) throws {
        let path = Self.captures.appendingPathComponent(name).path
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let fromFile = try PacketSource.openFile(path)
        let fromMemory = try Self.fromMemory(bytes)
        #expect(fromMemory.linkType == fromFile.linkType)
        #expect(fromMemory.snapshotLength == fromFile.snapshotLength)
        let expected = Self.packets(fromFile)
        let actual = Self.packets(fromMemory)
        #expect(!expected.packets.isEmpty)
        #expect(actual.packets == expected.packets)
        #expect(actual.error == nil && expected.error == nil)
    }

    /// A capture cut inside a record ends with the same truncation error, after the same packets.
    @Test func aCutCaptureEndsAsTheFileDoes() throws {
        let path = Self.captures.appendingPathComponent("plain.pcap").path
        let bytes = Array([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))).prefix(1000))
        let cutFile = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-cut-\(UUID().uuidString).pcap")
        try Data(bytes).write(to: cutFile)
        defer { try? FileManager.default.removeItem(at: cutFile) }
        let expected = Self.packets(try PacketSource.openFile(cutFile.path))
        let actual = Self.packets(try Self.fromMemory(bytes))
        #expect(actual.packets == expected.packets)
        guard case .truncatedFile = actual.error else {
            Issue.record("expected a truncated-file error, got \(String(describing: actual.error))")
            return
        }
    }

    /// No bytes, or bytes that are no capture, are refused as a file would be: `cannotOpen`.
    @Test(arguments: [[UInt8](), [UInt8](repeating: 0x41, count: 100)])
    func refusesWhatIsNoCapture(bytes: [UInt8]) {
        #expect {
            _ = try Self.fromMemory(bytes)
        } throws: { error in
            guard case .cannotOpen(let path, _)? = error as? CaptureError else { return false }
            return path == "capture in memory"
        }
    }
}
