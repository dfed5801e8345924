import Foundation
import PacketCapture
import PacketDecoding
import TestSupport
import Testing

/// Writes small capture files byte by byte, so that reading them needs no fixture and no privileges.
enum CaptureFileBuilder {
    static func littleEndian32(_ value: UInt32) -> [UInt8] { FrameBuilder.littleEndian32(value) }
    static func littleEndian16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8)] }

    /// A classic pcap global header; the nanosecond magic makes the fraction field nanoseconds.
    static func globalHeader(nanosecond: Bool = false, linkType: UInt32 = 1, snapshotLength: UInt32 = 65_535) -> [UInt8] {
        littleEndian32(nanosecond ? 0xA1B2_3C4D : 0xA1B2_C3D4) + littleEndian16(2) + littleEndian16(4)
            + littleEndian32(0) + littleEndian32(0) + littleEndian32(snapshotLength) + littleEndian32(linkType)
    }

    static func record(seconds: UInt32, fraction: UInt32, packet: [UInt8], originalLength: Int? = nil) -> [UInt8] {
        littleEndian32(seconds) + littleEndian32(fraction) + littleEndian32(UInt32(packet.count))
            + littleEndian32(UInt32(originalLength ?? packet.count)) + packet
    }

    static let tcpFrame = FrameBuilder.ethernet(etherType: 0x0800, payload: FrameBuilder.ipv4())
    static let arpFrame = FrameBuilder.ethernet(etherType: 0x0806, payload: Array(repeating: 0, count: 28))

    static func twoPacketCapture(nanosecond: Bool = false) -> [UInt8] {
        globalHeader(nanosecond: nanosecond)
            + record(seconds: 1_700_000_000, fraction: 123_456, packet: tcpFrame)
            + record(seconds: 1_700_000_001, fraction: 5, packet: arpFrame)
    }

    /// Writes `bytes` to a fresh file in the temporary directory and returns its path.
    static func write(_ bytes: [UInt8], name: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }
}

/// Reads every packet of a source, returning the decode outcomes and the error that ended it, if any.
func readAll(_ source: PacketSource) -> (outcomes: [PacketDecodeOutcome], timestamps: [Timestamp], error: CaptureError?) {
    guard let decoder = PacketDecoder(linkType: source.linkType) else { return ([], [], nil) }
    var outcomes: [PacketDecodeOutcome] = []
    var timestamps: [Timestamp] = []
    do {
        while let packet = try source.nextPacket() {
            outcomes.append(decoder.decode(packet.bytes, originalLength: packet.originalLength, timestamp: packet.timestamp))
            timestamps.append(packet.timestamp)
        }
    } catch {
        return (outcomes, timestamps, error)
    }
    return (outcomes, timestamps, nil)
}

struct PacketSourceTests {
    @Test func readsAHandWrittenPcapFile() throws {
        let path = try CaptureFileBuilder.write(CaptureFileBuilder.twoPacketCapture(), name: "two.pcap")
        let source = try PacketSource.openFile(path)
        #expect(source.linkType == .ethernet)
        #expect(source.snapshotLength == 65_535)
        let result = readAll(source)
        #expect(result.error == nil)
        #expect(result.outcomes.count == 2)
        #expect(result.outcomes.first?.segment?.payload == Array("hi".utf8))
        #expect(result.outcomes.last?.isNotTCP == true)
        // Microsecond files are scaled to nanoseconds.
        #expect(result.timestamps.first == Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_000))
    }

    @Test func keepsNanosecondTimestamps() throws {
        let path = try CaptureFileBuilder.write(CaptureFileBuilder.twoPacketCapture(nanosecond: true), name: "nano.pcap")
        let result = readAll(try PacketSource.openFile(path))
        #expect(result.timestamps == [
            Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456), Timestamp(seconds: 1_700_000_001, nanoseconds: 5),
        ])
    }

    @Test func reportsTheOriginalLengthOfACutPacket() throws {
        let frame = CaptureFileBuilder.tcpFrame
        let bytes = CaptureFileBuilder.globalHeader(snapshotLength: UInt32(frame.count - 1))
            + CaptureFileBuilder.record(seconds: 1, fraction: 0, packet: Array(frame.dropLast()), originalLength: frame.count)
        let source = try PacketSource.openFile(try CaptureFileBuilder.write(bytes, name: "cut.pcap"))
        let result = readAll(source)
        #expect(result.outcomes.first?.segment?.missingPayloadBytes == 1)
    }

    @Test(arguments: [
        ("empty", [UInt8]()),
        ("random bytes", (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }),
        ("text", Array("GET / HTTP/1.1\r\nHost: example\r\n\r\n".utf8)),
        ("header cut short", Array(CaptureFileBuilder.globalHeader().prefix(10))),
    ])
    func unreadableFilesCannotBeOpened(_ label: String, bytes: [UInt8]) throws {
        let path = try CaptureFileBuilder.write(bytes, name: "\(label).pcap")
        do {
            _ = try PacketSource.openFile(path)
            Issue.record("opened \(label)")
        } catch {
            guard case .cannotOpen(let reportedPath, let message) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(reportedPath == path)
            #expect(!message.isEmpty)
            #expect(error.description.hasPrefix("cannot open '\(path)': "))
        }
    }

    @Test func missingFileCannotBeOpened() {
        #expect(throws: CaptureError.self) { try PacketSource.openFile("/nonexistent/wstap/none.pcap") }
    }

    @Test(arguments: [10, 20, 40])
    func fileCutMidRecordIsTruncatedAfterTheCompletePackets(bytesOfSecondRecord: Int) throws {
        let whole = CaptureFileBuilder.twoPacketCapture()
        let firstRecordEnd = 24 + 16 + CaptureFileBuilder.tcpFrame.count
        let cut = Array(whole.prefix(firstRecordEnd + bytesOfSecondRecord))
        let result = readAll(try PacketSource.openFile(try CaptureFileBuilder.write(cut, name: "cut.pcap")))
        #expect(result.outcomes.count == 1)
        guard case .truncatedFile(let message) = result.error else {
            Issue.record("expected truncatedFile, got \(String(describing: result.error))")
            return
        }
        #expect(message.contains("truncated"))
    }

    @Test func filterKeepsOnlyMatchingPackets() throws {
        let source = try PacketSource.openFile(try CaptureFileBuilder.write(CaptureFileBuilder.twoPacketCapture(), name: "f.pcap"))
        try source.setFilter("tcp port 80")
        let result = readAll(source)
        #expect(result.outcomes.count == 1)
        #expect(result.outcomes.first?.segment != nil)
    }

    @Test(arguments: ["tcp port banana", "(((", "host 999.1.1.1.1"])
    func badFilterIsReported(expression: String) throws {
        let source = try PacketSource.openFile(try CaptureFileBuilder.write(CaptureFileBuilder.twoPacketCapture(), name: "b.pcap"))
        do {
            try source.setFilter(expression)
            Issue.record("accepted \(expression)")
        } catch {
            guard case .badFilter(let reported, let message) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(reported == expression)
            #expect(!message.isEmpty)
        }
    }
}
