/// Strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF), as RFC 6455 requires
/// of text messages and close reasons.
public enum UTF8Validation {
    public static func isValid(_ bytes: some Collection<UInt8>) -> Bool {
        // The standard library's decoder is strict in exactly this sense; a failed transcoding means invalid.
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
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
