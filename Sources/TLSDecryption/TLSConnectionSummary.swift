/// What a TLS connection's hellos said, for events and reports.
public struct TLSConnectionSummary: Sendable, Equatable, CustomStringConvertible {
    public var version: TLSVersion
    public var cipherSuite: TLSCipherSuite
    public var serverName: String?
    /// The protocol the server chose, or (when its choice was not seen) the client's offer.
    public var protocols: [String]

    public var description: String {
        var text = "\(version), \(cipherSuite)"
        text += ", SNI \(serverName ?? "(none)")"
        if !protocols.isEmpty { text += ", ALPN \(protocols.joined(separator: ","))" }
        return text
    }
}
