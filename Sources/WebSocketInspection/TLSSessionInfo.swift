/// What a connection's TLS layer knows about the session, carried on its `open` event so every
/// output can say the connection was `wss://` (and with what), without depending on the TLS target.
public struct TLSSessionInfo: Sendable, Equatable {
    /// "TLS 1.3", "TLS 1.2".
    public var version: String
    /// The IANA cipher suite name (or its code in hex).
    public var cipher: String
    /// The server name the client asked for (SNI), if any.
    public var serverName: String?
    /// The ALPN protocol the server chose (or the client's offer when the choice was not seen).
    public var protocols: [String]

    public init(version: String, cipher: String, serverName: String?, protocols: [String]) {
        self.version = version
        self.cipher = cipher
        self.serverName = serverName
        self.protocols = protocols
    }
}
