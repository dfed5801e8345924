/// WebSocket close status codes (RFC 6455 §7.4).
public enum CloseCode {
    /// Whether an endpoint may put `code` in a close frame. 1005, 1006 and 1015 are reserved for
    /// reporting locally; codes below 1000 and 1016–2999 (other than those IANA registered, 1012–1014)
    /// are not assigned; 3000–4999 are for libraries and applications.
    public static func maySend(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014: return true
        case 3000...4999: return true
        default: return false
        }
    }
}
