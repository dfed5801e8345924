import Foundation
import Sessions
import WebSocketProtocol

/// The server role's side of the opening handshake, on raw bytes: parses the client's upgrade
/// request with the protocol core's `HTTPHeadParser`, checks it is a WebSocket upgrade (RFC 6455
/// §4.2.1), and writes the answer — a 101 with the recorded subprotocol and a permessage-deflate
/// negotiated from what this client offers, or a 400/404 with a one-line reason. Pure: bytes in,
/// bytes out, no I/O, so it is tested without a socket.
///
/// Raw bytes rather than NIOHTTP1: replay already speaks the handshake this way, the request head
/// is bounded by the same `HTTPHeadParser.defaultMaxHeadBytes`, and the bytes after the head are
/// handed to the inbox untouched — no pipeline handlers to remove mid-stream.
public enum ClientRequestCheck {
    public enum Step: Sendable {
        case needMoreData
        /// A WebSocket upgrade request; the first `consumed` bytes were its head.
        case request(HTTPRequestHead, key: String, consumed: Int)
        /// Not an acceptable upgrade request: answer `status` with `reason` and close.
        case refused(status: Int, reason: String)
    }

    /// Looks at everything a client sent so far.
    public static func check(_ received: [UInt8]) -> Step {
        switch HTTPHeadParser.parseRequest(received) {
        case .needMoreData:
            return .needMoreData
        case .invalid(let reason):
            return .refused(status: 400, reason: "not an HTTP request (\(reason))")
        case .tooLarge:
            return .refused(status: 431, reason: "request head exceeds \(HTTPHeadParser.defaultMaxHeadBytes) bytes")
        case .head(let head, let consumed):
            guard WebSocketHandshake.isUpgradeRequest(head) else {
                return .refused(status: 400, reason: "\(head.method) \(head.target) is not a WebSocket upgrade request")
            }
            guard head.headers.first("Sec-WebSocket-Version") == "13" else {
                return .refused(status: 426, reason: "Sec-WebSocket-Version is \(head.headers.first("Sec-WebSocket-Version") ?? "missing"), not 13")
            }
            guard let key = head.headers.first("Sec-WebSocket-Key"), Data(base64Encoded: key)?.count == 16 else {
                return .refused(status: 400, reason: "Sec-WebSocket-Key is missing or not 16 bytes of base64")
            }
            return .request(head, key: key, consumed: consumed)
        }
    }

    /// The subprotocols a client asks for, in its order.
    public static func requestedSubprotocols(_ head: HTTPRequestHead) -> [String] {
        head.headers.all("Sec-WebSocket-Protocol").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: " \t") }.filter { !$0.isEmpty }
    }

    /// The 101 for `head` played as `connection`: the recorded subprotocol when the client asked
    /// for it (a client must fail a connection whose server picks one it did not offer),
    /// permessage-deflate when the recording used it and the client offers it, and the recorded
    /// response's other headers (`Set-Cookie` …) as `RecordedResponseHeaders` allows.
    public static func accept(_ head: HTTPRequestHead, key: String, as connection: SessionConnection) -> (bytes: [UInt8], upgrade: NegotiatedUpgrade, notes: [String]) {
        var notes: [String] = []
        var lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
                     "Sec-WebSocket-Accept: \(WebSocketHandshake.acceptValue(forKey: key))"]
        var subprotocol: String?
        if let recorded = connection.subprotocol {
            if requestedSubprotocols(head).contains(recorded) {
                subprotocol = recorded
                lines.append("Sec-WebSocket-Protocol: \(recorded)")
            } else {
                notes.append("the recording used subprotocol \(recorded); this client did not ask for it, so none was chosen")
            }
        }
        var extensions: [String] = []
        var compression: PerMessageDeflateParameters?
        if let recorded = PerMessageDeflateParameters(negotiated: WebSocketExtensionHeader.parse(connection.extensions)) {
            let offers = WebSocketExtensionHeader.parse(head.headers.all("Sec-WebSocket-Extensions"))
            if let (parameters, text) = negotiateDeflate(recorded: recorded, offers: offers) {
                compression = parameters
                extensions = [text]
                lines.append("Sec-WebSocket-Extensions: \(text)")
            }
        }
        let recorded = RecordedResponseHeaders.lines(for: connection)
        lines += recorded.lines
        notes += recorded.notes
        let bytes = Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
        let upgrade = NegotiatedUpgrade(statusLine: lines[0], subprotocol: subprotocol, extensions: extensions, compression: compression)
        return (bytes, upgrade, notes)
    }

    /// A refusal with a one-line plain-text body; the connection is closed after it.
    public static func refusal(status: Int, reason: String) -> [UInt8] {
        let phrases = [400: "Bad Request", 404: "Not Found", 426: "Upgrade Required", 431: "Request Header Fields Too Large", 500: "Internal Server Error"]
        let body = Array((reason + "\n").utf8)
        var head = "HTTP/1.1 \(status) \(phrases[status] ?? "Error")\r\nContent-Type: text/plain; charset=utf-8\r\n"
        if status == 426 { head += "Sec-WebSocket-Version: 13\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + body
    }

    /// The first permessage-deflate offer this server can accept, answered with the recording's
    /// parameters as far as the offer allows (RFC 7692 §7.1): the server's own window and takeover
    /// as recorded (narrowed when the client asks), the client's window only when the client said
    /// it can limit it. Nil when the client offers none the server can accept.
    static func negotiateDeflate(recorded: PerMessageDeflateParameters, offers: [WebSocketExtensionOffer]) -> (PerMessageDeflateParameters, String)? {
        let bits = PerMessageDeflateParameters.windowBitsRange
        offers: for offer in offers where offer.isNamed(PerMessageDeflateParameters.extensionName) {
            var result = recorded
            var clientWindowOffered = false
            var clientWindowValue: Int?
            var serverWindowValue: Int?
            var seen: Set<String> = []
            for parameter in offer.parameters {
                let name = parameter.name.lowercased()
                guard seen.insert(name).inserted else { continue offers }
                switch name {
                case "client_no_context_takeover":
                    result.clientNoContextTakeover = true
                case "server_no_context_takeover":
                    result.serverNoContextTakeover = true
                case "client_max_window_bits":
                    clientWindowOffered = true
                    if let value = parameter.value {
                        guard let number = Int(value), bits.contains(number) else { continue offers }
                        clientWindowValue = number
                    }
                case "server_max_window_bits":
                    guard let value = parameter.value, let number = Int(value), bits.contains(number) else { continue offers }
                    serverWindowValue = number
                default:
                    continue offers
                }
            }
            result.serverMaxWindowBits = min(recorded.serverMaxWindowBits, serverWindowValue ?? bits.upperBound)
            result.clientMaxWindowBits = clientWindowOffered ? min(recorded.clientMaxWindowBits, clientWindowValue ?? bits.upperBound) : bits.upperBound
            var text = [PerMessageDeflateParameters.extensionName]
            if result.serverNoContextTakeover { text.append("server_no_context_takeover") }
            if result.clientNoContextTakeover { text.append("client_no_context_takeover") }
            if serverWindowValue != nil || result.serverMaxWindowBits < bits.upperBound { text.append("server_max_window_bits=\(result.serverMaxWindowBits)") }
            if clientWindowOffered, clientWindowValue != nil || result.clientMaxWindowBits < bits.upperBound {
                text.append("client_max_window_bits=\(result.clientMaxWindowBits)")
            }
            return (result, text.joined(separator: "; "))
        }
        return nil
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = self
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
