/// A cursor over untrusted handshake bytes: every read checks the bounds and fails with nil
/// instead of trapping, so a hostile or cut hello can only be reported, never crash the reader.
struct TLSByteReader {
    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    var remaining: Int { bytes.endIndex - position }
    var isAtEnd: Bool { position >= bytes.endIndex }

    mutating func readUInt8() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readUInt16() -> UInt16? {
        guard remaining >= 2 else { return nil }
        defer { position += 2 }
        return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    mutating func readUInt24() -> Int? {
        guard remaining >= 3 else { return nil }
        defer { position += 3 }
        return Int(bytes[position]) << 16 | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2])
    }

    mutating func readBytes(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, remaining >= count else { return nil }
        defer { position += count }
        return bytes[position..<position + count]
    }

    /// A vector with a one-byte length prefix (`opaque x<0..255>`).
    mutating func readVector8() -> ArraySlice<UInt8>? {
        guard let length = readUInt8() else { return nil }
        return readBytes(Int(length))
    }

    /// A vector with a two-byte length prefix (`opaque x<0..2^16-1>`).
    mutating func readVector16() -> ArraySlice<UInt8>? {
        guard let length = readUInt16() else { return nil }
        return readBytes(Int(length))
    }
}
