import PacketCapture
import PacketDecoding
import TCPReassembly
import WebSocketInspection

/// What `CaptureLoop`, `CaptureReader` and `sniff` drive: packets in, events out in capture order.
/// `CaptureInspector` does it all on the calling thread; `ShardedCaptureInspector` spreads the
/// connections over worker threads and gives the same events in the same order.
public protocol PacketInspecting: AnyObject {
    /// Decodes one captured packet; what it completes is reported (at once, or by a later call).
    func process(_ packet: CapturedPacket)
    /// A live capture is idle: layers waiting for something outside the capture (a key log file
    /// still being written) look again.
    func poll()
    /// Everything processed so far is reported (output is due on a live capture).
    func flush()
    /// The capture ended: every connection is flushed and every event reported.
    func finish()
    /// Counts of the packets seen so far.
    var statistics: InspectorStatistics { get }
}

/// The offline and live pipeline on one thread: packets in, `InspectorEvent`s out, in order.
///
/// Packet decoding and TCP reassembly (`PacketFront`) → the connections' stream layers, analyzers
/// and message decoders (`ConnectionPipeline`) → events. Time is the packets' time throughout, so
/// the same file always gives the same events. `--threads 1` is this path.
public final class CaptureInspector: PacketInspecting {
    private var front: PacketFront
    private let pipeline: ConnectionPipeline
    public var statistics: InspectorStatistics { front.statistics }

    /// Fails (returns nil) for a link type the decoder does not know.
    public init?(linkType: LinkType, configuration: InspectorConfiguration = .init(), emit: @escaping (InspectorEvent) -> Void) {
        guard let front = PacketFront(linkType: linkType, configuration: configuration.reassembly) else { return nil }
        self.front = front
        self.pipeline = ConnectionPipeline(configuration: configuration, emit: emit)
    }

    /// Decodes one captured packet and reports whatever it completes.
    public func process(_ packet: CapturedPacket) {
        front.process(packet) { pipeline.handle($0) }
    }

    public func poll() {
        pipeline.poll()
    }

    /// Nothing to do: every event is reported as soon as its packet is processed.
    public func flush() {}

    /// The capture ended: flush every connection.
    public func finish() {
        front.finish { pipeline.handle($0) }
        for connection in pipeline.openConnections { pipeline.finish(connection: connection) }
        pipeline.finishCapture()
    }
}
