import Foundation
import PacketCapture
import PacketDecoding
import Testing

/// One packet of a real capture, as an editable value.
///
/// For captures that must come from real traffic but show a case no peer can be made to produce on
/// demand: a lost FIN before the 4-tuple is reused, one record stamped a year ahead. Only Ethernet
/// + IPv4 + TCP packets are edited (every bundled capture but `any-sll2` and `ipv6` is that).
struct EditablePacket {
    var seconds: Int64
    var nanoseconds: UInt32
    var bytes: [UInt8]
    var originalLength: Int

    /// Where the TCP header starts, for an Ethernet/IPv4 packet.
    var tcpOffset: Int? {
        guard bytes.count >= 34, bytes[12] == 0x08, bytes[13] == 0x00, bytes[23] == 6 else { return nil }
        let offset = 14 + Int(bytes[14] & 0x0F) * 4
        return bytes.count >= offset + 20 ? offset : nil
    }

    var sourcePort: UInt16 {
        get { port(at: 0) }
        set { setPort(newValue, at: 0) }
    }

    var destinationPort: UInt16 {
        get { port(at: 2) }
        set { setPort(newValue, at: 2) }
    }

    /// The TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10); 0 for a packet that is not TCP.
    var tcpFlags: UInt8 { tcpOffset.map { bytes[$0 + 13] } ?? 0 }

    /// Replaces one port of the connection with another, in whichever direction the packet goes.
    mutating func renamePort(_ old: UInt16, to new: UInt16) {
        if sourcePort == old { sourcePort = new }
        if destinationPort == old { destinationPort = new }
    }

    /// Moves the packet in time by a whole number of nanoseconds.
    mutating func shift(byNanoseconds delta: Int64) {
        let total = seconds * 1_000_000_000 + Int64(nanoseconds) + delta
        seconds = total / 1_000_000_000
        nanoseconds = UInt32(total % 1_000_000_000)
    }

    var nanosecondsSinceEpoch: Int64 { seconds * 1_000_000_000 + Int64(nanoseconds) }

    private func port(at field: Int) -> UInt16 {
        guard let offset = tcpOffset else { return 0 }
        return UInt16(bytes[offset + field]) << 8 | UInt16(bytes[offset + field + 1])
    }

    private mutating func setPort(_ value: UInt16, at field: Int) {
        guard let offset = tcpOffset else { return }
        bytes[offset + field] = UInt8(value >> 8)
        bytes[offset + field + 1] = UInt8(value & 0xFF)
    }
}

enum CaptureEditing {
    /// Every packet of a bundled Ethernet capture.
    static func packets(of name: String) throws -> [EditablePacket] {
        let source = try PacketSource.openFile(WSTapRunner.capturesFolder.appendingPathComponent(name).path)
        try #require(source.linkType == .ethernet, "\(name) is not an Ethernet capture")
        var packets: [EditablePacket] = []
        while let packet = try source.nextPacket() {
            packets.append(EditablePacket(
                seconds: packet.timestamp.seconds, nanoseconds: packet.timestamp.nanoseconds,
                bytes: Array(packet.bytes), originalLength: packet.originalLength))
        }
        return packets
    }

    /// A classic pcap file with nanosecond timestamps (magic 0xA1B23C4D), Ethernet link type.
    static func pcap(_ packets: [EditablePacket]) -> Data {
        var data = Data()
        func append32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        func append16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        append32(0xA1B2_3C4D)
        append16(2)
        append16(4)
        append32(0)
        append32(0)
        append32(262_144)
        append32(1)
        for packet in packets {
            append32(UInt32(truncatingIfNeeded: packet.seconds))
            append32(packet.nanoseconds)
            append32(UInt32(packet.bytes.count))
            append32(UInt32(packet.originalLength))
            data.append(contentsOf: packet.bytes)
        }
        return data
    }

    /// Writes packets to a temporary capture file.
    static func write(_ name: String, _ packets: [EditablePacket]) throws -> URL {
        try BadInputTests.temporaryFile(name, pcap(packets))
    }

    /// `from opcode text-or-data` for each message of one connection in `read --format jsonl` output:
    /// what must not change when the same traffic is cut, shifted or renumbered.
    static func messages(_ events: [[String: Any]], connection: Int) -> [String] {
        events.filter { $0["event"] as? String == "message" && $0["conn"] as? Int == connection }.map { event in
            let payload = (event["text"] as? String).map { "text \($0)" } ?? (event["data"] as? String).map { "data \($0)" } ?? "none"
            return "\(event["from"] ?? "?") \(event["opcode"] ?? "?") \(payload)"
        }
    }
}
