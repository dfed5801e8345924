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

    /// The connection closed: what is still pending (requests never answered, attachments never
    /// completed), reported once. Decoders without pending state need not implement it.
    mutating func finish() -> [MessageAnnotation.Problem]
}

extension MessageDecoder {
    public mutating func finish() -> [MessageAnnotation.Problem] { [] }
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

    /// What the decoder could not do with this message (it did not parse, a limit was hit): the
    /// inspector reports each as an anomaly of the connection, and the message goes out raw.
    public var problems: [Problem]

    public struct Field: Sendable, Equatable {
        public var name: String
        /// The value's text: a string's characters, a number's digits, or compact JSON text.
        public var value: String
        /// How JSON output writes `value`.
        public var kind: Kind

        public enum Kind: Sendable, Equatable {
            /// A JSON string.
            case string
            /// Written as is: a JSON number, `true`/`false`, or a compact JSON value (object,
            /// array) the decoder built or validated itself.
            case json
        }

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
            self.kind = .string
        }

        /// A field whose value is already JSON text (a number, a boolean, an object or array).
        public init(json name: String, _ value: String) {
            self.name = name
            self.value = value
            self.kind = .json
        }

        public init(_ name: String, _ value: some BinaryInteger) {
            self.init(json: name, String(value))
        }

        public init(_ name: String, _ value: Bool) {
            self.init(json: name, value ? "true" : "false")
        }
    }

    /// Something a decoder reports about a connection rather than says about a message.
    public struct Problem: Sendable, Equatable {
        public enum Kind: String, Sendable, Equatable {
            /// The message is not valid in the connection's application protocol.
            case undecodable
            /// A named decoder limit was reached (pending attachments, outstanding requests, buffer).
            case limit
            /// Requests still waiting for their answers when the connection closed.
            case unanswered
        }

        public var kind: Kind
        public var detail: String

        public init(_ kind: Kind, _ detail: String) {
            self.kind = kind
            self.detail = detail
        }
    }

    public init(protocolName: String, summary: String, fields: [Field] = [], problems: [Problem] = []) {
        self.protocolName = protocolName
        self.summary = summary
        self.fields = fields
        self.problems = problems
    }

    /// A message the decoder could not read: no decoded form, only the problem (the message is
    /// shown raw and the problem becomes an anomaly).
    public static func undecodable(_ protocolName: String, _ detail: String) -> MessageAnnotation {
        MessageAnnotation(protocolName: protocolName, summary: "", problems: [Problem(.undecodable, detail)])
    }

    /// True for an annotation that carries problems only (`undecodable`): nothing to show.
    public var isProblemOnly: Bool { summary.isEmpty && fields.isEmpty }

    /// The value of the first field with this name.
    public subscript(field name: String) -> String? {
        fields.first { $0.name == name }?.value
    }
}
