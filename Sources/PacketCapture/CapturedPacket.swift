import PacketDecoding

/// One packet as libpcap handed it over, before any decoding.
///
/// Deliberately not `Sendable` and not copied: `bytes` points into libpcap's packet buffer, which the
/// next `PacketSource.nextPacket()` call overwrites. Decoding straight from that buffer keeps the hot
/// path free of allocations; whatever must outlive the call (the TCP payload) is copied by the decoder.
public struct CapturedPacket {
    /// When the packet was captured, with nanosecond precision where the capture has it.
    public var timestamp: Timestamp
    /// How many bytes the capture kept (at most the snapshot length): the size of `bytes`.
    public var capturedLength: Int
    /// How long the packet was on the wire; larger than `capturedLength` when the snapshot length cut it.
    public var originalLength: Int
    /// The captured bytes, valid only until the next `nextPacket()` call on the same source.
    public var bytes: UnsafeRawBufferPointer

    public init(timestamp: Timestamp, capturedLength: Int, originalLength: Int, bytes: UnsafeRawBufferPointer) {
        self.timestamp = timestamp
        self.capturedLength = capturedLength
        self.originalLength = originalLength
        self.bytes = bytes
    }
}
