/// Bounds-checked big-endian reads from a captured packet.
///
/// Every read returns nil instead of trapping when it would run past the end, because every length and
/// offset in a captured packet is attacker-controlled.
extension UnsafeRawBufferPointer {
    @inline(__always)
    func byte(at offset: Int) -> UInt8? {
        guard offset >= 0, offset < count else { return nil }
        return self[offset]
    }

    @inline(__always)
    func bigEndianUInt16(at offset: Int) -> UInt16? {
        guard offset >= 0, offset <= count &- 2 else { return nil }
        return UInt16(self[offset]) << 8 | UInt16(self[offset &+ 1])
    }

    @inline(__always)
    func bigEndianUInt32(at offset: Int) -> UInt32? {
        guard offset >= 0, offset <= count &- 4 else { return nil }
        return UInt32(self[offset]) << 24 | UInt32(self[offset &+ 1]) << 16
            | UInt32(self[offset &+ 2]) << 8 | UInt32(self[offset &+ 3])
    }

    @inline(__always)
    func bigEndianUInt64(at offset: Int) -> UInt64? {
        guard let high = bigEndianUInt32(at: offset), let low = bigEndianUInt32(at: offset &+ 4) else { return nil }
        return UInt64(high) << 32 | UInt64(low)
    }
}
