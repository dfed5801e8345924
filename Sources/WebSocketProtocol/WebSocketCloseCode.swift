/// A WebSocket close status code (RFC 6455 §7.4), as a value that can hold any code a peer sends:
/// the registered ones have names, and every other number is kept as it is (NIO's
/// `WebSocketErrorCode` has an `unknown` case for the same reason: a capture shows what was sent).
public struct WebSocketCloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let normalClosure = WebSocketCloseCode(1000)
    public static let goingAway = WebSocketCloseCode(1001)
    public static let protocolError = WebSocketCloseCode(1002)
    public static let unsupportedData = WebSocketCloseCode(1003)
    /// Reserved: reported locally for a close frame without a code; never sent.
    public static let noStatusReceived = WebSocketCloseCode(1005)
    /// Reserved: reported locally when the connection ended without a close frame; never sent.
    public static let abnormalClosure = WebSocketCloseCode(1006)
    public static let invalidPayloadData = WebSocketCloseCode(1007)
    public static let policyViolation = WebSocketCloseCode(1008)
    public static let messageTooBig = WebSocketCloseCode(1009)
    public static let mandatoryExtension = WebSocketCloseCode(1010)
    public static let internalError = WebSocketCloseCode(1011)
    public static let serviceRestart = WebSocketCloseCode(1012)
    public static let tryAgainLater = WebSocketCloseCode(1013)
    public static let badGateway = WebSocketCloseCode(1014)
    /// Reserved: reported locally for a failed TLS handshake; never sent.
    public static let tlsHandshake = WebSocketCloseCode(1015)

    /// What kind of code this is.
    public enum Category: Sendable, Equatable {
        /// Registered with IANA (1000–1015): has a name.
        case registered(String)
        /// 3000–3999 (registered for libraries and frameworks) and 4000–4999 (private use).
        case application
        /// Any other number: not assigned, and not allowed on the wire.
        case unknown
    }

    private static let names: [UInt16: String] = [
        1000: "normal closure", 1001: "going away", 1002: "protocol error", 1003: "unsupported data",
        1005: "no status received", 1006: "abnormal closure", 1007: "invalid payload data",
        1008: "policy violation", 1009: "message too big", 1010: "mandatory extension", 1011: "internal error",
        1012: "service restart", 1013: "try again later", 1014: "bad gateway", 1015: "TLS handshake",
    ]

    public var category: Category {
        if let name = Self.names[rawValue] { return .registered(name) }
        return (3000...4999).contains(rawValue) ? .application : .unknown
    }

    /// Whether an endpoint may put this code in a close frame: 1005, 1006 and 1015 are for
    /// reporting locally; numbers below 1000 and 1016–2999 are not assigned; 3000–4999 are for
    /// libraries and applications.
    public var maySend: Bool {
        switch rawValue {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }

    /// The number, with its registered name when it has one: `1001 (going away)`.
    public var description: String {
        if case .registered(let name) = category { return "\(rawValue) (\(name))" }
        return String(rawValue)
    }
}
