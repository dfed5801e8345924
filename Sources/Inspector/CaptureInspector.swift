import PacketCapture
import PacketDecoding
import TCPReassembly
import WebSocketInspection
import WebSocketProtocol

/// Limits for the whole pipeline, gathered so the CLI can set them from flags.
public struct InspectorConfiguration: Sendable {
    public var reassembly: TCPAssemblerConfiguration
    public var inspection: InspectionConfiguration

    public init(reassembly: TCPAssemblerConfiguration = .init(), inspection: InspectionConfiguration = .init()) {
        self.reassembly = reassembly
        self.inspection = inspection
    }
}

/// Counts of what the pipeline saw, for warnings and summaries.
public struct InspectorStatistics: Sendable {
    public var packets = 0
    public var tcpSegments = 0
    public var notTCP = 0
    public var fragments = 0
    public var malformed = 0
    /// Packets whose payload the capture cut short (snapshot length).
    public var cutBySnapshotLength = 0
    public var bytesCutBySnapshotLength = 0
    public var firstMalformedReason: String?
}

/// The offline and live pipeline: packets in, `InspectorEvent`s out, in order.
///
/// Packet decoding → TCP reassembly → one `ConnectionAnalyzer` per TCP connection. Time is the
/// packets' time throughout, so the same file always gives the same events.
public final class CaptureInspector {
    private let decoder: PacketDecoder
    private var assembler: TCPAssembler
    private let configuration: InspectorConfiguration
    private var analyzers: [Int: ConnectionAnalyzer] = [:]
    private let emit: (InspectorEvent) -> Void
    public private(set) var statistics = InspectorStatistics()

    /// Fails (returns nil) for a link type the decoder does not know.
    public init?(linkType: LinkType, configuration: InspectorConfiguration = .init(), emit: @escaping (InspectorEvent) -> Void) {
        guard let decoder = PacketDecoder(linkType: linkType) else { return nil }
        self.decoder = decoder
        self.configuration = configuration
        self.assembler = TCPAssembler(configuration: configuration.reassembly)
        self.emit = emit
    }

    /// Decodes one captured packet and reports whatever it completes.
    public func process(_ packet: CapturedPacket) {
        statistics.packets += 1
        switch decoder.decode(packet.bytes, originalLength: packet.originalLength, timestamp: packet.timestamp) {
        case .tcp(let segment):
            statistics.tcpSegments += 1
            if segment.missingPayloadBytes > 0 {
                statistics.cutBySnapshotLength += 1
                statistics.bytesCutBySnapshotLength += segment.missingPayloadBytes
            }
            assembler.process(segment) { handle($0) }
        case .notTCP:
            statistics.notTCP += 1
        case .fragment:
            statistics.fragments += 1
        case .malformed(let reason):
            statistics.malformed += 1
            if statistics.firstMalformedReason == nil { statistics.firstMalformedReason = reason }
        }
    }

    /// The capture ended: flush every connection.
    public func finish() {
        assembler.finish { handle($0) }
        for id in analyzers.keys.sorted() {
            analyzers[id]?.finish(reason: .endOfCapture, at: .zero, emit)
        }
        analyzers.removeAll()
    }

    private func handle(_ event: TCPStreamEvent) {
        switch event {
        case .opened(let info):
            analyzers[info.id] = ConnectionAnalyzer(info: info, configuration: configuration.inspection)
        case .data(let connection, let side, let bytes, let timestamp):
            guard let analyzer = analyzers[connection] else { return }
            analyzer.receive(bytes, from: side, at: timestamp, emit)
            if analyzer.isIgnored { analyzers[connection] = nil }
        case .gap(let connection, let side, let byteCount, let timestamp):
            analyzers[connection]?.receiveGap(byteCount, from: side, at: timestamp, emit)
        case .closed(let connection, let reason, let timestamp):
            analyzers[connection]?.finish(reason: reason, at: timestamp, emit)
            analyzers[connection] = nil
        case .anomaly(let connection, let kind, let detail, let timestamp):
            // Reassembly trouble matters only on connections that carry WebSocket (or when global).
            if let connection, analyzers[connection] == nil { return }
            emit(.anomaly(InspectorAnomaly(connection: connection, timestamp: timestamp, direction: nil, kind: AnomalyKind(tcp: kind), detail: detail)))
        }
    }
}
