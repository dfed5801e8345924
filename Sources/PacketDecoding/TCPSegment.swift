/// The TCP control bits wstap acts on.
public struct TCPFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
}

/// One TCP segment decoded from a captured packet: what the reassembler needs and nothing more.
///
/// The payload is a copy because libpcap reuses its packet buffer on the next read; the reassembler
/// may need to hold out-of-order data for a while.
public struct TCPSegment: Sendable {
    public var timestamp: Timestamp
    public var source: Endpoint
    public var destination: Endpoint
    public var sequenceNumber: UInt32
    public var acknowledgmentNumber: UInt32
    public var flags: TCPFlags
    /// The TCP payload bytes that were captured.
    public var payload: [UInt8]
    /// Payload bytes the sender sent but the capture did not keep (cut by snaplen). Non-zero means
    /// the reassembler must treat the missing tail as lost data, not as absent data.
    public var missingPayloadBytes: Int

    public init(
        timestamp: Timestamp, source: Endpoint, destination: Endpoint,
        sequenceNumber: UInt32, acknowledgmentNumber: UInt32, flags: TCPFlags,
        payload: [UInt8], missingPayloadBytes: Int = 0
    ) {
        self.timestamp = timestamp
        self.source = source
        self.destination = destination
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.flags = flags
        self.payload = payload
        self.missingPayloadBytes = missingPayloadBytes
    }
}
