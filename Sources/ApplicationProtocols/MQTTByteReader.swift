/// Bounds-checked reads of MQTT's data types (MQTT 3.1.1 §1.5, MQTT 5 §1.5): every read fails
/// with a reason instead of trapping on a short or hostile packet.
struct MQTTByteReader {
    let bytes: ArraySlice<UInt8>
    var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    var remaining: Int { bytes.endIndex - index }
    var isAtEnd: Bool { index >= bytes.endIndex }
    var rest: ArraySlice<UInt8> { bytes[index...] }

    mutating func byte(_ what: String) throws(ParseFailure) -> UInt8 {
        guard index < bytes.endIndex else { throw ParseFailure("\(what) missing") }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func uint16(_ what: String) throws(ParseFailure) -> UInt16 {
        guard remaining >= 2 else { throw ParseFailure("\(what) missing") }
        defer { index += 2 }
        return UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
    }

    mutating func uint32(_ what: String) throws(ParseFailure) -> UInt32 {
        guard remaining >= 4 else { throw ParseFailure("\(what) missing") }
        defer { index += 4 }
        return (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[index + $1]) }
    }

    /// A Variable Byte Integer: at most four bytes (a fifth continuation bit is malformed).
    mutating func varint(_ what: String) throws(ParseFailure) -> Int {
        switch MQTTByteReader.varint(bytes, at: index) {
        case .value(let value, let length):
            index += length
            return value
        case .needMore: throw ParseFailure("\(what) cut short")
        case .malformed: throw ParseFailure("\(what) longer than four bytes")
        }
    }

    mutating func binary(_ what: String) throws(ParseFailure) -> ArraySlice<UInt8> {
        let length = Int(try uint16("\(what) length"))
        guard remaining >= length else { throw ParseFailure("\(what) of \(length) bytes beyond the packet") }
        defer { index += length }
        return bytes[index..<index + length]
    }

    mutating func string(_ what: String) throws(ParseFailure) -> String {
        let raw = try binary(what)
        guard let text = String(validating: raw, as: UTF8.self) else { throw ParseFailure("\(what) is not UTF-8") }
        return text
    }

    enum VarintOutcome: Equatable {
        case value(Int, length: Int)
        case needMore
        case malformed
    }

    /// Reads a Variable Byte Integer at `start` without consuming (for the fixed header).
    static func varint(_ bytes: ArraySlice<UInt8>, at start: Int) -> VarintOutcome {
        var value = 0
        var multiplier = 1
        for offset in 0..<4 {
            guard start + offset < bytes.endIndex else { return .needMore }
            let byte = bytes[start + offset]
            value += Int(byte & 0x7f) * multiplier
            if byte & 0x80 == 0 { return .value(value, length: offset + 1) }
            multiplier *= 128
        }
        return .malformed
    }
}
