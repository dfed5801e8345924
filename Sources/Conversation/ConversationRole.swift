import WebSocketProtocol

/// The side of a recorded conversation that the engine plays against a live peer.
///
/// Everything that differs between `wstap replay` (the client role, against a live server) and
/// `wstap serve` (the server role, against live clients) once the connection is upgraded is
/// decided here, so the rest of the engine — the script, pacing, answer comparison and the report —
/// is written once:
///
/// | | client | server |
/// |---|---|---|
/// | recorded messages sent | client → server | server → client |
/// | recorded messages expected (compared) | server → client | client → server |
/// | frames masked | yes, a fresh key per frame (RFC 6455 §5.3) | never (RFC 6455 §5.1) |
/// | permessage-deflate for what it sends | `client_max_window_bits`, `client_no_context_takeover` | `server_…` |
/// | permessage-deflate for what it receives | `server_…` | `client_…` |
public enum ConversationRole: String, Sendable, CaseIterable {
    /// Plays the recorded client: `wstap replay`.
    case client
    /// Plays the recorded server: the seam `wstap serve` plugs into.
    case server

    /// The recorded direction this role sends.
    public var sentDirection: WebSocketDirection { self == .client ? .clientToServer : .serverToClient }

    /// The recorded direction the live peer is expected to reproduce (what is compared).
    public var expectedDirection: WebSocketDirection { sentDirection.reversed }

    /// Whether this role masks the frames it sends: a client must mask every frame with a fresh
    /// key, a server must never mask (a peer fails the connection otherwise).
    public var masksFrames: Bool { self == .client }

    /// `"client"` or `"server"`, as the report names this side.
    public var name: String { rawValue }

    /// `"server"` or `"client"`: the live peer, as the report names it.
    public var peerName: String { self == .client ? "server" : "client" }

    /// The compressor settings for the messages this role sends: RFC 7692 gives each direction its
    /// own window size and context takeover, and `client_*` parameters govern what the client sends.
    public func sendingCompression(_ parameters: PerMessageDeflateParameters) -> (windowBits: Int, noContextTakeover: Bool) {
        switch self {
        case .client: return (parameters.clientMaxWindowBits, parameters.clientNoContextTakeover)
        case .server: return (parameters.serverMaxWindowBits, parameters.serverNoContextTakeover)
        }
    }

    /// The note for a recording with compressed messages when the new connection did not negotiate
    /// permessage-deflate: who declined depends on the role (a server accepts, a client offers).
    var compressionDeclinedNote: String {
        switch self {
        case .client: return "the server did not accept permessage-deflate: recorded compressed messages are sent uncompressed"
        case .server: return "the client did not offer permessage-deflate: recorded compressed messages are sent uncompressed"
        }
    }
}
