import WebSocketProtocol

/// What an opening handshake settled: what the report shows and the compression both sides use.
public struct NegotiatedUpgrade: Sendable {
    /// The response's status line (`HTTP/1.1 101 Switching Protocols`).
    public var statusLine: String
    public var subprotocol: String?
    /// The accepted `Sec-WebSocket-Extensions` values, as sent.
    public var extensions: [String]
    /// The negotiated permessage-deflate parameters, nil when not negotiated.
    public var compression: PerMessageDeflateParameters?

    public init(statusLine: String, subprotocol: String?, extensions: [String], compression: PerMessageDeflateParameters?) {
        self.statusLine = statusLine
        self.subprotocol = subprotocol
        self.extensions = extensions
        self.compression = compression
    }
}

/// The result of looking at the bytes a peer sent before its first frame.
public enum HandshakeStep: Sendable {
    case needMoreData
    /// The upgrade is done; the first `consumed` bytes were the handshake, the rest are frames.
    case upgraded(NegotiatedUpgrade, consumed: Int)
    case refused(String)
}

/// The role-specific check of the peer's handshake bytes, which the inbox runs before it decodes
/// frames: the client role checks the server's 101 response (`ServerResponseCheck`); a server role
/// checks the client's request. Pure: bytes in, a step out, no I/O.
public protocol ConversationHandshake: Sendable {
    /// Looks at everything received so far (the inbox buffers it, up to the head limit).
    func check(_ received: [UInt8]) -> HandshakeStep
}

/// The client role's check of the server's answer: a 101 with the right `Sec-WebSocket-Accept`,
/// and no extension but a valid permessage-deflate (the only one the engine can speak).
public struct ServerResponseCheck: ConversationHandshake {
    public let expectedAccept: String

    public init(expectedAccept: String) {
        self.expectedAccept = expectedAccept
    }

    public func check(_ received: [UInt8]) -> HandshakeStep {
        switch HTTPHeadParser.parseResponse(received) {
        case .needMoreData:
            return .needMoreData
        case .invalid(let reason):
            return .refused("the server's answer is not an HTTP response (\(reason))")
        case .tooLarge:
            return .refused("the server's response head exceeds \(HTTPHeadParser.defaultMaxHeadBytes) bytes")
        case .head(let head, let consumed):
            let statusLine = "\(head.version) \(head.status) \(head.reason)"
            guard WebSocketHandshake.isUpgradeResponse(head) else {
                return .refused("the server rejected the handshake: \(statusLine)")
            }
            guard head.headers.first("Sec-WebSocket-Accept") == expectedAccept else {
                return .refused("the server's Sec-WebSocket-Accept is wrong (expected \(expectedAccept), got \(head.headers.first("Sec-WebSocket-Accept") ?? "none"))")
            }
            let extensions = head.headers.all("Sec-WebSocket-Extensions")
            let accepted = WebSocketExtensionHeader.parse(extensions)
            var compression: PerMessageDeflateParameters?
            if !accepted.isEmpty {
                guard accepted.count == 1, let parameters = PerMessageDeflateParameters(negotiated: accepted) else {
                    return .refused("the server accepted extensions replay cannot speak: \(extensions.joined(separator: ", "))")
                }
                compression = parameters
            }
            let upgrade = NegotiatedUpgrade(
                statusLine: statusLine, subprotocol: head.headers.first("Sec-WebSocket-Protocol"), extensions: extensions, compression: compression)
            return .upgraded(upgrade, consumed: consumed)
        }
    }
}
