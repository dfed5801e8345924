/// An IPv4 or IPv6 address as it appeared in a packet header.
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// Four bytes in network order, packed big-endian into a `UInt32`.
    case v4(UInt32)
    /// Sixteen bytes in network order, as two big-endian halves.
    case v6(high: UInt64, low: UInt64)

    /// Builds an IPv4 address from its four bytes in network order.
    public init(v4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self = .v4(UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d))
    }

    /// Builds an IPv6 address from exactly 16 bytes in network order.
    public init?(v6Bytes bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self = .v6(high: high, low: low)
    }

    public var isIPv6: Bool {
        if case .v6 = self { return true }
        return false
    }

    /// Dotted quad for IPv4; RFC 5952 text (lower case, longest zero run compressed) for IPv6.
    public var description: String {
        switch self {
        case .v4(let value):
            return "\(value >> 24).\((value >> 16) & 0xff).\((value >> 8) & 0xff).\(value & 0xff)"
        case .v6(let high, let low):
            var groups = [UInt16]()
            groups.reserveCapacity(8)
            for shift in stride(from: 48, through: 0, by: -16) { groups.append(UInt16(truncatingIfNeeded: high >> UInt64(shift))) }
            for shift in stride(from: 48, through: 0, by: -16) { groups.append(UInt16(truncatingIfNeeded: low >> UInt64(shift))) }
            // Longest run of two or more zero groups, first one wins on ties (RFC 5952 §4.2).
            var bestStart = -1, bestLength = 0, runStart = -1
            for index in 0...8 {
                if index < 8 && groups[index] == 0 {
                    if runStart < 0 { runStart = index }
                } else if runStart >= 0 {
                    let length = index - runStart
                    if length > bestLength && length >= 2 { bestStart = runStart; bestLength = length }
                    runStart = -1
                }
            }
            func hex(_ group: UInt16) -> String { String(group, radix: 16) }
            if bestStart < 0 { return groups.map(hex).joined(separator: ":") }
            let head = groups[..<bestStart].map(hex).joined(separator: ":")
            let tail = groups[(bestStart + bestLength)...].map(hex).joined(separator: ":")
            return head + "::" + tail
        }
    }
}
