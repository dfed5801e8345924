import WebSocketInspection
import PacketDecoding
import WebSocketProtocol

/// Ping → pong round-trip times of one connection, computed as messages arrive so that the sessions
/// overview needs no message history: only the pings still waiting for their pong are kept.
public struct RoundTripStatistics: Sendable, Equatable {
    /// Pings answered by a pong with the same payload.
    public private(set) var count = 0
    public private(set) var minimum: Double = .infinity
    public private(set) var maximum: Double = 0
    public private(set) var total: Double = 0
    /// Pings whose pong never came (or came with another payload) by the end of the capture.
    public private(set) var unanswered = 0
    /// Pings waiting for a pong, oldest first: (sender, payload, time).
    private var pending: [(direction: WebSocketDirection, payload: [UInt8], time: Timestamp)] = []
    /// Outstanding pings remembered per connection (default 64). A peer that pings without ever
    /// getting answers cannot make the overview grow without bound: the oldest is given up.
    public var maxPendingPings = 64

    public init() {}

    /// Average round trip in seconds, nil when no ping was answered.
    public var average: Double? { count == 0 ? nil : total / Double(count) }

    mutating func record(_ message: WebSocketMessage) {
        if message.opcode == .ping {
            if pending.count >= maxPendingPings {
                pending.removeFirst()
                unanswered += 1
            }
            pending.append((message.direction, message.payload, message.timestamp))
        } else if message.opcode == .pong {
            // RFC 6455 §5.5.3: a pong echoes the payload of the ping it answers; a pong with another
            // payload (unsolicited heartbeat) measures nothing.
            guard let index = pending.firstIndex(where: { $0.direction != message.direction && $0.payload == message.payload }) else {
                return
            }
            // Pings before the answered one with the same sender were overtaken: a peer answers only
            // the most recent ping (§5.5.3 allows skipping), so those will never be answered.
            let sender = pending[index].direction
            let skipped = pending[..<index].filter { $0.direction == sender }.count
            let rtt = max(0, message.timestamp.seconds(since: pending[index].time))
            pending.removeSubrange(pending.startIndex...index)
            unanswered += skipped
            count += 1
            total += rtt
            minimum = Swift.min(minimum, rtt)
            maximum = Swift.max(maximum, rtt)
        }
    }

    /// The capture ended: pings still waiting were never answered.
    mutating func finish() {
        unanswered += pending.count
        pending.removeAll()
    }

    public static func == (lhs: RoundTripStatistics, rhs: RoundTripStatistics) -> Bool {
        lhs.count == rhs.count && lhs.total == rhs.total && lhs.minimum == rhs.minimum && lhs.maximum == rhs.maximum
            && lhs.unanswered == rhs.unanswered
    }
}

/// One close frame as a peer sent it.
public struct CloseFrameRecord: Sendable, Equatable {
    public var direction: WebSocketDirection
    public var timestamp: Timestamp
    /// Nil for a close frame without a body (which a browser reports as 1005).
    public var code: UInt16?
    public var reason: String
}

/// The states of the browser WebSocket API (`WebSocket.readyState`).
public enum BrowserReadyState: String, Sendable {
    case connecting = "CONNECTING"
    case open = "OPEN"
    case closing = "CLOSING"
    case closed = "CLOSED"
}

/// One step of the browser-API view of a connection; `timestamp` is nil when the capture does not
/// show when it happened (the Upgrade request's own time is not reported by the pipeline, and a
/// mid-stream pickup never saw the handshake).
public struct BrowserStateChange: Sendable {
    public var state: BrowserReadyState
    public var timestamp: Timestamp?
}

/// Where a browser client would have fired an `error` event, and why.
public struct BrowserErrorEvent: Sendable {
    public var timestamp: Timestamp
    /// What fails the connection: an anomaly, or no close frame at all (1006).
    public var cause: BrowserErrorCause
}

/// Why a browser would fire `error`.
public enum BrowserErrorCause: Sendable, Equatable, CustomStringConvertible {
    /// An anomaly that fails the connection (`BrowserFailure`).
    case anomaly(AnomalyKind)
    /// The connection ended without a close frame: the browser reports 1006.
    case abnormalClosure

    /// The name output uses: the anomaly's name, or `abnormal_closure`.
    public var description: String {
        switch self {
        case .anomaly(let kind): return kind.name
        case .abnormalClosure: return "abnormal_closure"
        }
    }
}

/// Anomaly kinds after which a browser (the client) fails the WebSocket connection (RFC 6455 §7.1.7):
/// a bad handshake answer, or a frame from the server that breaks the protocol.
enum BrowserFailure {
    static let handshakeKinds: Set<AnomalyKind> = [.wrongAccept, .missingAccept, .unofferedExtension, .unofferedSubprotocol]
    static let serverFrameKinds: Set<AnomalyKind> = [
        .maskedServerFrame, .unnegotiatedRSV, .rsv1OnContinuation, .reservedOpcode, .controlFrameTooLong,
        .fragmentedControlFrame, .unexpectedContinuation, .unfinishedFragmentedMessage, .invalidUTF8,
        .invalidCloseCode, .invalidClosePayload, .invalidFrameHeader, .undecodableCompressedMessage,
    ]

    static func failsBrowser(_ anomaly: InspectorAnomaly) -> Bool {
        if handshakeKinds.contains(anomaly.kind) { return true }
        return anomaly.direction == .serverToClient && serverFrameKinds.contains(anomaly.kind)
    }
}
