import PacketDecoding

/// Which end of a connection sent some bytes.
///
/// The initiator is the sender of the first SYN (without ACK) if one was seen, the receiver of a SYN-ACK
/// if that was seen first, and otherwise the source of the first packet seen: the best guess available
/// for a capture that started mid-connection. Client and server roles are decided later, by protocol.
public enum StreamSide: UInt8, Sendable {
    case initiator
    case responder
}

/// What is known about a connection when its first event is reported.
public struct TCPConnectionInfo: Sendable {
    /// Unique within one assembler run, starting at 1 in order of first appearance, never reused.
    public var id: Int
    public var initiator: Endpoint
    public var responder: Endpoint
    /// Whether a SYN was seen before the connection was reported, i.e. whether its start was captured.
    public var sawSYN: Bool
    /// Packet time of the first packet seen for this connection.
    public var start: Timestamp

    public init(id: Int, initiator: Endpoint, responder: Endpoint, sawSYN: Bool, start: Timestamp) {
        self.id = id
        self.initiator = initiator
        self.responder = responder
        self.sawSYN = sawSYN
        self.start = start
    }
}

/// Why a connection's events ended.
public enum TCPCloseReason: String, Sendable {
    /// Both sides sent FIN and all their bytes up to it were delivered; or one side sent FIN and a
    /// new SYN on the same addresses and ports then showed the connection over (the other FIN was
    /// not captured).
    case fin
    /// One side sent RST.
    case reset
    /// No packet for `idleTimeout` seconds of packet time.
    case idle
    /// Pushed out by `maxConnections`.
    case evicted
    /// The capture ended while the connection was open.
    case endOfCapture
    /// A new connection started on the same addresses and ports (a SYN that cannot be this
    /// connection's) before this one's end was captured.
    case reused
}

/// The reassembler's output: a connection's byte streams, in order, with losses and limits made explicit.
///
/// For each connection the order is: `opened`, then `data`/`gap`/`anomaly` events in stream order per
/// side, then exactly one `closed`. Anomalies without a connection concern the assembler as a whole.
public enum TCPStreamEvent: Sendable {
    /// Reported before the connection's first data, gap or close.
    case opened(TCPConnectionInfo)
    /// In-order bytes, each delivered exactly once. The slice usually shares storage with the
    /// segment's payload: nothing is copied for in-order data.
    case data(connection: Int, side: StreamSide, bytes: ArraySlice<UInt8>, timestamp: Timestamp)
    /// Bytes the sender sent but the capture lost (or a limit forced us to give up on) were skipped.
    case gap(connection: Int, side: StreamSide, byteCount: UInt64, timestamp: Timestamp)
    /// Reported after the connection's last data; its id is never used again.
    case closed(connection: Int, reason: TCPCloseReason, timestamp: Timestamp)
    /// Something a user should hear about: a limit was hit; `detail` is for humans.
    case anomaly(connection: Int?, kind: TCPAnomalyKind, detail: String, timestamp: Timestamp)
}

/// The anomalies the reassembler reports; the raw value is the stable name output uses.
public enum TCPAnomalyKind: String, Sendable, CaseIterable {
    /// `maxBufferedBytesPerConnection` or `maxBufferedBytesTotal` forced a hole to be skipped.
    case reassemblyBufferLimit = "reassembly_buffer_limit"
    /// `maxConnections` pushed the least recently active connection out.
    case connectionLimit = "connection_limit"
    /// A packet was stamped more than `maxClockJump` after the latest packet: not counted as elapsed
    /// time (see `PacketClock`). Reported once per capture, without a connection.
    case clockJump = "clock_jump"
}
