/// IPv4, IPv6 and TCP decoding, shared by every link layer.
extension PacketView {
    /// IPv6 packets rarely carry more than two or three extension headers; a long chain is crafted.
    static let maxIPv6ExtensionHeaders = 16

    /// Decodes an IPv4 header at `offset` and, for TCP, the segment inside it.
    ///
    /// The total length trims Ethernet padding off short frames; a total length of zero (segmentation
    /// offload on the capturing host) means "as long as the frame".
    func decodeIPv4(at offset: Int) -> PacketDecodeOutcome {
        let available = bytes.count &- offset
        guard offset >= 0, available >= 20, let versionAndLength = bytes.byte(at: offset) else {
            return .malformed("IPv4 header truncated")
        }
        guard versionAndLength >> 4 == 4 else { return .malformed("IP version \(versionAndLength >> 4) where IPv4 was expected") }
        let headerLength = Int(versionAndLength & 0x0f) &* 4
        guard headerLength >= 20 else { return .malformed("IPv4 header length \(headerLength) is below 20") }
        guard headerLength <= available else { return .malformed("IPv4 options truncated") }
        guard let totalLengthField = bytes.bigEndianUInt16(at: offset &+ 2),
              let fragmentField = bytes.bigEndianUInt16(at: offset &+ 6),
              let protocolNumber = bytes.byte(at: offset &+ 9),
              let source = bytes.bigEndianUInt32(at: offset &+ 12),
              let destination = bytes.bigEndianUInt32(at: offset &+ 16)
        else { return .malformed("IPv4 header truncated") }

        let wireLength = originalLength &- offset
        let totalLength = totalLengthField == 0 ? wireLength : Int(totalLengthField)
        guard totalLength >= headerLength else {
            return .malformed("IPv4 total length \(totalLength) is shorter than its header (\(headerLength))")
        }
        guard totalLength <= wireLength else {
            return .malformed("IPv4 total length \(totalLength) is longer than the packet (\(wireLength))")
        }
        // Fragment offset non-zero: a later piece; More Fragments set: a first piece of several.
        if fragmentField & 0x3FFF != 0 { return .fragment }
        guard protocolNumber == 6 else { return .notTCP }

        let capturedLength = min(totalLength, available)
        return decodeTCP(
            at: offset &+ headerLength, end: offset &+ capturedLength, missingBytes: totalLength &- capturedLength,
            source: .v4(source), destination: .v4(destination)
        )
    }

    /// Decodes an IPv6 header at `offset`, walks its extension headers, and decodes TCP inside.
    func decodeIPv6(at offset: Int) -> PacketDecodeOutcome {
        let available = bytes.count &- offset
        guard offset >= 0, available >= 40, let versionByte = bytes.byte(at: offset) else {
            return .malformed("IPv6 header truncated")
        }
        guard versionByte >> 4 == 6 else { return .malformed("IP version \(versionByte >> 4) where IPv6 was expected") }
        guard let payloadLengthField = bytes.bigEndianUInt16(at: offset &+ 4),
              let firstNextHeader = bytes.byte(at: offset &+ 6),
              let sourceHigh = bytes.bigEndianUInt64(at: offset &+ 8),
              let sourceLow = bytes.bigEndianUInt64(at: offset &+ 16),
              let destinationHigh = bytes.bigEndianUInt64(at: offset &+ 24),
              let destinationLow = bytes.bigEndianUInt64(at: offset &+ 32)
        else { return .malformed("IPv6 header truncated") }

        let wireLength = originalLength &- offset
        // Zero: a jumbogram or segmentation offload on the capturing host; the frame says how long.
        let totalLength = payloadLengthField == 0 ? wireLength : 40 &+ Int(payloadLengthField)
        guard totalLength <= wireLength else {
            return .malformed("IPv6 payload length \(totalLength &- 40) is longer than the packet (\(wireLength &- 40))")
        }
        let capturedLength = min(totalLength, available)
        let end = offset &+ capturedLength

        var nextHeader = firstNextHeader
        var cursor = offset &+ 40
        for _ in 0...Self.maxIPv6ExtensionHeaders {
            switch nextHeader {
            case 6:
                return decodeTCP(
                    at: cursor, end: end, missingBytes: totalLength &- capturedLength,
                    source: .v6(high: sourceHigh, low: sourceLow),
                    destination: .v6(high: destinationHigh, low: destinationLow)
                )
            case 0, 43, 60, 51:
                // Hop-by-hop, routing, destination options: (length + 1) × 8 bytes;
                // authentication header: (length + 2) × 4 bytes.
                guard cursor &+ 2 <= end, let following = bytes.byte(at: cursor), let lengthField = bytes.byte(at: cursor &+ 1) else {
                    return .malformed("IPv6 extension header \(nextHeader) truncated")
                }
                let length = nextHeader == 51 ? (Int(lengthField) &+ 2) &* 4 : (Int(lengthField) &+ 1) &* 8
                guard cursor &+ length <= end else { return .malformed("IPv6 extension header \(nextHeader) truncated") }
                nextHeader = following
                cursor = cursor &+ length
            case 44:
                guard cursor &+ 8 <= end, let following = bytes.byte(at: cursor),
                      let fragmentField = bytes.bigEndianUInt16(at: cursor &+ 2)
                else { return .malformed("IPv6 fragment header truncated") }
                // An "atomic" fragment (offset 0, no more fragments) is a whole packet.
                if fragmentField & 0xFFF9 != 0 { return .fragment }
                nextHeader = following
                cursor = cursor &+ 8
            default:
                return .notTCP
            }
        }
        return .malformed("more than \(Self.maxIPv6ExtensionHeaders) IPv6 extension headers")
    }

    /// Decodes the TCP header at `offset`; `end` is where the captured part of the IP packet ends and
    /// `missingBytes` how much of the IP packet the snapshot length cut off (all of it TCP payload, if
    /// the header itself was captured).
    func decodeTCP(at offset: Int, end: Int, missingBytes: Int, source: IPAddress, destination: IPAddress) -> PacketDecodeOutcome {
        guard offset >= 0, end &- offset >= 20, end <= bytes.count,
              let sourcePort = bytes.bigEndianUInt16(at: offset),
              let destinationPort = bytes.bigEndianUInt16(at: offset &+ 2),
              let sequenceNumber = bytes.bigEndianUInt32(at: offset &+ 4),
              let acknowledgmentNumber = bytes.bigEndianUInt32(at: offset &+ 8),
              let dataOffsetByte = bytes.byte(at: offset &+ 12),
              let flagsByte = bytes.byte(at: offset &+ 13)
        else {
            return .malformed(missingBytes > 0 ? "TCP header cut by the snapshot length" : "TCP header truncated")
        }
        let headerLength = Int(dataOffsetByte >> 4) &* 4
        guard headerLength >= 20 else { return .malformed("TCP data offset \(headerLength) is below 20") }
        guard offset &+ headerLength <= end else {
            return .malformed(missingBytes > 0 ? "TCP options cut by the snapshot length" : "TCP header longer than its packet")
        }
        let payloadStart = offset &+ headerLength
        let payload = payloadStart < end ? Array(UnsafeRawBufferPointer(rebasing: bytes[payloadStart..<end])) : []
        return .tcp(TCPSegment(
            timestamp: timestamp,
            source: Endpoint(address: source, port: sourcePort),
            destination: Endpoint(address: destination, port: destinationPort),
            sequenceNumber: sequenceNumber,
            acknowledgmentNumber: acknowledgmentNumber,
            flags: TCPFlags(rawValue: flagsByte & 0x3F),
            payload: payload,
            missingPayloadBytes: missingBytes
        ))
    }
}
