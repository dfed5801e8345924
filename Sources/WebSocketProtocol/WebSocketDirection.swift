/// Which peer sent some bytes, decided by who sent the HTTP request (or, without a handshake, by who
/// masks its frames). Never inferred from ports: servers listen on arbitrary ports.
public enum WebSocketDirection: UInt8, Sendable, Hashable, CaseIterable {
    case clientToServer
    case serverToClient

    /// `"client"` or `"server"`: the sender, as JSON output names it.
    public var senderName: String { self == .clientToServer ? "client" : "server" }

    /// The opposite direction.
    public var reversed: WebSocketDirection { self == .clientToServer ? .serverToClient : .clientToServer }
}
