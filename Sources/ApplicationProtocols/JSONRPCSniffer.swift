import MessageDecoding

/// The automatic choice for connections that name no subprotocol: JSON-RPC is recognised by the
/// shape of the connection's first data message. If that message is JSON-RPC, the connection is
/// decoded as JSON-RPC from then on; if not, nothing more is tried (one parse per connection, so
/// connections of other traffic cost next to nothing).
public struct JSONRPCSniffer: MessageDecoder {
    private enum State {
        case undecided
        case jsonRPC(JSONRPCDecoder)
        case notJSONRPC
    }

    private var state = State.undecided
    private let maxOutstandingRequests: Int

    public init(maxOutstandingRequests: Int = PendingRequests<Int>.defaultMaxOutstanding) {
        self.maxOutstandingRequests = maxOutstandingRequests
    }

    public mutating func annotate(_ message: DecodableMessage) -> MessageAnnotation? {
        switch state {
        case .notJSONRPC:
            return nil
        case .jsonRPC(var decoder):
            state = .notJSONRPC
            let annotation = decoder.annotate(message)
            state = .jsonRPC(decoder)
            return annotation
        case .undecided:
            guard message.opcode == .text || message.opcode == .binary else { return nil }
            guard message.isComplete, JSONRPCDecoder.looksLikeJSONRPC(message.payload) else {
                state = .notJSONRPC
                return nil
            }
            var decoder = JSONRPCDecoder(maxOutstandingRequests: maxOutstandingRequests)
            let annotation = decoder.annotate(message)
            state = .jsonRPC(decoder)
            return annotation
        }
    }

    public mutating func finish() -> [MessageAnnotation.Problem] {
        guard case .jsonRPC(var decoder) = state else { return [] }
        state = .notJSONRPC
        return decoder.finish()
    }
}
