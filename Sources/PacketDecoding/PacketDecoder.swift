/// Turns captured link-layer frames into TCP segments, straight from the capture buffer.
///
/// A value made once per capture from its link type: the link type cannot change within a pcap file
/// (pcapng files with several interfaces are reported by libpcap with the first one's type). Decoding
/// uses no Foundation and allocates only the payload array, so it can keep up with a busy interface.
public struct PacketDecoder: Sendable {
    /// How the link-layer header is laid out; resolved once so `decode` is a single switch.
    enum LinkLayer: Sendable {
        case ethernet
        case linuxSLL
        case linuxSLL2
        /// BSD loopback: the address family is in the capturing host's byte order, unknown to us.
        case null
        /// OpenBSD loopback: the address family is in network byte order.
        case loop
        /// No link header: the IP version nibble says which.
        case rawIP
        case ipv4Only
        case ipv6Only
    }

    let linkLayer: LinkLayer

    /// Nil for link types wstap does not decode; the caller names the type in its error message.
    public init?(linkType: LinkType) {
        switch linkType {
        case .ethernet: linkLayer = .ethernet
        case .linuxSLL: linkLayer = .linuxSLL
        case .linuxSLL2: linkLayer = .linuxSLL2
        case .null: linkLayer = .null
        case .loop: linkLayer = .loop
        case .rawDLT12, .rawDLT14, .raw: linkLayer = .rawIP
        case .ipv4: linkLayer = .ipv4Only
        case .ipv6: linkLayer = .ipv6Only
        default: return nil
        }
    }

    /// Decodes one captured packet.
    ///
    /// - Parameters:
    ///   - bytes: the captured bytes (possibly cut by the snapshot length).
    ///   - originalLength: the packet's length on the wire, so that a snapshot-length cut is reported
    ///     as missing payload rather than mistaken for a short packet.
    ///   - timestamp: copied into the segment.
    public func decode(_ bytes: UnsafeRawBufferPointer, originalLength: Int, timestamp: Timestamp) -> PacketDecodeOutcome {
        let packet = PacketView(bytes: bytes, originalLength: max(originalLength, bytes.count), timestamp: timestamp)
        switch linkLayer {
        case .ethernet:
            guard let etherType = bytes.bigEndianUInt16(at: 12) else { return .malformed("Ethernet header truncated") }
            return packet.decodeEtherType(etherType, at: 14)
        case .linuxSLL:
            guard let protocolType = bytes.bigEndianUInt16(at: 14) else { return .malformed("Linux SLL header truncated") }
            return packet.decodeEtherType(protocolType, at: 16)
        case .linuxSLL2:
            guard let protocolType = bytes.bigEndianUInt16(at: 0), bytes.count >= 20 else {
                return .malformed("Linux SLL2 header truncated")
            }
            return packet.decodeEtherType(protocolType, at: 20)
        case .null:
            guard let family = bytes.bigEndianUInt32(at: 0) else { return .malformed("loopback header truncated") }
            // The capturing host wrote the family in its own byte order: accept either.
            return packet.decodeAddressFamily(family, alternative: family.byteSwapped, at: 4)
        case .loop:
            guard let family = bytes.bigEndianUInt32(at: 0) else { return .malformed("loopback header truncated") }
            return packet.decodeAddressFamily(family, alternative: family, at: 4)
        case .rawIP:
            guard let first = bytes.byte(at: 0) else { return .malformed("IP header truncated") }
            switch first >> 4 {
            case 4: return packet.decodeIPv4(at: 0)
            case 6: return packet.decodeIPv6(at: 0)
            default: return .malformed("IP version \(first >> 4) in a raw IP capture")
            }
        case .ipv4Only:
            return packet.decodeIPv4(at: 0)
        case .ipv6Only:
            return packet.decodeIPv6(at: 0)
        }
    }
}

/// One packet being decoded: the buffer plus what the layers below TCP need to share.
struct PacketView {
    let bytes: UnsafeRawBufferPointer
    /// Never less than `bytes.count`, so `originalLength - offset` is never below what was captured.
    let originalLength: Int
    let timestamp: Timestamp

    /// Most VLAN stacks have one or two tags; a long chain of tags is a crafted packet, not a network.
    static let maxVLANTags = 8

    static let etherTypeIPv4: UInt16 = 0x0800
    static let etherTypeIPv6: UInt16 = 0x86DD

    /// Follows 802.1Q / 802.1ad (QinQ) tags, possibly stacked, to the IP header.
    func decodeEtherType(_ firstType: UInt16, at firstOffset: Int) -> PacketDecodeOutcome {
        var etherType = firstType
        var offset = firstOffset
        var tags = 0
        // 0x8100 is 802.1Q, 0x88A8 802.1ad (QinQ), 0x9100 the pre-standard QinQ tag still in use.
        while etherType == 0x8100 || etherType == 0x88A8 || etherType == 0x9100 {
            tags += 1
            guard tags <= Self.maxVLANTags else { return .malformed("more than \(Self.maxVLANTags) VLAN tags") }
            guard let inner = bytes.bigEndianUInt16(at: offset &+ 2) else { return .malformed("VLAN tag truncated") }
            etherType = inner
            offset += 4
        }
        switch etherType {
        case Self.etherTypeIPv4: return decodeIPv4(at: offset)
        case Self.etherTypeIPv6: return decodeIPv6(at: offset)
        default: return .notTCP
        }
    }

    static func isIPv4Family(_ family: UInt32) -> Bool { family == 2 }
    static func isIPv6Family(_ family: UInt32) -> Bool { family == 10 || family == 24 || family == 28 || family == 30 }

    /// BSD address families: AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (OpenBSD, NetBSD),
    /// 28 (FreeBSD), 30 (macOS).
    func decodeAddressFamily(_ family: UInt32, alternative: UInt32, at offset: Int) -> PacketDecodeOutcome {
        if Self.isIPv4Family(family) || Self.isIPv4Family(alternative) { return decodeIPv4(at: offset) }
        if Self.isIPv6Family(family) || Self.isIPv6Family(alternative) { return decodeIPv6(at: offset) }
        return .notTCP
    }
}
