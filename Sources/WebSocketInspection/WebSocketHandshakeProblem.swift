/// Something wrong with an otherwise completed WebSocket opening handshake.
///
/// Reported, never fatal: a browser would refuse such a connection, but the capture still shows
/// traffic, and an inspector must decode it and say what was wrong.
public struct WebSocketHandshakeProblem: Sendable, Equatable {
    /// Stable snake_case identifier for machine-readable output; one of the `Kind` constants.
    public var kind: String
    /// Human-readable explanation with the offending values.
    public var detail: String

    public init(kind: String, detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// The `kind` values, spelled once so sinks and tests agree.
    public enum Kind {
        /// `Sec-WebSocket-Accept` is not base64(SHA-1(key + GUID)).
        public static let wrongAccept = "wrong_accept"
        /// The request has no `Sec-WebSocket-Key`.
        public static let missingKey = "missing_key"
        /// The 101 response has no `Sec-WebSocket-Accept`.
        public static let missingAccept = "missing_accept"
        /// The response accepts an extension the request did not offer.
        public static let unofferedExtension = "unoffered_extension"
        /// The response selects a subprotocol the request did not offer.
        public static let unofferedSubprotocol = "unoffered_subprotocol"
        /// `Sec-WebSocket-Version` is missing or not 13.
        public static let unsupportedVersion = "unsupported_version"
    }
}
