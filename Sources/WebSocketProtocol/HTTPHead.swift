/// A parsed HTTP/1.x request line and header block.
public struct HTTPRequestHead: Sendable, Equatable {
    /// The method as sent (methods are case-sensitive; `GET` is not `get`).
    public var method: String
    /// The request target as sent, e.g. `/chat?room=1` or an absolute URI through a proxy.
    public var target: String
    /// The protocol version as sent, e.g. `HTTP/1.1`.
    public var version: String
    public var headers: HTTPHeaders

    public init(method: String, target: String, version: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
    }
}

/// A parsed HTTP/1.x status line and header block.
public struct HTTPResponseHead: Sendable, Equatable {
    /// The protocol version as sent, e.g. `HTTP/1.1`.
    public var version: String
    /// The three-digit status code (100...999).
    public var status: Int
    /// The reason phrase, possibly empty (it is optional on the wire and carries no meaning).
    public var reason: String
    public var headers: HTTPHeaders

    public init(version: String, status: Int, reason: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
    }
}

/// The outcome of trying to parse one HTTP head from the start of a byte stream.
public enum HTTPHeadParseResult<Head: Sendable>: Sendable {
    /// No complete head yet and nothing proves the stream is not HTTP: call again with more bytes.
    case needMoreData
    /// A complete head; `consumed` bytes (including the blank line) belong to it and the body or
    /// the next protocol (e.g. WebSocket frames after a 101) starts right after.
    case head(Head, consumed: Int)
    /// The bytes are not an HTTP head; the reason says why. A first line that is not a request or
    /// status line is how a mid-stream WebSocket capture is recognised.
    case invalid(String)
    /// No end of head within the configured maximum: stop buffering.
    case tooLarge
}

extension HTTPHeadParseResult: Equatable where Head: Equatable {}
