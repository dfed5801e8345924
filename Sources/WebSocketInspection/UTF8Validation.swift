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
}
