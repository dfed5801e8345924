import MessageDecoding
import PacketCapture
import PacketDecoding
import TCPReassembly
import WebSocketInspection
import WebSocketProtocol

/// The offline and live pipeline: packets in, `InspectorEvent`s out, in order.
///
/// Packet decoding → TCP reassembly → (a stream layer, seam 1) → one `ConnectionAnalyzer` per TCP
/// connection → (a message decoder, seam 2) → events, with anomalies bounded per connection. Time is
/// the packets' time throughout, so the same file always gives the same events.
public final class CaptureInspector {
    private let decoder: PacketDecoder
    private var assembler: TCPAssembler
    private let configuration: InspectorConfiguration
    private var analyzers: [Int: ConnectionAnalyzer] = [:]
    private var layers: [Int: any StreamLayer] = [:]
    /// The endpoints of connections with a stream layer, for the report of one it could not open.
    private var layeredConnections: [Int: TCPConnectionInfo] = [:]
    private var messageDecoders: [Int: any MessageDecoder] = [:]
    private var anomalyLimiter: AnomalyLimiter
    private let emit: (InspectorEvent) -> Void
    public private(set) var statistics = InspectorStatistics()

    /// Fails (returns nil) for a link type the decoder does not know.
    public init?(linkType: LinkType, configuration: InspectorConfiguration = .init(), emit: @escaping (InspectorEvent) -> Void) {
        guard let decoder = PacketDecoder(linkType: linkType) else { return nil }
        self.decoder = decoder
        self.configuration = configuration
        self.assembler = TCPAssembler(configuration: configuration.reassembly)
        self.anomalyLimiter = AnomalyLimiter(configuration: configuration.inspection)
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

    /// A live capture is idle: layers waiting for something outside the capture (a key log file
    /// still being written) look again.
    public func poll() {
        for (connection, layer) in layers where layer.isWaiting {
            layer.poll { layered($0, connection: connection) }
        }
    }

    /// The capture ended: flush every connection.
    public func finish() {
        assembler.finish { handle($0) }
        for id in analyzers.keys.sorted() {
            finishConnection(id, reason: .endOfCapture, at: .zero)
        }
        for anomaly in anomalyLimiter.finish(connection: nil, at: .zero) { emit(.anomaly(anomaly)) }
    }

    private func handle(_ event: TCPStreamEvent) {
        switch event {
        case .opened(let info):
            analyzers[info.id] = ConnectionAnalyzer(info: info, configuration: configuration.inspection)
            if let layer = configuration.streamLayers.make(info) {
                layers[info.id] = layer
                layeredConnections[info.id] = info
            }
        case .data(let connection, let side, let bytes, let timestamp):
            if let layer = layers[connection] {
                layer.receive(bytes, from: side, at: timestamp) { layered($0, connection: connection) }
            } else {
                analyze(bytes, connection: connection, side: side, at: timestamp)
            }
        case .gap(let connection, let side, let byteCount, let timestamp):
            if let layer = layers[connection] {
                layer.receiveGap(byteCount, from: side, at: timestamp) { layered($0, connection: connection) }
            } else {
                analyzers[connection]?.receiveGap(byteCount, from: side, at: timestamp) { deliver($0) }
            }
        case .closed(let connection, let reason, let timestamp):
            finishConnection(connection, reason: reason, at: timestamp)
        case .anomaly(let connection, let kind, let detail, let timestamp):
            // Reassembly trouble matters only on connections that carry WebSocket (or when global).
            if let connection, analyzers[connection] == nil { return }
            deliver(.anomaly(InspectorAnomaly(connection: connection, timestamp: timestamp, direction: nil, kind: AnomalyKind(tcp: kind), detail: detail)))
        }
    }

    private func analyze(_ bytes: ArraySlice<UInt8>, connection: Int, side: StreamSide, at timestamp: Timestamp) {
        guard let analyzer = analyzers[connection] else { return }
        analyzer.receive(bytes, from: side, at: timestamp) { deliver($0) }
        if analyzer.isIgnored {
            // Not WebSocket: nothing downstream needs this connection's bytes any more.
            analyzers[connection] = nil
            layers[connection] = nil
            layeredConnections[connection] = nil
        }
    }

    /// What a connection's stream layer handed on.
    private func layered(_ output: StreamLayerOutput, connection: Int) {
        switch output {
        case .data(let side, let bytes, let timestamp):
            analyze(bytes, connection: connection, side: side, at: timestamp)
        case .gap(let side, let byteCount, let timestamp):
            analyzers[connection]?.receiveGap(byteCount, from: side, at: timestamp) { deliver($0) }
        case .anomaly(let kind, let detail, let timestamp):
            deliver(.anomaly(InspectorAnomaly(connection: connection, timestamp: timestamp, direction: nil, kind: kind, detail: detail)))
        }
    }

    private func finishConnection(_ connection: Int, reason: TCPCloseReason, at timestamp: Timestamp) {
        let info = layeredConnections.removeValue(forKey: connection)
        if let layer = layers[connection] {
            // Still registered while it flushes: an `open` it completes carries its TLS session.
            layer.finish(at: timestamp) { layered($0, connection: connection) }
            layers[connection] = nil
            if let stream = layer.undecrypted, let info {
                deliver(.undecrypted(UndecryptedConnection(
                    connection: connection, start: stream.start, timestamp: stream.end, client: info.initiator, server: info.responder,
                    tls: stream.tls, reason: stream.reason, detail: stream.detail,
                    bytesFromClient: stream.bytesFromClient, bytesFromServer: stream.bytesFromServer)))
            }
        }
        analyzers.removeValue(forKey: connection)?.finish(reason: reason, at: timestamp) { deliver($0) }
        // A connection that never became WebSocket (or was given up) has no close event to carry
        // its summary; its counts are forgotten here in any case, so they cannot pile up.
        for anomaly in anomalyLimiter.finish(connection: connection, at: timestamp) { emit(.anomaly(anomaly)) }
    }

    /// Every event passes here on its way out: decoders annotate messages, anomalies are bounded.
    private func deliver(_ event: InspectorEvent) {
        switch event {
        case .anomaly(let anomaly):
            guard let admitted = anomalyLimiter.admit(anomaly) else { return }
            emit(.anomaly(admitted))
        case .open(var info):
            info.tls = layers[info.connection]?.tlsSession
            if let chosen = configuration.messageDecoders.decoder(connection: info.connection, subprotocol: info.subprotocol, path: info.path) {
                messageDecoders[info.connection] = chosen.decoder
            }
            emit(.open(info))
        case .message(var message):
            // Taken out of the table while it works, so that its state (pending ids, buffers) is
            // uniquely referenced and mutated in place rather than copied on every message.
            if var decoder = messageDecoders.removeValue(forKey: message.connection) {
                message.annotation = decoder.annotate(DecodableMessage(
                    direction: message.direction, opcode: message.opcode, payload: message.payload,
                    isComplete: !message.truncated && !message.isIncomplete && (!message.compressed || message.decompressed),
                    time: message.timestamp.secondsValue))
                messageDecoders[message.connection] = decoder
                let problems = message.annotation?.problems ?? []
                if message.annotation?.isProblemOnly == true { message.annotation = nil }
                emit(.message(message))
                for problem in problems {
                    deliver(.anomaly(InspectorAnomaly(
                        connection: message.connection, timestamp: message.timestamp, direction: message.direction,
                        kind: AnomalyKind(decoder: problem.kind), detail: problem.detail)))
                }
            } else {
                emit(event)
            }
        case .close(let close):
            if var decoder = messageDecoders.removeValue(forKey: close.connection) {
                for problem in decoder.finish() {
                    deliver(.anomaly(InspectorAnomaly(
                        connection: close.connection, timestamp: close.timestamp, direction: nil,
                        kind: AnomalyKind(decoder: problem.kind), detail: problem.detail)))
                }
            }
            // The summary of suppressed anomalies belongs to the connection: before its close.
            for anomaly in anomalyLimiter.finish(connection: close.connection, at: close.timestamp) { emit(.anomaly(anomaly)) }
            emit(event)
        case .refused, .gap, .undecrypted:
            emit(event)
        }
    }
}
