import Sessions
import Output
import WebSocketProtocol

/// The opening handshake replay sends: the recorded request, made valid for a new connection.
///
/// Kept from the recording: the path and query, the requested subprotocols, and every header a
/// server may depend on (Origin, Cookie, Authorization, User-Agent, custom ones), in recorded order.
/// Replaced: Host (the target's), Sec-WebSocket-Key (fresh — a reused key would be a replayed
/// nonce), and the headers that belong to one particular connection. `Sec-WebSocket-Extensions`
/// is offered only when the recording negotiated permessage-deflate, and only that extension,
/// because replay can produce nothing else.
///
/// Nothing here checks syntax: the recorded target and headers are checked by
/// `SessionConnection.requestProblem` and `--header` flags by `HTTPFieldSyntax` before a request is
/// built (a CR LF written verbatim would let a recording smuggle a header or a second request).
public struct HandshakeRequest: Sendable {
    /// Headers never copied from the recording: the handshake mechanics replay writes itself, and
    /// hop-by-hop or body headers that describe the old connection.
    static let regenerated: Set<String> = [
        "host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
        "content-length", "transfer-encoding", "keep-alive", "te", "trailer", "proxy-connection",
    ]

    public var target: String
    public var key: String
    public var headers: [HTTPField]

    public init(recorded connection: SessionConnection, replayTarget: ReplayTarget, overrides: [(name: String, value: String)], key: String) {
        let recorded = connection.request?.httpHead
        target = recorded?.target ?? "/"
        self.key = key
        var fields: [HTTPField] = [
            HTTPField(name: "Host", value: replayTarget.hostHeader),
            HTTPField(name: "Upgrade", value: "websocket"),
            HTTPField(name: "Connection", value: "Upgrade"),
            HTTPField(name: "Sec-WebSocket-Key", value: key),
            HTTPField(name: "Sec-WebSocket-Version", value: "13"),
        ]
        for field in recorded?.headers.fields ?? []
        where !Self.regenerated.contains(field.name.lowercased()) && !HTTPFieldSyntax.isPseudoHeader(field.name) {
            fields.append(field)
        }
        let negotiated = WebSocketExtensionHeader.parse(connection.extensions)
        if negotiated.contains(where: { $0.isNamed(PerMessageDeflateParameters.extensionName) }) {
            let offers = (recorded?.headers.all("Sec-WebSocket-Extensions") ?? [])
            let deflateOffers = WebSocketExtensionHeader.parse(offers).filter { $0.isNamed(PerMessageDeflateParameters.extensionName) }
            // Re-offer what the recording offered; without a recorded request, offer the accepted form.
            let source = deflateOffers.isEmpty ? negotiated.filter { $0.isNamed(PerMessageDeflateParameters.extensionName) } : deflateOffers
            fields.append(HTTPField(name: "Sec-WebSocket-Extensions", value: source.map(Self.render).joined(separator: ", ")))
        }
        for (name, value) in overrides {
            let lowered = name.lowercased()
            let existing = fields.firstIndex { $0.name.lowercased() == lowered }
            fields.removeAll { $0.name.lowercased() == lowered }
            guard !value.isEmpty else { continue }
            fields.insert(HTTPField(name: name, value: value), at: min(existing ?? fields.count, fields.count))
        }
        headers = fields
    }

    /// The request head as bytes on the wire.
    public var bytes: [UInt8] {
        var text = "GET \(target) HTTP/1.1\r\n"
        for field in headers { text += "\(field.name): \(field.value)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// The value `Sec-WebSocket-Accept` must have.
    public var expectedAccept: String { WebSocketHandshake.acceptValue(forKey: key) }

    /// A fresh key: 16 random bytes, base64 (RFC 6455 §4.1).
    public static func randomKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    static func render(_ offer: WebSocketExtensionOffer) -> String {
        ([offer.name] + offer.parameters.map { parameter in parameter.value.map { "\(parameter.name)=\($0)" } ?? parameter.name }).joined(separator: "; ")
    }
}
