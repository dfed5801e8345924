import WebSocketProtocol

/// Seam 2 of the pipeline: an application protocol decoder for the messages of one WebSocket
/// connection (Socket.IO, MQTT, STOMP, GraphQL over WebSocket, JSON-RPC …), in the manner of Zeek's
/// child analyzers chosen by subprotocol.
///
/// Contract:
/// - One instance per connection, made by a `MessageDecoderFactory` when the connection opens, so
///   it may keep per-connection state (pending request ids, a session id, a topic table).
/// - It sees every message of the connection in capture order, both directions, after unmasking,
///   defragmentation and decompression.
/// - It annotates and never alters: the message's payload, length and flags reach every output
///   exactly as the WebSocket layer decoded them, whatever the decoder says.
/// - It must not trust the payload: any bytes may arrive, and a message it cannot read gets an
///   annotation that says so (or none), never a crash. What it keeps is bounded by its own named
///   `max…` limits.
public protocol MessageDecoder {
    /// Reads one message; nil when there is nothing to say about it.
    mutating func annotate(_ message: DecodableMessage) -> MessageAnnotation?
}

/// What a decoder is shown of a message: the decoded payload and where it came from.
public struct DecodableMessage: Sendable {
    public var direction: WebSocketDirection
    public var opcode: WebSocketOpcode
    /// The payload as decoded by the WebSocket layer; `isComplete` is false when it is cut short
    /// (lost bytes, a size cap) or still compressed, and then it is not the whole message.
    public var payload: [UInt8]
    public var isComplete: Bool
    /// Seconds since the epoch, for latencies between requests and answers.
    public var time: Double

    public init(direction: WebSocketDirection, opcode: WebSocketOpcode, payload: [UInt8], isComplete: Bool, time: Double) {
        self.direction = direction
        self.opcode = opcode
        self.payload = payload
        self.isComplete = isComplete
        self.time = time
    }
}

/// What a decoder says about one message: the protocol, a one-line summary for people and named
/// fields for scripts (JSON Lines `decoded` object).
public struct MessageAnnotation: Sendable, Equatable {
    /// The protocol's stable name, e.g. `socket.io`, `mqtt`.
    public var protocolName: String
    /// One line for the text view, e.g. `PUBLISH sensors/1 qos=1`.
    public var summary: String
    /// Named values in a stable order.
    public var fields: [Field]

    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(protocolName: String, summary: String, fields: [Field] = []) {
        self.protocolName = protocolName
        self.summary = summary
        self.fields = fields
    }
}
