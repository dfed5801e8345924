import PacketCapture
import PacketDecoding

/// Writes TCP segments back as a classic pcap file (Ethernet, IPv4 or IPv6, nanosecond
/// timestamps), so that segments rewritten in memory (`SegmentMangling`) can be read by `wstap`.
///
/// Only what `PacketDecoder` reads is kept: addresses, ports, sequence and acknowledgment numbers,
/// flags, payload, time. Checksums are zero, as in captures taken on a checksum-offloading NIC.
public enum SegmentCapture {
    /// The TCP segments of a capture file, in file order (packets that are not TCP are left out).
    public static func segments(ofFile path: String) throws -> [TCPSegment] {
        let source = try PacketSource.openFile(path)
        guard let decoder = PacketDecoder(linkType: source.linkType) else { throw UnknownLinkType(path: path) }
        var segments: [TCPSegment] = []
        while let packet = try source.nextPacket() {
            if case .tcp(let segment) = decoder.decode(packet.bytes, originalLength: packet.originalLength, timestamp: packet.timestamp) {
                segments.append(segment)
            }
        }
        return segments
    }

    public struct UnknownLinkType: Error, CustomStringConvertible {
        public var path: String
        public var description: String { "\(path): a link type PacketDecoder does not know" }
    }

    public static func pcap(_ segments: [TCPSegment]) -> [UInt8] {
        var file: [UInt8] = []
        file += FrameBuilder.littleEndian32(0xA1B2_3C4D)  // nanosecond timestamps
        file += [2, 0, 4, 0]  // version 2.4
        file += [UInt8](repeating: 0, count: 8)  // time zone, accuracy
        file += FrameBuilder.littleEndian32(262_144)  // snapshot length
        file += FrameBuilder.littleEndian32(1)  // Ethernet
        for segment in segments {
            let frame = self.frame(segment)
            file += FrameBuilder.littleEndian32(UInt32(truncatingIfNeeded: segment.timestamp.seconds))
            file += FrameBuilder.littleEndian32(segment.timestamp.nanoseconds)
            file += FrameBuilder.littleEndian32(UInt32(frame.count))
            file += FrameBuilder.littleEndian32(UInt32(frame.count + segment.missingPayloadBytes))
            file += frame
        }
        return file
    }

    /// One Ethernet frame carrying `segment`; the IP length counts the bytes the capture lost too.
    static func frame(_ segment: TCPSegment) -> [UInt8] {
        let tcp = FrameBuilder.bigEndian16(segment.source.port) + FrameBuilder.bigEndian16(segment.destination.port)
            + FrameBuilder.bigEndian32(segment.sequenceNumber) + FrameBuilder.bigEndian32(segment.acknowledgmentNumber)
            + [5 << 4, segment.flags.rawValue] + FrameBuilder.bigEndian16(65_535) + [0, 0, 0, 0] + segment.payload
        let tcpLength = tcp.count + segment.missingPayloadBytes
        switch (segment.source.address, segment.destination.address) {
        case (.v4(let source), .v4(let destination)):
            let ip = [0x45, 0] + FrameBuilder.bigEndian16(UInt16(20 + tcpLength)) + [0, 1, 0x40, 0, 64, 6, 0, 0]
                + FrameBuilder.bigEndian32(source) + FrameBuilder.bigEndian32(destination)
            return FrameBuilder.ethernet(etherType: 0x0800, payload: ip + tcp)
        case (.v6(let sourceHigh, let sourceLow), .v6(let destinationHigh, let destinationLow)):
            let ip = [0x60, 0, 0, 0] + FrameBuilder.bigEndian16(UInt16(tcpLength)) + [6, 64]
                + bytes(sourceHigh) + bytes(sourceLow) + bytes(destinationHigh) + bytes(destinationLow)
            return FrameBuilder.ethernet(etherType: 0x86DD, payload: ip + tcp)
        default:
            preconditionFailure("a TCP segment between an IPv4 and an IPv6 address")
        }
    }

    private static func bytes(_ value: UInt64) -> [UInt8] {
        FrameBuilder.bigEndian32(UInt32(value >> 32)) + FrameBuilder.bigEndian32(UInt32(value & 0xFFFF_FFFF))
    }
}
