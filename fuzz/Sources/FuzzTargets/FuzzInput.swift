/// Reads structured choices (numbers, slices) out of a fuzzer's byte string, so that one input
/// drives several decisions; running out of bytes yields zeros and empty slices, never a trap.
public struct FuzzInput {
    public let bytes: [UInt8]
    public private(set) var offset = 0

    public init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        bytes = Array(UnsafeBufferPointer(start: data, count: size))
    }

    public var isAtEnd: Bool { offset >= bytes.count }
    public var remainingCount: Int { bytes.count - offset }

    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func uint16() -> UInt16 { UInt16(byte()) << 8 | UInt16(byte()) }

    public mutating func uint32() -> UInt32 { UInt32(uint16()) << 16 | UInt32(uint16()) }

    /// Up to `count` bytes (fewer at the end of the input).
    public mutating func take(_ count: Int) -> ArraySlice<UInt8> {
        let end = min(bytes.count, offset + max(0, count))
        defer { offset = end }
        return bytes[offset..<end]
    }

    public mutating func rest() -> ArraySlice<UInt8> { take(remainingCount) }

    /// The bytes up to `separator` (or the end), skipping the separator.
    public mutating func take(until separator: UInt8) -> ArraySlice<UInt8> {
        let end = bytes[offset...].firstIndex(of: separator) ?? bytes.count
        defer { offset = min(bytes.count, end + 1) }
        return bytes[offset..<end]
    }
}
