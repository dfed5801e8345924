/// Everything `wstap serve` can set. Like `ReplayConfiguration`, every wait is a named timeout and
/// every per-client buffer a named limit, so a silent, slow or hostile client can neither hang the
/// server nor make it hold more than these bounds.
public struct ServeConfiguration: Sendable {
    /// Address to listen on (default 127.0.0.1: a mock server of a recorded backend is for this
    /// machine; another address needs an explicit `--listen`).
    public var host: String
    /// Port to listen on; 0 picks a free one (printed on standard error).
    public var port: Int
    /// Pacing, speed, answer and close timeouts, message limit and ignored JSON paths: shared with replay.
    public var playback: ConversationPlayback
    /// Stop after this many clients have been served (nil: no such limit).
    public var maxClients: Int?
    /// Play recorded connections again to further clients, until `maxClients` or SIGINT (`--loop`).
    /// Off (the default), each recorded connection is played once and serving ends when all were.
    public var loop: Bool
    /// Serve `wss://` with this certificate and key (`--tls-cert`, `--tls-key`); nil: `ws://`.
    public var tls: ServeTLS?
    /// Seconds a client has, from connecting, to send a complete upgrade request (default 5 s): a
    /// client that connects and says nothing would otherwise hold its slot forever.
    public var handshakeTimeout: Double
    /// Seconds one write to a client may wait for the client to read (default 10 s): a client
    /// that never reads fills its socket buffer, and without this the conversation would wait on
    /// it forever. The client is cut off with one line.
    public var maxWriteStallSeconds: Double
    /// Clients served at the same time (default 64); more wait in the kernel's accept queue. Each
    /// holds at most `maxMessageBytes` of message being decoded plus the read buffers below.
    public var maxConcurrentClients: Int

    /// Largest read from a client socket (64 KiB)…
    public static let maxReadBytes = 64 << 10
    /// …and reads buffered before NIO stops reading from that client (16): about 1 MiB of
    /// undecoded bytes per client however fast it sends, as for replay's server side.
    public static let maxBufferedReads = 16
    /// Recorded client messages ahead of and behind the next one that a client message which does
    /// not match it is also compared with (default 8; `--max-match-lookahead`): enough for a client
    /// that reorders a few messages or skips one, while each client message costs at most
    /// 2 × 8 + 1 comparisons.
    public static let defaultMaxMatchLookahead = 8
    /// The largest `--max-match-lookahead` accepted (1,000): bounds the comparisons per message.
    public static let maxMatchLookaheadLimit = 1_000
    /// Paths listed in a 404 line and answer body (default 20); the rest are counted.
    public static let maxListedPaths = 20

    public init(
        host: String = "127.0.0.1", port: Int = 0, playback: ConversationPlayback = ConversationPlayback(), maxClients: Int? = nil,
        handshakeTimeout: Double = 5, maxWriteStallSeconds: Double = 10, maxConcurrentClients: Int = 64, loop: Bool = false,
        tls: ServeTLS? = nil
    ) {
        self.loop = loop
        self.tls = tls
        self.host = host
        self.port = port
        self.playback = playback
        self.maxClients = maxClients
        self.handshakeTimeout = handshakeTimeout
        self.maxWriteStallSeconds = maxWriteStallSeconds
        self.maxConcurrentClients = maxConcurrentClients
    }
}
