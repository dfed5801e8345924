/// Standard base64 (RFC 4648 §4, with `=` padding), encode only.
///
/// Why hand-written: `Sec-WebSocket-Accept` needs it for one 20-byte digest, and the JSON sinks
/// need a fast encoder for binary payloads; Foundation's `Data.base64EncodedString()` would pull
/// Foundation onto that hot path and force a copy into `Data` first.
public enum Base64 {
    /// The 64-character alphabet, as ASCII bytes, indexed by 6-bit value.
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8
    )

    /// The number of base64 characters `byteCount` input bytes encode to, padding included.
    ///
    /// Returns nil instead of trapping when the result would not fit in an `Int`.
    public static func encodedLength(of byteCount: Int) -> Int? {
        guard byteCount >= 0 else { return nil }
        let groups = byteCount / 3 + (byteCount % 3 == 0 ? 0 : 1)
        let (length, overflow) = groups.multipliedReportingOverflow(by: 4)
        return overflow ? nil : length
    }

    /// Encodes `bytes` as padded base64.
    ///
    /// Works on any byte collection so callers can pass an `ArraySlice` of a payload without
    /// copying it first; the output buffer is sized once up front.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        if let encoded = bytes.withContiguousStorageIfAvailable({ encodeContiguous($0) }) {
            return encoded
        }
        return Array(bytes).withUnsafeBufferPointer { encodeContiguous($0) }
    }

    /// Encodes into a `String` built in place.
    private static func encodeContiguous(_ input: UnsafeBufferPointer<UInt8>) -> String {
        guard input.count > 0, let length = encodedLength(of: input.count) else { return "" }
        return String(unsafeUninitializedCapacity: length) { output in
            encode(input, into: output)
            return length
        }
    }

    /// Appends the padded base64 of `bytes` to `output` without an intermediate `String`: JSON
    /// output of a large binary message would otherwise hold the text twice.
    public static func append(_ bytes: [UInt8], to output: inout [UInt8]) {
        guard bytes.count > 0, let length = encodedLength(of: bytes.count) else { return }
        let start = output.count
        output.append(contentsOf: repeatElement(UInt8(ascii: "="), count: length))
        bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { buffer in
                encode(input, into: UnsafeMutableBufferPointer(rebasing: buffer[start..<(start + length)]))
            }
        }
    }

    /// Every pair of base64 characters for a 12-bit value, stored so that writing the `UInt16` puts
    /// the first character first on any byte order: one load and one store per 12 bits.
    private static let pairs: [UInt16] = (0..<4096).map { value in
        (UInt16(alphabet[value >> 6]) | UInt16(alphabet[value & 0x3F]) << 8).littleEndian
    }

    /// The one encoding loop, three bytes per step by index with two table lookups, since the JSON
    /// sinks run every binary payload through it. `output` holds exactly the encoded length.
    private static func encode(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>) {
        let count = input.count
        guard count > 0, let source = input.baseAddress, let destination = output.baseAddress else { return }
        let target = UnsafeMutableRawPointer(destination)
        pairs.withUnsafeBufferPointer { pairTable in
            let pairs = pairTable.baseAddress!
            var read = 0
            var written = 0
            // Six bytes per step while eight can be loaded at once: one big-endian load, four
            // 12-bit lookups, one 64-bit store.
            while count &- read >= 8 {
                let bits = UInt64(bigEndian: UnsafeRawPointer(source + read).loadUnaligned(as: UInt64.self))
                let first = UInt64(UInt16(littleEndian: pairs[Int(truncatingIfNeeded: bits >> 52)]))
                let second = UInt64(UInt16(littleEndian: pairs[Int(truncatingIfNeeded: (bits >> 40) & 0xFFF)]))
                let third = UInt64(UInt16(littleEndian: pairs[Int(truncatingIfNeeded: (bits >> 28) & 0xFFF)]))
                let fourth = UInt64(UInt16(littleEndian: pairs[Int(truncatingIfNeeded: (bits >> 16) & 0xFFF)]))
                let characters = first | second << 16 | third << 32 | fourth << 48
                target.storeBytes(of: characters.littleEndian, toByteOffset: written, as: UInt64.self)
                read &+= 6
                written &+= 8
            }
            while count &- read >= 3 {
                let triple = UInt32(source[read]) << 16 | UInt32(source[read &+ 1]) << 8 | UInt32(source[read &+ 2])
                target.storeBytes(of: pairs[Int(triple >> 12)], toByteOffset: written, as: UInt16.self)
                target.storeBytes(of: pairs[Int(triple & 0xFFF)], toByteOffset: written &+ 2, as: UInt16.self)
                read &+= 3
                written &+= 4
            }
            let remaining = count &- read
            if remaining > 0 {
                alphabet.withUnsafeBufferPointer { table in
                    let second = remaining == 2 ? UInt32(source[read &+ 1]) : 0
                    let triple = UInt32(source[read]) << 16 | second << 8
                    output[written] = table[Int(triple >> 18)]
                    output[written &+ 1] = table[Int((triple >> 12) & 0x3F)]
                    output[written &+ 2] = remaining == 2 ? table[Int((triple >> 6) & 0x3F)] : UInt8(ascii: "=")
                    output[written &+ 3] = UInt8(ascii: "=")
                }
            }
        }
    }
}
