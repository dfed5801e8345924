import MessageDecoding

/// The automatic choice for connections that name no subprotocol and no `EIO=` path: the shape of
/// the connection's first data message. A JSON-RPC request, notification, response or batch makes
/// it JSON-RPC; a STOMP `CONNECT`/`STOMP` frame (clients that do not offer `v12.stomp`) makes it
/// STOMP. Otherwise nothing more is tried (one look per connection, so connections of other
/// traffic cost next to nothing).
public struct ShapeSniffer: MessageDecoder {
    private enum State {
        case undecided
        case chosen(any MessageDecoder)
        case nothing
    }

    private var state = State.undecided
    private let maxOutstandingRequests: Int

    public init(maxOutstandingRequests: Int = PendingRequests<Int>.defaultMaxOutstanding) {
        self.maxOutstandingRequests = maxOutstandingRequests
    }

    /// The protocol a first message's shape shows, if any.
    public static func protocolOf(firstMessage payload: [UInt8]) -> ApplicationProtocol? {
        if JSONRPCDecoder.looksLikeJSONRPC(payload) { return .jsonRPC }
        if STOMPDecoder.looksLikeConnect(payload) { return .stomp }
        return nil
    }

    public mutating func annotate(_ message: DecodableMessage) -> MessageAnnotation? {
        switch state {
        case .nothing:
            return nil
        case .chosen(var decoder):
            state = .nothing
            let annotation = decoder.annotate(message)
            state = .chosen(decoder)
            return annotation
        case .undecided:
            guard message.opcode == .text || message.opcode == .binary else { return nil }
            guard message.isComplete, let chosen = Self.protocolOf(firstMessage: message.payload) else {
                state = .nothing
                return nil
            }
            var decoder: any MessageDecoder = chosen == .jsonRPC
                ? JSONRPCDecoder(maxOutstandingRequests: maxOutstandingRequests)
                : STOMPDecoder(maxOutstandingRequests: maxOutstandingRequests)
            let annotation = decoder.annotate(message)
            state = .chosen(decoder)
            return annotation
        }
    }

    public mutating func finish() -> [MessageAnnotation.Problem] {
        guard case .chosen(var decoder) = state else { return [] }
        state = .nothing
        return decoder.finish()
    }
}
