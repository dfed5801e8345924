import PacketCapture
import PacketDecoding
import TCPReassembly

/// The half of the pipeline before the connections are told apart: link, IP and TCP headers
/// decoded, segments reassembled into per-connection stream events, and the counts of what was
/// seen.
///
/// Reassembly stays here, on the one thread that reads the capture, even when the connections'
/// analysis is spread over worker threads: connection numbers are handed out in order of first
/// appearance and the global limits (`maxConnections`, `maxBufferedBytesTotal`) are enforced over
/// the whole capture exactly as in a single-threaded read, so the output cannot depend on how many
/// threads ran. In-order payload is not copied by reassembly (events carry slices of the packet's
/// bytes), so what is left here is cheap next to inflating and formatting.
struct PacketFront {
    private let decoder: PacketDecoder
    private var assembler: TCPAssembler
    private(set) var statistics = InspectorStatistics()

    init?(linkType: LinkType, configuration: TCPAssemblerConfiguration) {
        guard let decoder = PacketDecoder(linkType: linkType) else { return nil }
        self.decoder = decoder
        self.assembler = TCPAssembler(configuration: configuration)
    }

    /// Decodes one captured packet and hands on whatever stream events it completes.
    mutating func process(_ packet: CapturedPacket, _ deliver: (TCPStreamEvent) -> Void) {
        statistics.packets += 1
        switch decoder.decode(packet.bytes, originalLength: packet.originalLength, timestamp: packet.timestamp) {
        case .tcp(let segment):
            statistics.tcpSegments += 1
            if segment.missingPayloadBytes > 0 {
                statistics.cutBySnapshotLength += 1
                statistics.bytesCutBySnapshotLength += segment.missingPayloadBytes
            }
            assembler.process(segment, deliver)
        case .notTCP:
            statistics.notTCP += 1
        case .fragment:
            statistics.fragments += 1
        case .malformed(let reason):
            statistics.malformed += 1
            if statistics.firstMalformedReason == nil { statistics.firstMalformedReason = reason }
        }
    }

    /// The capture ended: every connection still open is flushed and closed.
    mutating func finish(_ deliver: (TCPStreamEvent) -> Void) {
        assembler.finish(deliver)
    }
}
