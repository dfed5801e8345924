import WebSocketProtocol

/// Limits and switches for decoding WebSocket connections. Every limit bounds memory that hostile
/// traffic could otherwise make wstap allocate.
public struct InspectionConfiguration: Sendable {
    /// Largest message payload kept, after decompression (default 16 MiB). A longer message is reported
    /// with its true length, `truncated`, and a `message_too_large` anomaly; decoding continues.
    public var maxMessageBytes: Int
    /// How many bytes one compressed message may inflate to before wstap stops inflating it
    /// (default 1 GiB). Past `maxMessageBytes` the output is counted and discarded, which keeps
    /// memory flat, reports the true size and keeps the compression window usable; past this
    /// limit the direction's window is lost.
    public var maxInflatedBytes: Int
    /// Largest HTTP request or response head before the connection is given up as not WebSocket
    /// (default 64 KiB, far above what browsers send).
    public var maxHeadBytes: Int
    /// Bytes held while looking for a frame boundary after a gap or in a capture that starts mid-stream
    /// (default 256 KiB).
    public var maxResynchronizationBytes: Int
    /// Bytes of one direction held while waiting for the other direction to decide what the
    /// connection is (e.g. a client's frames sent before the 101 was captured). Default 1 MiB.
    public var maxPendingBytes: Int
    /// Frame lengths kept per fragmented message (default 65,536: a 64 MiB message in 1 KiB
    /// fragments). They let replay fragment a message as it was sent; past this many, frames are
    /// still counted but their lengths are not kept, so millions of one-byte continuation frames
    /// cost a fixed 512 KiB instead of memory that grows with the frame count.
    public var maxFragmentLengths: Int
    /// Anomalies of one kind reported per connection (default 100): past it they are counted and
    /// summed up in one last anomaly of that kind when the connection ends, so a peer that breaks
    /// a rule on every frame (or offers 4,000 subprotocols) cannot flood the output.
    public var maxAnomaliesPerKind: Int
    /// The longest anomaly detail, in bytes (default 1 KiB); a longer one is cut at a character
    /// boundary and says how much was left out. Details quote wire data such as header values.
    public var maxAnomalyDetailBytes: Int
    /// Decode connections whose handshake was not captured (default on).
    public var detectMidstream: Bool

    public init(
        maxMessageBytes: Int = InflateConfiguration.defaultMaxMessageBytes,
        maxInflatedBytes: Int = InflateConfiguration.defaultMaxInflatedBytes, maxHeadBytes: Int = 64 << 10,
        maxResynchronizationBytes: Int = 256 << 10, maxPendingBytes: Int = 1 << 20, maxFragmentLengths: Int = 1 << 16, maxAnomaliesPerKind: Int = 100,
        maxAnomalyDetailBytes: Int = 1 << 10, detectMidstream: Bool = true
    ) {
        self.maxMessageBytes = maxMessageBytes
        self.maxInflatedBytes = maxInflatedBytes
        self.maxHeadBytes = maxHeadBytes
        self.maxResynchronizationBytes = maxResynchronizationBytes
        self.maxPendingBytes = maxPendingBytes
        self.maxFragmentLengths = maxFragmentLengths
        self.maxAnomaliesPerKind = maxAnomaliesPerKind
        self.maxAnomalyDetailBytes = maxAnomalyDetailBytes
        self.detectMidstream = detectMidstream
    }
}
