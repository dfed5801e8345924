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
        let count = bytes.count
        guard count > 0, let length = encodedLength(of: count) else { return "" }
        return String(unsafeUninitializedCapacity: length) { output in
            alphabet.withUnsafeBufferPointer { table in
                var written = 0
                var iterator = bytes.makeIterator()
                while let first = iterator.next() {
                    let second = iterator.next()
                    let third = iterator.next()
                    let b0 = UInt32(first)
                    let b1 = UInt32(second ?? 0)
                    let b2 = UInt32(third ?? 0)
                    let triple = (b0 << 16) | (b1 << 8) | b2
                    output[written] = table[Int((triple >> 18) & 0x3F)]
                    output[written + 1] = table[Int((triple >> 12) & 0x3F)]
                    output[written + 2] = second == nil ? UInt8(ascii: "=") : table[Int((triple >> 6) & 0x3F)]
                    output[written + 3] = third == nil ? UInt8(ascii: "=") : table[Int(triple & 0x3F)]
                    written += 4
                    if third == nil { break }
                }
                return written
            }
        }
    }
}
