import PacketDecoding

/// Builds packets byte by byte, the way they appear on the wire, for decoder tests.
public enum FrameBuilder {
    public static func bigEndian16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
    public static func bigEndian32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }
    public static func littleEndian32(_ value: UInt32) -> [UInt8] { bigEndian32(value).reversed() }

    public static func tcp(
        sourcePort: UInt16 = 50_000, destinationPort: UInt16 = 80, sequence: UInt32 = 1001, acknowledgment: UInt32 = 5001,
        flags: UInt8 = 0x18, options: [UInt8] = [], payload: [UInt8] = Array("hi".utf8)
    ) -> [UInt8] {
        let headerWords = UInt8((20 + options.count) / 4)
        return bigEndian16(sourcePort) + bigEndian16(destinationPort) + bigEndian32(sequence) + bigEndian32(acknowledgment)
            + [headerWords << 4, flags] + bigEndian16(65_535) + [0, 0, 0, 0] + options + payload
    }

    public static let ipv4Source: [UInt8] = [10, 0, 0, 1]
    public static let ipv4Destination: [UInt8] = [10, 0, 0, 2]

    public static func ipv4(
        protocolNumber: UInt8 = 6, fragmentField: UInt16 = 0x4000, totalLength: UInt16? = nil, options: [UInt8] = [],
        payload: [UInt8] = tcp()
    ) -> [UInt8] {
        let headerLength = 20 + options.count
        let length = totalLength ?? UInt16(headerLength + payload.count)
        return [0x40 | UInt8(headerLength / 4), 0] + bigEndian16(length) + [0, 1] + bigEndian16(fragmentField)
            + [64, protocolNumber, 0, 0] + ipv4Source + ipv4Destination + options + payload
    }

    public static let ipv6Source: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]
    public static let ipv6Destination: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [2]

    /// `extensionHeaders` are (type, bytes after the type's next-header byte) pairs, chained in order.
    public static func ipv6(extensionHeaders: [(type: UInt8, body: [UInt8])] = [], payload: [UInt8] = tcp(), payloadLength: UInt16? = nil) -> [UInt8] {
        var chain: [UInt8] = []
        var firstNextHeader: UInt8 = 6
        for (index, header) in extensionHeaders.enumerated().reversed() {
            let next = index + 1 < extensionHeaders.count ? extensionHeaders[index + 1].type : 6
            chain = [next] + header.body + chain
        }
        if let first = extensionHeaders.first { firstNextHeader = first.type }
        let body = chain + payload
        return [0x60, 0, 0, 0] + bigEndian16(payloadLength ?? UInt16(body.count)) + [firstNextHeader, 64]
            + ipv6Source + ipv6Destination + body
    }

    /// Hop-by-hop / destination options with 8 bytes in all: length field 0 and six bytes of padding.
    public static let eightByteOptions: [UInt8] = [0, 1, 4, 0, 0, 0, 0]

    public static func ethernet(etherType: UInt16, tags: [UInt16] = [], payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
        for tag in tags { frame += bigEndian16(tag) + [0, 42] }
        return frame + bigEndian16(etherType) + payload
    }

    public static func linuxSLL(protocolType: UInt16, payload: [UInt8]) -> [UInt8] {
        [0, 0, 0, 1, 0, 6, 0, 1, 2, 3, 4, 5, 0, 0] + bigEndian16(protocolType) + payload
    }

    public static func linuxSLL2(protocolType: UInt16, payload: [UInt8]) -> [UInt8] {
        bigEndian16(protocolType) + [0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 0, 1, 2, 3, 4, 5, 0, 0] + payload
    }
}

extension PacketDecoder {
    /// Decodes a test frame; `originalLength` defaults to the frame's own length (nothing cut).
    public func decode(_ frame: [UInt8], originalLength: Int? = nil) -> PacketDecodeOutcome {
        frame.withUnsafeBytes { decode($0, originalLength: originalLength ?? frame.count, timestamp: Timestamp(seconds: 1, nanoseconds: 2)) }
    }
}

extension PacketDecodeOutcome {
    public var segment: TCPSegment? {
        if case .tcp(let segment) = self { return segment }
        return nil
    }
    public var isMalformed: Bool {
        if case .malformed = self { return true }
        return false
    }
    public var isFragment: Bool {
        if case .fragment = self { return true }
        return false
    }
    public var isNotTCP: Bool {
        if case .notTCP = self { return true }
        return false
    }
}
