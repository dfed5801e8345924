import PacketDecoding

/// Packets copied out of libpcap's ring in one go, so that they can cross from the capture thread to
/// the decoding thread: one contiguous byte buffer plus one small record per packet.
///
/// A value (and `Sendable`) because it changes hands exactly once; copying the bytes out of the ring
/// is what frees the ring for the kernel while decoding still runs.
public struct PacketBatch: Sendable {
    struct Record: Sendable {
        var seconds: Int64
        var nanoseconds: UInt32
        var offset: Int
        var capturedLength: Int
        var originalLength: Int
    }

    private(set) var bytes: [UInt8] = []
    private var records: [Record] = []

    public init(reservingBytes: Int = 0) {
        bytes.reserveCapacity(reservingBytes)
    }

    public var packetCount: Int { records.count }
    public var byteCount: Int { bytes.count }
    public var isEmpty: Bool { records.isEmpty }

    /// Copies one packet in (its bytes are only valid until libpcap's next read).
    public mutating func append(_ packet: CapturedPacket) {
        records.append(Record(
            seconds: packet.timestamp.seconds, nanoseconds: packet.timestamp.nanoseconds,
            offset: bytes.count, capturedLength: packet.bytes.count, originalLength: packet.originalLength))
        bytes.append(contentsOf: packet.bytes)
    }

    /// Hands each packet over in capture order; its bytes are valid only during the call.
    public func forEach(_ body: (CapturedPacket) -> Void) {
        bytes.withUnsafeBytes { all in
            for record in records {
                let slice = UnsafeRawBufferPointer(rebasing: all[record.offset..<(record.offset + record.capturedLength)])
                body(CapturedPacket(
                    timestamp: Timestamp(seconds: record.seconds, nanoseconds: record.nanoseconds),
                    capturedLength: record.capturedLength, originalLength: record.originalLength, bytes: slice))
            }
        }
    }
}
