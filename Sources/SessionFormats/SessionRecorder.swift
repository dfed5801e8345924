import PacketDecoding
import WebSocketInspection

/// Per-direction totals of one connection.
public struct DirectionTotals: Sendable, Equatable {
    public var messages = 0
    /// Payload bytes as sent on the wire (after unmasking, before decompression).
    public var wireBytes: UInt64 = 0
    /// Payload bytes after decompression.
    public var payloadBytes: UInt64 = 0
    public var gapBytes: UInt64 = 0
    public init() {}
}

/// One WebSocket connection as a whole: what exports, the sessions overview and replay work from.
public struct RecordedConnection: Sendable {
    public var info: WebSocketConnectionInfo
    /// Every message in capture order (empty when the recorder does not keep messages).
    public var messages: [WebSocketMessage] = []
    public var anomalies: [InspectorAnomaly] = []
    public var close: ConnectionClose?
    public var fromClient = DirectionTotals()
    public var fromServer = DirectionTotals()
    /// Time of the last event seen on the connection.
    public var lastTimestamp: Timestamp

    public init(info: WebSocketConnectionInfo) {
        self.info = info
        self.lastTimestamp = info.timestamp
    }

    public func totals(_ direction: WebSocketDirection) -> DirectionTotals {
        direction == .clientToServer ? fromClient : fromServer
    }
}

/// Collects `InspectorEvent`s into whole connections. Keeping messages costs memory in proportion
/// to the capture, so commands that only need totals (the sessions overview) turn it off.
public final class SessionRecorder {
    public let keepsMessages: Bool
    private var index: [Int: Int] = [:]
    public private(set) var connections: [RecordedConnection] = []
    public private(set) var refused: [RefusedUpgrade] = []
    /// Anomalies that belong to no connection (e.g. a global reassembly limit).
    public private(set) var globalAnomalies: [InspectorAnomaly] = []

    public init(keepsMessages: Bool) {
        self.keepsMessages = keepsMessages
    }

    public func record(_ event: InspectorEvent) {
        switch event {
        case .open(let info):
            index[info.connection] = connections.count
            connections.append(RecordedConnection(info: info))
        case .refused(let refusal):
            refused.append(refusal)
        case .message(let message):
            update(message.connection, message.timestamp) { connection in
                var totals = connection.totals(message.direction)
                totals.messages += 1
                totals.wireBytes += message.wireLength
                totals.payloadBytes += message.length
                if message.direction == .clientToServer { connection.fromClient = totals } else { connection.fromServer = totals }
                if keepsMessages { connection.messages.append(message) }
            }
        case .gap(let connection, let timestamp, let direction, let bytes):
            update(connection, timestamp) {
                if direction == .clientToServer { $0.fromClient.gapBytes += bytes } else { $0.fromServer.gapBytes += bytes }
            }
        case .anomaly(let anomaly):
            guard let connection = anomaly.connection, index[connection] != nil else {
                globalAnomalies.append(anomaly)
                return
            }
            update(connection, anomaly.timestamp) { $0.anomalies.append(anomaly) }
        case .close(let close):
            update(close.connection, close.timestamp) { $0.close = close }
        }
    }

    private func update(_ connection: Int, _ timestamp: Timestamp, _ body: (inout RecordedConnection) -> Void) {
        guard let position = index[connection] else { return }
        body(&connections[position])
        if connections[position].lastTimestamp < timestamp { connections[position].lastTimestamp = timestamp }
    }
}
