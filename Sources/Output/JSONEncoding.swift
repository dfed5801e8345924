/// Minimal, fast JSON text building for event output: strings escaped per RFC 8259, numbers as
/// integers. Hand-written because Foundation's JSONSerialization allocates a dictionary per event
/// and is the slowest part of a naive JSON Lines writer.
enum JSONEncoding {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `"string"` with the needed escapes.
    static func appendString(_ string: String, to output: inout [UInt8]) {
        var string = string
        string.withUTF8 { appendEscaped($0, to: &output) }
    }

    /// Appends already valid UTF-8 bytes as a JSON string.
    static func appendStringBytes(_ bytes: some Collection<UInt8>, to output: inout [UInt8]) {
        if bytes.withContiguousStorageIfAvailable({ appendEscaped($0, to: &output) }) != nil { return }
        Array(bytes).withUnsafeBufferPointer { appendEscaped($0, to: &output) }
    }

    /// Input bytes escaped per step: the scratch space is six times this (`\u00XX` per byte).
    static let escapeChunkBytes = 1024

    /// The escaping loop. Text payloads are mostly bytes that need no escape (JSON text has a `"`
    /// every few bytes, though), so it copies 8 bytes at a time, finds the first control character,
    /// `"`, `\` or DEL among them with an exact bit mask, writes into a scratch buffer with plain
    /// stores, and appends each chunk to the output at once: appending byte by byte (a capacity and
    /// uniqueness check each) cost 40 % of `read --format jsonl`'s instructions.
    static func appendEscaped(_ input: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        guard let base = input.baseAddress, input.count > 0 else {
            output.append(UInt8(ascii: "\""))
            return
        }
        let count = input.count
        withUnsafeTemporaryAllocation(byteCount: escapeChunkBytes * 6, alignment: 8) { scratchBuffer in
            let scratch = scratchBuffer.baseAddress!
            var index = 0
            while index < count {
                let chunkEnd = min(count, index &+ escapeChunkBytes)
                var written = 0
                while index &+ 8 <= chunkEnd {
                    // The word is copied whole; `written` then moves past its clean bytes only,
                    // so the first byte that needs an escape is overwritten by its escape.
                    let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                    scratch.storeBytes(of: word.littleEndian, toByteOffset: written, as: UInt64.self)
                    let mask = escapeMask(word)
                    if mask == 0 {
                        index &+= 8
                        written &+= 8
                        continue
                    }
                    let clean = mask.trailingZeroBitCount >> 3
                    written &+= clean
                    index &+= clean
                    written &+= writeEscape(base[index], to: scratch + written)
                    index &+= 1
                }
                while index < chunkEnd {
                    let byte = base[index]
                    index &+= 1
                    if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte != 0x7f {
                        scratch.storeBytes(of: byte, toByteOffset: written, as: UInt8.self)
                        written &+= 1
                    } else {
                        written &+= writeEscape(byte, to: scratch + written)
                    }
                }
                output.append(contentsOf: UnsafeRawBufferPointer(start: scratch, count: written))
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    /// Writes the escape of `byte` (a control character, `"`, `\` or DEL) and returns its length.
    @inline(__always)
    private static func writeEscape(_ byte: UInt8, to destination: UnsafeMutableRawPointer) -> Int {
        let short: UInt8
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): short = byte
        case 0x0a: short = UInt8(ascii: "n")
        case 0x0d: short = UInt8(ascii: "r")
        case 0x09: short = UInt8(ascii: "t")
        default:
            for (offset, character) in [(0, UInt8(ascii: "\\")), (1, UInt8(ascii: "u")), (2, UInt8(ascii: "0")), (3, UInt8(ascii: "0"))] {
                destination.storeBytes(of: character, toByteOffset: offset, as: UInt8.self)
            }
            destination.storeBytes(of: hexDigits[Int(byte >> 4)], toByteOffset: 4, as: UInt8.self)
            destination.storeBytes(of: hexDigits[Int(byte & 0xf)], toByteOffset: 5, as: UInt8.self)
            return 6
        }
        destination.storeBytes(of: UInt8(ascii: "\\"), as: UInt8.self)
        destination.storeBytes(of: short, toByteOffset: 1, as: UInt8.self)
        return 2
    }

    /// The high bit of each byte of `word` (read little-endian) that needs an escape: below 0x20,
    /// `"`, `\` or 0x7F. Exact (no carries between bytes), so its lowest set bit finds the first one.
    @inline(__always)
    static func escapeMask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let highBits: UInt64 = 0x8080_8080_8080_8080
        // High bit set iff the byte is zero: (b & 0x7F) + 0x7F reaches 0x80 unless b & 0x7F is 0.
        @inline(__always) func zeroBytes(_ value: UInt64) -> UInt64 {
            ~(((value & low7) &+ low7) | value | low7)
        }
        // Bytes below 0x20: (b & 0x7F) + 0x60 reaches 0x80 iff b & 0x7F >= 0x20.
        let control = ~(((word & low7) &+ ones &* 0x60) | word) & highBits
        return control | zeroBytes(word ^ (ones &* 0x22)) | zeroBytes(word ^ (ones &* 0x5C)) | zeroBytes(word ^ (ones &* 0x7F))
    }

    static func appendKey(_ key: StaticString, to output: inout [UInt8], first: Bool = false) {
        if !first { output.append(UInt8(ascii: ",")) }
        output.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { output.append(contentsOf: $0) }
        output.append(UInt8(ascii: "\""))
        output.append(UInt8(ascii: ":"))
    }

    static func appendInteger<Value: BinaryInteger>(_ value: Value, to output: inout [UInt8]) {
        var string = String(value)
        string.withUTF8 { output.append(contentsOf: $0) }
    }

    static func appendRaw(_ text: String, to output: inout [UInt8]) {
        var text = text
        text.withUTF8 { output.append(contentsOf: $0) }
    }

    static func appendBool(_ value: Bool, to output: inout [UInt8]) {
        appendRaw(value ? "true" : "false", to: &output)
    }

    /// `,"key":"value"`, or `,"key":null` when there is no value.
    static func appendOptionalString(_ key: StaticString, _ value: String?, to output: inout [UInt8]) {
        appendKey(key, to: &output)
        if let value { appendString(value, to: &output) } else { appendRaw("null", to: &output) }
    }

    /// `,"key":123`, or `,"key":null` when there is no value (a counter the source did not give).
    static func appendIntegerField(_ key: StaticString, _ value: (some BinaryInteger)?, to output: inout [UInt8]) {
        appendKey(key, to: &output)
        if let value { appendInteger(value, to: &output) } else { appendRaw("null", to: &output) }
    }
}
