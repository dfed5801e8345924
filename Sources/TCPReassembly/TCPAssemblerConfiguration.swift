/// The limits that keep reassembly bounded on hostile or lossy captures.
///
/// Each limit trades memory for completeness; when one is hit the assembler skips forward and reports
/// what it gave up (`gap`, `anomaly`, `closed(.evicted)`) instead of growing or failing.
public struct TCPAssemblerConfiguration: Sendable {
    /// Bookkeeping charged per buffered segment on top of its payload bytes, so that a flood of tiny
    /// out-of-order segments is bounded by the same byte limits as a few large ones.
    public static let bookkeepingBytesPerBufferedSegment = 64

    /// Out-of-order bytes held per connection, both sides together. Default 4 MiB: several round trips
    /// of a fast connection. When exceeded, the side holding more skips to its lowest buffered segment
    /// and reports the skipped bytes as a `gap`.
    public var maxBufferedBytesPerConnection: Int
    /// Out-of-order bytes held across all connections. Default 64 MiB. When exceeded, the connection
    /// holding the most skips all of its holes.
    public var maxBufferedBytesTotal: Int
    /// Connections tracked at once. Default 100 000. When exceeded, the least recently active one is
    /// flushed and closed with reason `evicted`, and a `connection_limit` anomaly is reported.
    public var maxConnections: Int
    /// Seconds of packet time without a packet after which a connection is flushed and forgotten
    /// (`closed(.idle)`). Default 300, the usual NAT and firewall timeout. Checked every 1000 packets or
    /// when packet time moves on by more than a second, not on every packet.
    public var idleTimeout: Double
    /// Seconds packet time may move ahead at one packet and still count as elapsed time. Default 3600:
    /// far above the idle timeout, so every pause idle expiry is meant to measure counts, and far below
    /// the errors of corrupt records (days to decades). A packet further ahead is a `clock_jump`
    /// anomaly, not elapsed time, until the next packet, from another connection, agrees with it
    /// (a capture paused for hours, or files concatenated): see `PacketClock`.
    public var maxClockJump: Double
    /// How far, in bytes of sequence space, a SYN without ACK may lie from where its sender's stream
    /// is known to be and still belong to the connection tracked on its 4-tuple (if it is not a
    /// retransmission of that side's SYN). Default 65 535, the largest unscaled TCP window: a
    /// reordered SYN or one inside the receive window (RFC 5961) is that close, while a new
    /// connection's random initial sequence number lands that close about once in 30 000 reuses.
    public var maxSYNDistance: Int
    /// Segments held for a side whose SYN was not seen before its stream start is fixed. Default 16:
    /// enough to ride out capture reordering at the start of a mid-stream capture.
    public var maxSegmentsHeldBeforeStart: Int
    /// Bytes held for such a side before its start is fixed. Default 64 KiB.
    public var maxBytesHeldBeforeStart: Int
    /// Seconds of packet time such a side is held before its start is fixed. Default 1.
    public var maxHoldBeforeStart: Double
    /// Segments that may wait behind a hole the other side has already acknowledged before the hole is
    /// declared lost. Default 8: the acknowledgment proves the bytes were sent but not captured, so
    /// waiting longer only delays the data after them.
    public var maxSegmentsWaitingBehindAcknowledgedHole: Int
    /// Closed connections remembered so that late retransmissions of their FIN, ACK or data do not open
    /// a spurious new connection. Default 10 000.
    public var maxRememberedClosedConnections: Int
    /// Seconds of packet time a closed connection is remembered. Default 30. A new SYN on the same
    /// addresses and ports always starts a new connection, even within this time.
    public var closedConnectionMemory: Double

    public init(
        maxBufferedBytesPerConnection: Int = 4 << 20,
        maxBufferedBytesTotal: Int = 64 << 20,
        maxConnections: Int = 100_000,
        idleTimeout: Double = 300,
        maxClockJump: Double = 3600,
        maxSYNDistance: Int = 65_535,
        maxSegmentsHeldBeforeStart: Int = 16,
        maxBytesHeldBeforeStart: Int = 64 << 10,
        maxHoldBeforeStart: Double = 1,
        maxSegmentsWaitingBehindAcknowledgedHole: Int = 8,
        maxRememberedClosedConnections: Int = 10_000,
        closedConnectionMemory: Double = 30
    ) {
        self.maxBufferedBytesPerConnection = maxBufferedBytesPerConnection
        self.maxBufferedBytesTotal = maxBufferedBytesTotal
        self.maxConnections = max(1, maxConnections)
        self.idleTimeout = idleTimeout
        self.maxClockJump = maxClockJump
        self.maxSYNDistance = maxSYNDistance
        self.maxSegmentsHeldBeforeStart = maxSegmentsHeldBeforeStart
        self.maxBytesHeldBeforeStart = maxBytesHeldBeforeStart
        self.maxHoldBeforeStart = maxHoldBeforeStart
        self.maxSegmentsWaitingBehindAcknowledgedHole = maxSegmentsWaitingBehindAcknowledgedHole
        self.maxRememberedClosedConnections = maxRememberedClosedConnections
        self.closedConnectionMemory = closedConnectionMemory
    }
}
