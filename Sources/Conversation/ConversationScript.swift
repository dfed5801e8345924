import Sessions

/// One side of a recorded connection, ready to be played: what the role sends, in recorded order,
/// each with the number of peer messages that preceded it, and what the live peer is expected to
/// answer.
///
/// Contract: built only from the recording and the role — no transport, no clock — so `replay`
/// (client role) and `serve` (server role) play the same script the same way. For the client role
/// `steps` are the recorded client → server messages and `expected` the server → client ones; for
/// the server role the other way round. A message the role must send but the recording does not
/// hold exactly (incomplete, not decompressed, over `maxMessageBytes`) makes the connection
/// unplayable; an expected message in that state is still compared by position, approximately,
/// and a note says so.
public struct ConversationScript: Sendable {
    /// A message to send and how many peer messages preceded it in the recording: reactive pacing
    /// sends it once the live peer has sent as many.
    public struct Step: Sendable, Equatable {
        public var message: ReplayMessage
        public var peerMessagesBefore: Int

        public init(message: ReplayMessage, peerMessagesBefore: Int) {
            self.message = message
            self.peerMessagesBefore = peerMessagesBefore
        }
    }

    /// Why the role cannot be played from this recording (exit status 2).
    public struct Unplayable: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public let role: ConversationRole
    /// The recorded connection number.
    public let connectionID: Int
    /// When the recorded connection was opened (epoch seconds): recorded pacing measures the first
    /// message's delay from it.
    public let start: Double
    public private(set) var steps: [Step] = []
    public private(set) var expected: [ReplayMessage] = []
    /// Things worth reporting about the recording itself (approximate comparisons).
    public private(set) var notes: [String] = []

    /// `maxMessageBytes` bounds every payload taken from the recording (`--max-message-bytes`), so
    /// a session or HAR file cannot make the engine hold a message the live peer could not send.
    public init(connection: SessionConnection, role: ConversationRole, maxMessageBytes: Int = .max) throws(Unplayable) {
        self.role = role
        connectionID = connection.id
        start = connection.start
        var approximate = 0
        for (index, message) in connection.messages.enumerated() {
            let sent = message.direction == role.sentDirection
            let converted: ReplayMessage
            do {
                converted = try ReplayMessage(message, maxPayloadBytes: maxMessageBytes)
            } catch {
                if sent { throw Unplayable(description: "recorded \(role.name) message \(index) \(error.description)") }
                let tooLarge = if case .tooLarge = error { true } else { false }
                let payload = tooLarge ? [] : (message.payloadBytes ?? [])
                converted = ReplayMessage(opcode: message.opcodeValue ?? .binary, payload: payload, time: message.time)
                approximate += 1
                if approximate <= Self.maxListedApproximations {
                    notes.append("recorded \(role.peerName) message \(expected.count) \(error.description); its comparison is approximate")
                }
            }
            if sent {
                steps.append(Step(message: converted, peerMessagesBefore: expected.count))
            } else {
                expected.append(converted)
            }
        }
        if approximate > Self.maxListedApproximations {
            notes.append("\(approximate - Self.maxListedApproximations) more recorded \(role.peerName) messages are compared approximately")
        }
    }

    /// Approximate comparisons named one by one in the notes (default 10); the rest are counted in
    /// one note, so a recording cut at `--max-message-bytes` does not bury the report.
    public static let maxListedApproximations = 10

    /// Whether any message to send was recorded compressed (the report notes when the new
    /// connection cannot compress it).
    public var sendsCompressedMessages: Bool { steps.contains { $0.message.compressed } }
}
