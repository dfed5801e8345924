import MessageDecoding
import PacketDecoding
import TCPReassembly
import WebSocketInspection
import WebSocketProtocol

/// The half of the pipeline after TCP reassembly: reassembled stream events in, `InspectorEvent`s
/// out, for any set of connections.
///
/// (a stream layer, seam 1) → one `ConnectionAnalyzer` per TCP connection → (a message decoder,
/// seam 2) → events, with anomalies bounded per connection. Every piece of state it keeps belongs to
/// one connection (or, for anomalies without a connection, to the capture as a whole), so the
/// connections of a capture can be split among several pipelines — one per worker thread of a
/// `ShardedCaptureInspector` — and each connection still gives exactly the events it gives in a
/// single pipeline.
final class ConnectionPipeline {
    private let configuration: InspectorConfiguration
    private var analyzers: [Int: ConnectionAnalyzer] = [:]
    private var layers: [Int: any StreamLayer] = [:]
    /// The endpoints of connections with a stream layer, for the report of one it could not open.
    private var layeredConnections: [Int: TCPConnectionInfo] = [:]
    private var messageDecoders: [Int: any MessageDecoder] = [:]
    private var anomalyLimiter: AnomalyLimiter
    private let emit: (InspectorEvent) -> Void

    init(configuration: InspectorConfiguration, emit: @escaping (InspectorEvent) -> Void) {
        self.configuration = configuration
        self.anomalyLimiter = AnomalyLimiter(configuration: configuration.inspection)
        self.emit = emit
    }

    /// The connections still open here, in the order their events must be flushed at the end.
    var openConnections: [Int] { analyzers.keys.sorted() }

    /// A live capture is idle: layers waiting for something outside the capture (a key log file
    /// still being written) look again.
    func poll() {
        for (connection, layer) in layers where layer.isWaiting {
            layer.poll { layered($0, connection: connection) }
        }
    }

    /// The capture ended and reassembly flushed: one connection still open is flushed.
    func finish(connection: Int) {
        finishConnection(connection, reason: .endOfCapture, at: .zero)
    }

    /// The capture ended: the summary of anomalies without a connection.
    func finishCapture() {
        for anomaly in anomalyLimiter.finish(connection: nil, at: .zero) { emit(.anomaly(anomaly)) }
    }

    func handle(_ event: TCPStreamEvent) {
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
