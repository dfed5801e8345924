import PacketDecoding

/// How a live capture is keeping up, reported periodically and at the end of `sniff`: on standard
/// error as one line, and with `--format jsonl` as a `stats` event (docs/jsonl.md), so that lost
/// packets are never silent.
public struct LiveCaptureReport: Sendable, Equatable {
    /// Wall-clock time of the report.
    public var timestamp: Timestamp
    /// Packets the kernel counted for the filter (`pcap_stats` `ps_recv`; nil when it gave none).
    public var received: UInt64?
    /// Packets the kernel dropped because its ring was full (`ps_drop`).
    public var droppedByKernel: UInt64?
    /// Packets copied out of the ring by the capture thread.
    public var captured: UInt64
    /// Packets dropped because the queue to the decoder was full.
    public var droppedByQueue: UInt64
    /// The most packets and bytes that waited for the decoder at once, and the queue's bound.
    public var queueHighWaterPackets: Int
    public var queueHighWaterBytes: Int
    public var maxQueuedBytes: Int
    /// Packets decoded so far.
    public var decoded: UInt64
    /// True for the report printed when the capture stopped.
    public var isFinal: Bool

    public init(
        timestamp: Timestamp, received: UInt64?, droppedByKernel: UInt64?, captured: UInt64, droppedByQueue: UInt64,
        queueHighWaterPackets: Int, queueHighWaterBytes: Int, maxQueuedBytes: Int, decoded: UInt64, isFinal: Bool
    ) {
        self.timestamp = timestamp
        self.received = received
        self.droppedByKernel = droppedByKernel
        self.captured = captured
        self.droppedByQueue = droppedByQueue
        self.queueHighWaterPackets = queueHighWaterPackets
        self.queueHighWaterBytes = queueHighWaterBytes
        self.maxQueuedBytes = maxQueuedBytes
        self.decoded = decoded
        self.isFinal = isFinal
    }

    /// True when a packet was lost on the way (kernel or queue).
    public var lostPackets: Bool { (droppedByKernel ?? 0) > 0 || droppedByQueue > 0 }

    /// The standard-error line, e.g. `stats: 1200 packets received, 0 dropped by kernel, 0 dropped
    /// by queue (high-water 812 packets, 1.1 of 64 MiB), 1200 decoded`.
    public var line: String {
        let kernel = received.map { "\($0) packets received by filter, \(droppedByKernel ?? 0) dropped by kernel" }
            ?? "\(captured) packets captured"
        let megabytes = Double(queueHighWaterBytes) / 1_048_576
        let rounded = (megabytes * 10).rounded() / 10
        return "\(isFinal ? "final stats" : "stats"): \(kernel), \(droppedByQueue) dropped by queue "
            + "(high-water \(queueHighWaterPackets) packets, \(rounded) of \(maxQueuedBytes >> 20) MiB), \(decoded) decoded"
    }

    /// The JSON Lines `stats` event.
    public func appendJSON(to output: inout [UInt8]) {
        output.append(contentsOf: #"{"event":"stats""#.utf8)
        JSONEncoding.appendKey("ts", to: &output)
        JSONEncoding.appendRaw(timestamp.description, to: &output)
        JSONEncoding.appendIntegerField("received", received, to: &output)
        JSONEncoding.appendIntegerField("kernel_drops", droppedByKernel, to: &output)
        JSONEncoding.appendIntegerField("captured", captured, to: &output)
        JSONEncoding.appendIntegerField("queue_drops", droppedByQueue, to: &output)
        JSONEncoding.appendIntegerField("queue_high_water_packets", queueHighWaterPackets, to: &output)
        JSONEncoding.appendIntegerField("queue_high_water_bytes", queueHighWaterBytes, to: &output)
        JSONEncoding.appendIntegerField("max_queue_bytes", maxQueuedBytes, to: &output)
        JSONEncoding.appendIntegerField("decoded", decoded, to: &output)
        JSONEncoding.appendKey("final", to: &output)
        JSONEncoding.appendBool(isFinal, to: &output)
        output.append(contentsOf: "}\n".utf8)
    }
}
