import PacketDecoding

/// A TLS connection that could not be decrypted (no key, an unsupported suite, a handshake not
/// captured), reported when it ends so that nothing in a capture goes unmentioned: the user learns
/// what it held (SNI, ALPN, version, bytes each way) and which key log would open it.
public struct UndecryptedConnection: Sendable {
    public var connection: Int
    /// When its first byte was captured.
    public var start: Timestamp
    /// When it ended (or the capture did).
    public var timestamp: Timestamp
    public var client: Endpoint
    public var server: Endpoint
    /// What the hellos told; nil when they were not captured.
    public var tls: TLSSessionInfo?
    /// Why it stays closed: `no_key`, `tls_unsupported`, `tls_malformed`, `tls_record_too_large`.
    public var reason: AnomalyKind
    public var detail: String
    /// TCP payload bytes each way, as captured (records, headers and lost bytes included).
    public var bytesFromClient: UInt64
    public var bytesFromServer: UInt64

    public init(connection: Int, start: Timestamp, timestamp: Timestamp, client: Endpoint, server: Endpoint, tls: TLSSessionInfo?,
                reason: AnomalyKind, detail: String, bytesFromClient: UInt64, bytesFromServer: UInt64) {
        self.connection = connection
        self.start = start
        self.timestamp = timestamp
        self.client = client
        self.server = server
        self.tls = tls
        self.reason = reason
        self.detail = detail
        self.bytesFromClient = bytesFromClient
        self.bytesFromServer = bytesFromServer
    }
}

/// What a stream layer knows about a connection it could not open, for `UndecryptedConnection`.
public struct UndecryptedStream: Sendable {
    public var tls: TLSSessionInfo?
    public var reason: AnomalyKind
    public var detail: String
    public var start: Timestamp
    /// When its last byte was captured.
    public var end: Timestamp
    public var bytesFromClient: UInt64
    public var bytesFromServer: UInt64

    public init(tls: TLSSessionInfo?, reason: AnomalyKind, detail: String, start: Timestamp, end: Timestamp, bytesFromClient: UInt64, bytesFromServer: UInt64) {
        self.tls = tls
        self.reason = reason
        self.detail = detail
        self.start = start
        self.end = end
        self.bytesFromClient = bytesFromClient
        self.bytesFromServer = bytesFromServer
    }
}
