import PacketDecoding
import TCPReassembly
import WebSocketProtocol

/// A WebSocket connection as wstap first knows it: endpoints and what the handshake negotiated.
public struct WebSocketConnectionInfo: Sendable {
    public var connection: Int
    public var timestamp: Timestamp
    public var client: Endpoint
    public var server: Endpoint
    /// The request target (path and query) of the Upgrade request; nil without a handshake.
    public var path: String?
    public var host: String?
    /// The subprotocol the server chose, if any.
    public var subprotocol: String?
    /// The extensions the server accepted, one entry per extension with its parameters.
    public var extensions: [String]
    /// True when the HTTP Upgrade handshake was captured; false for a mid-stream pickup.
    public var handshake: Bool
    /// Without a handshake: how sure the frame-boundary heuristics are.
    public var confidence: MidstreamConfidence?
    /// When the Upgrade request's first byte was captured (the browser's CONNECTING state starts
    /// there); nil without a handshake.
    public var requestTimestamp: Timestamp?
    /// The request and response heads as captured, for exports and replay.
    public var requestHead: HTTPRequestHead?
    public var responseHead: HTTPResponseHead?
    /// Set when the connection was decrypted by a TLS stream layer (`wss://`).
    public var tls: TLSSessionInfo?

    public init(
        connection: Int, timestamp: Timestamp, client: Endpoint, server: Endpoint, path: String? = nil,
        host: String? = nil, subprotocol: String? = nil, extensions: [String] = [], handshake: Bool,
        confidence: MidstreamConfidence? = nil, requestHead: HTTPRequestHead? = nil, responseHead: HTTPResponseHead? = nil
    ) {
        self.connection = connection
        self.timestamp = timestamp
        self.client = client
        self.server = server
        self.path = path
        self.host = host
        self.subprotocol = subprotocol
        self.extensions = extensions
        self.handshake = handshake
        self.confidence = confidence
        self.requestHead = requestHead
        self.responseHead = responseHead
    }
}

/// An Upgrade request the server answered with something other than 101.
public struct RefusedUpgrade: Sendable {
    public var connection: Int
    public var timestamp: Timestamp
    public var client: Endpoint
    public var server: Endpoint
    public var path: String
    public var host: String?
    public var status: Int
    public var reason: String
}

/// Something odd in the traffic: a protocol violation, a limit hit, lost data. Reported, never thrown,
/// because an inspector must keep going and show what it saw.
public struct InspectorAnomaly: Sendable {
    public var connection: Int?
    public var timestamp: Timestamp
    public var direction: WebSocketDirection?
    /// What kind of anomaly; its `name` is the stable spelling documented in docs/anomalies.md.
    public var kind: AnomalyKind
    public var detail: String

    public init(connection: Int?, timestamp: Timestamp, direction: WebSocketDirection?, kind: AnomalyKind, detail: String) {
        self.connection = connection
        self.timestamp = timestamp
        self.direction = direction
        self.kind = kind
        self.detail = detail
    }
}

/// How a WebSocket connection's capture ended.
public struct ConnectionClose: Sendable {
    public var connection: Int
    public var timestamp: Timestamp
    /// What ended the TCP connection's tracking (`reason.name` is the stable spelling).
    public var reason: TCPCloseReason
    public var messagesFromClient: Int
    public var messagesFromServer: Int
}

/// Everything the inspection pipeline reports, in the order it learns it. Plain values: sinks format
/// them as text, JSON Lines, HAR or feed them to replay.
public enum InspectorEvent: Sendable {
    case open(WebSocketConnectionInfo)
    case refused(RefusedUpgrade)
    case message(WebSocketMessage)
    /// Bytes lost in one direction of a WebSocket connection.
    case gap(connection: Int, timestamp: Timestamp, direction: WebSocketDirection, bytes: UInt64)
    case anomaly(InspectorAnomaly)
    case close(ConnectionClose)
    /// A TLS connection that was not decrypted, when it ends (`"event":"tls"` in JSON Lines).
    case undecrypted(UndecryptedConnection)
}
