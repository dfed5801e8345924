/// Strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF), as RFC 6455 requires
/// of text messages and close reasons.
///
/// Every text message is validated (by the decoder and again by the JSON formatter), so this is on
/// the hot path of `read`: it works on contiguous bytes, skips ASCII 8 bytes at a time, and checks
/// multi-byte sequences against the table of well-formed byte sequences (Unicode §3.9, Table 3-7).
/// The generic entry point is inlinable so that callers in other modules do not go through the
/// unspecialised `Collection` witnesses byte by byte (that cost 85 % of `read`'s instructions).
public enum UTF8Validation {
    @inlinable
    public static func isValid(_ bytes: some Collection<UInt8>) -> Bool {
        if let result = bytes.withContiguousStorageIfAvailable({ isValid(buffer: $0) }) { return result }
        return Array(bytes).withUnsafeBufferPointer { isValid(buffer: $0) }
    }

    /// Validates contiguous bytes.
    public static func isValid(buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = buffer.baseAddress else { return true }
        let count = buffer.count
        var index = 0
        while index < count {
            // ASCII runs, a word at a time.
            while index &+ 8 <= count {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 != 0 { break }
                index &+= 8
            }
            guard index < count else { return true }
            let lead = base[index]
            if lead < 0x80 {
                index &+= 1
                continue
            }
            // The allowed range of the second byte, and how many bytes the sequence has.
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return false
            }
            guard count &- index >= length else { return false }
            let second = base[index &+ 1]
            guard second >= low && second <= high else { return false }
            if length >= 3 && base[index &+ 2] & 0xC0 != 0x80 { return false }
            if length == 4 && base[index &+ 3] & 0xC0 != 0x80 { return false }
            index &+= length
        }
        return true
    }

    /// Whether `bytes` is valid UTF-8, or (with `complete` false) valid up to a code point that the
    /// next fragment may finish.
    public static func isValidPrefix(_ bytes: [UInt8], complete: Bool) -> Bool {
        if isValid(bytes) { return true }
        guard !complete else { return false }
        // Drop up to three trailing bytes of an unfinished sequence and check again.
        for cut in 1...3 where bytes.count >= cut {
            let lead = bytes[bytes.count - cut]
            if lead & 0xc0 == 0xc0 { return isValid(bytes[..<(bytes.count - cut)]) }
            if lead & 0xc0 != 0x80 { return false }
        }
        return false
    }
}
