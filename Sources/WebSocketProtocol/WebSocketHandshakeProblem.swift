/// Something wrong with an otherwise completed WebSocket opening handshake.
///
/// Reported, never fatal: a browser would refuse such a connection, but the capture still shows
/// traffic, and an inspector must decode it and say what was wrong.
public struct WebSocketHandshakeProblem: Sendable, Equatable {
    /// Which check failed; its raw value is the stable snake_case name output uses.
    public var kind: Kind
    /// Human-readable explanation with the offending values.
    public var detail: String

    public init(kind: Kind, detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// The checks, spelled once so sinks and tests agree (the inspector's `AnomalyKind` takes its
    /// handshake names from here).
    public enum Kind: String, Sendable, CaseIterable {
        /// `Sec-WebSocket-Accept` is not base64(SHA-1(key + GUID)).
        case wrongAccept = "wrong_accept"
        /// The request has no `Sec-WebSocket-Key`.
        case missingKey = "missing_key"
        /// The 101 response has no `Sec-WebSocket-Accept`.
        case missingAccept = "missing_accept"
        /// The response accepts an extension the request did not offer.
        case unofferedExtension = "unoffered_extension"
        /// The response selects a subprotocol the request did not offer.
        case unofferedSubprotocol = "unoffered_subprotocol"
        /// `Sec-WebSocket-Version` is missing or not 13.
        case unsupportedVersion = "unsupported_version"
        /// An element of the response's `Sec-WebSocket-Extensions` breaks the RFC 6455 §9.1 grammar
        /// (a name or parameter name that is not an RFC 9110 token, a value that is neither a token
        /// nor a quoted string). Such an element is not negotiated: a client would fail the connection.
        case malformedExtension = "malformed_extension"
    }
}
