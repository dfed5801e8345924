import PacketDecoding
import WebSocketProtocol
import WebSocketInspection

/// Per-direction totals of one connection.
public struct DirectionTotals: Sendable, Equatable {
    public var messages = 0
    /// Payload bytes as sent on the wire (after unmasking, before decompression).
    public var wireBytes: UInt64 = 0
    /// Payload bytes after decompression.
    public var payloadBytes: UInt64 = 0
    public var gapBytes: UInt64 = 0
    /// Text and binary messages (the rest are ping, pong, close and reserved opcodes).
    public var dataMessages = 0
    /// Messages sent with permessage-deflate (RSV1).
    public var compressedMessages = 0
    /// Separate `gap` events (lost stretches of TCP data).
    public var gaps = 0
    public init() {}
}

/// One WebSocket connection as a whole: what exports, the sessions overview and replay work from.
public struct RecordedConnection: Sendable {
    public var info: WebSocketConnectionInfo
    /// Every message in capture order (empty when the recorder does not keep messages).
    public var messages: [WebSocketMessage] = []
    /// The first `SessionRecorder.maxAnomaliesPerConnection` anomalies; `anomalyCounts` counts all.
    public var anomalies: [InspectorAnomaly] = []
    /// Every anomaly kind seen on the connection and how often.
    public var anomalyCounts: [AnomalyKind: Int] = [:]
    public var close: ConnectionClose?
    /// Ping → pong round trips, matched by payload.
    public var roundTrips = RoundTripStatistics()
    /// The close frames of the closing handshake: the first is who closed first, the second the
    /// answer (further close frames are protocol violations and reported as anomalies).
    public var closeFrames: [CloseFrameRecord] = []
    /// Where a browser client would have fired `error` (nil: it would not have).
    public var browserError: BrowserErrorEvent?
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
    /// TLS connections that were not decrypted (no key …): listed so the overview misses nothing.
    public private(set) var undecrypted: [UndecryptedConnection] = []
    /// Anomalies that belong to no connection (e.g. a global reassembly limit).
    public private(set) var globalAnomalies: [InspectorAnomaly] = []
    /// Anomalies kept per connection (default 100) and in `globalAnomalies`; beyond it they are
    /// only counted, so that a hostile capture cannot grow the overview without bound.
    public let maxAnomaliesPerConnection: Int

    public init(keepsMessages: Bool, maxAnomaliesPerConnection: Int = 100) {
        self.keepsMessages = keepsMessages
        self.maxAnomaliesPerConnection = maxAnomaliesPerConnection
    }

    /// The capture ended: settles what can only be known then (pings never answered, a connection
    /// that ended without a closing handshake).
    public func finish() {
        for position in connections.indices {
            connections[position].roundTrips.finish()
            connections[position].settleAbnormalClosure()
        }
    }

    public func record(_ event: InspectorEvent) {
        switch event {
        case .open(let info):
            index[info.connection] = connections.count
            connections.append(RecordedConnection(info: info))
        case .refused(let refusal):
            refused.append(refusal)
        case .undecrypted(let connection):
            undecrypted.append(connection)
        case .message(let message):
            update(message.connection, message.timestamp) { connection in
                var totals = connection.totals(message.direction)
                totals.messages += 1
                totals.wireBytes += message.wireLength
                totals.payloadBytes += message.length
                if message.opcode == .text || message.opcode == .binary { totals.dataMessages += 1 }
                if message.compressed { totals.compressedMessages += 1 }
                if message.direction == .clientToServer { connection.fromClient = totals } else { connection.fromServer = totals }
                if keepsMessages { connection.messages.append(message) }
                connection.roundTrips.record(message)
                if message.opcode == .close && connection.closeFrames.count < 2 {
                    connection.closeFrames.append(CloseFrameRecord(
                        direction: message.direction, timestamp: message.timestamp, code: message.closeCode,
                        reason: message.closeReason ?? ""))
                }
            }
        case .gap(let connection, let timestamp, let direction, let bytes):
            update(connection, timestamp) {
                if direction == .clientToServer {
                    $0.fromClient.gapBytes += bytes
                    $0.fromClient.gaps += 1
                } else {
                    $0.fromServer.gapBytes += bytes
                    $0.fromServer.gaps += 1
                }
            }
        case .anomaly(let anomaly):
            guard let connection = anomaly.connection, index[connection] != nil else {
                if globalAnomalies.count < maxAnomaliesPerConnection { globalAnomalies.append(anomaly) }
                return
            }
            update(connection, anomaly.timestamp) { connection in
                if connection.anomalies.count < maxAnomaliesPerConnection { connection.anomalies.append(anomaly) }
                connection.anomalyCounts[anomaly.kind, default: 0] += 1
                if connection.browserError == nil && BrowserFailure.failsBrowser(anomaly) {
                    connection.browserError = BrowserErrorEvent(timestamp: anomaly.timestamp, cause: .anomaly(anomaly.kind))
                }
            }
        case .close(let close):
            update(close.connection, close.timestamp) {
                $0.close = close
                $0.settleAbnormalClosure()
            }
        }
    }

    private func update(_ connection: Int, _ timestamp: Timestamp, _ body: (inout RecordedConnection) -> Void) {
        guard let position = index[connection] else { return }
        body(&connections[position])
        if connections[position].lastTimestamp < timestamp { connections[position].lastTimestamp = timestamp }
    }
}
