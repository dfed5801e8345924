/// A canonical Huffman code of DEFLATE (RFC 1951 §3.2.2), built from the code length of each
/// symbol, for `UnknownHistoryInflater`.
///
/// Decoding walks the lengths from 1 to 15: canonical codes of one length are consecutive, so a
/// code read bit by bit is in range for its length or continues to the next. Slower than a lookup
/// table, but small, allocation-free per symbol and easy to check.
struct DeflateHuffmanCode {
    /// How many symbols have each code length (index 0 unused).
    private var counts = [Int](repeating: 0, count: 16)
    /// Symbols ordered by code length, then by value.
    private var symbols: [Int] = []

    /// Nil when the lengths over-subscribe the code space (no prefix code has them). An incomplete
    /// code is allowed (RFC 1951 permits a single distance code); reading an unused code fails.
    init?(lengths: ArraySlice<Int>) {
        for length in lengths {
            guard (0...15).contains(length) else { return nil }
            counts[length] += 1
        }
        counts[0] = 0
        var left = 1
        for length in 1...15 {
            left = left * 2 - counts[length]
            if left < 0 { return nil }
        }
        var offsets = [Int](repeating: 0, count: 16)
        for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
        symbols = [Int](repeating: 0, count: offsets[15] + counts[15])
        for (symbol, length) in lengths.enumerated() where length > 0 {
            symbols[offsets[length]] = symbol
            offsets[length] += 1
        }
    }

    /// The next symbol from `reader`, or nil (input ended, or a code no symbol has).
    func decode(_ reader: inout DeflateBitReader) -> Int? {
        var code = 0, first = 0, index = 0
        for length in 1...15 {
            guard let bit = reader.bits(1) else { return nil }
            code |= bit
            let count = counts[length]
            if code - first < count { return symbols[index + code - first] }
            index += count
            first = (first + count) << 1
            code <<= 1
        }
        return nil
    }

    /// The fixed literal/length code (RFC 1951 §3.2.6).
    static let fixedLiteralLength: DeflateHuffmanCode = {
        var lengths = [Int](repeating: 8, count: 288)
        for symbol in 144..<256 { lengths[symbol] = 9 }
        for symbol in 256..<280 { lengths[symbol] = 7 }
        return DeflateHuffmanCode(lengths: lengths[...])!
    }()

    /// The fixed distance code: 30 symbols of 5 bits.
    static let fixedDistance = DeflateHuffmanCode(lengths: [Int](repeating: 5, count: 30)[...])!
}

/// Reads DEFLATE's bit stream: least significant bit of each byte first; bounds-checked.
struct DeflateBitReader {
    private let bytes: [UInt8]
    private var position = 0
    private var bitBuffer = 0
    private var bitCount = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Whether every input byte was consumed (bits left over in the last byte do not count).
    var isAtEnd: Bool { position >= bytes.count }

    /// The next `count` bits (≤ 16), first bit in the lowest place; nil at the end of the input.
    mutating func bits(_ count: Int) -> Int? {
        while bitCount < count {
            guard position < bytes.count else { return nil }
            bitBuffer |= Int(bytes[position]) << bitCount
            position += 1
            bitCount += 8
        }
        let value = bitBuffer & ((1 << count) - 1)
        bitBuffer >>= count
        bitCount -= count
        return value
    }

    /// Drops the bits left in the current byte (stored blocks start on a byte boundary).
    mutating func alignToByte() {
        bitBuffer = 0
        bitCount = 0
    }

    /// The next `count` whole bytes (after `alignToByte`), or nil when fewer are left.
    mutating func bytes(_ count: Int) -> ArraySlice<UInt8>? {
        guard count <= bytes.count - position else { return nil }
        defer { position += count }
        return bytes[position..<position + count]
    }
}
