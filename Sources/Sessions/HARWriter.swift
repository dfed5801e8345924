import Foundation
import PacketDecoding
import WebSocketProtocol
import WebSocketInspection

/// Writes WebSocket connections as a HAR 1.2 file that Chrome DevTools (Network panel → Import HAR)
/// opens: one entry per connection with its handshake and `_webSocketMessages`.
public struct HARWriter {
    /// Replace the values of credentials (Cookie, Authorization, Proxy-Authorization, Set-Cookie
    /// headers and the cookies arrays) with `redactedValue`, so a HAR can be shared.
    public var redact: Bool
    public static let redactedValue = "[redacted]"
    static let secretHeaders: Set<String> = ["cookie", "authorization", "proxy-authorization", "set-cookie", "set-cookie2"]

    public init(redact: Bool = false) {
        self.redact = redact
    }

    /// The HAR document; connections must have been recorded with `keepsMessages: true`.
    public func har(_ connections: [RecordedConnection], creatorVersion: String = "0.1") -> HARFile {
        HARFile(log: HARLog(
            version: "1.2", creator: HARCreator(name: "wstap", version: creatorVersion), pages: [],
            entries: connections.map(entry)))
    }

    /// The HAR as pretty-printed JSON bytes.
    public func encode(_ connections: [RecordedConnection]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]  // sorted: the same capture gives the same file
        return try encoder.encode(har(connections))
    }

    func entry(_ connection: RecordedConnection) -> HAREntry {
        let info = connection.info
        let durationMilliseconds = (connection.duration * 1000 * 1000).rounded() / 1000
        let requestHead = info.requestHead
            ?? HTTPRequestHead(method: "GET", target: info.path ?? "/", version: "HTTP/1.1")
        let responseHead = info.responseHead
            ?? HTTPResponseHead(version: "HTTP/1.1", status: 101, reason: "Switching Protocols")
        let host = requestHead.headers.first("Host") ?? info.host ?? info.server.description
        let target = requestHead.target.hasPrefix("/") ? requestHead.target : "/" + requestHead.target
        let url = requestHead.target.contains("://") ? requestHead.target : "ws://\(host)\(target)"
        let request = HARRequest(
            method: requestHead.method, url: url, httpVersion: requestHead.version,
            headers: headers(requestHead.headers),
            queryString: Self.queryString(requestHead.target),
            cookies: cookies(requestHead.headers.all("Cookie").flatMap(Self.requestCookies)),
            headersSize: info.requestHead.map { Self.headSize(firstLine: "\($0.method) \($0.target) \($0.version)", $0.headers) } ?? -1,
            bodySize: 0)
        let response = HARResponse(
            status: responseHead.status, statusText: responseHead.reason, httpVersion: responseHead.version,
            headers: headers(responseHead.headers),
            cookies: cookies(responseHead.headers.all("Set-Cookie").compactMap(Self.setCookie)),
            content: HARContent(size: 0, mimeType: "x-unknown"),
            redirectURL: responseHead.headers.first("Location") ?? "",
            headersSize: info.responseHead.map { Self.headSize(firstLine: "\($0.version) \($0.status) \($0.reason)", $0.headers) } ?? -1,
            bodySize: 0)
        return HAREntry(
            startedDateTime: Self.iso8601(info.timestamp), time: durationMilliseconds, request: request, response: response,
            cache: [:],
            timings: HARTimings(blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait: 0, receive: durationMilliseconds),
            serverIPAddress: "\(info.server.address)", connection: "\(info.client.port)", resourceType: "websocket",
            webSocketMessages: connection.messages.compactMap(Self.message),
            wstapConnection: info.connection, wstapClient: info.client.description, wstapServer: info.server.description)
    }

    /// Text and binary messages only, as Chrome exports them (control frames are not in its list).
    static func message(_ message: WebSocketMessage) -> HARWebSocketMessage? {
        guard message.opcode == .text || message.opcode == .binary else { return nil }
        let plain = !message.compressed || message.decompressed
        var result = HARWebSocketMessage(
            type: message.direction == .clientToServer ? "send" : "receive", time: message.timestamp.secondsValue,
            opcode: Int(message.opcode.rawValue), data: "")
        if message.opcode == .text && plain, let text = String(validating: message.payload, as: UTF8.self) {
            result.data = text
        } else {
            result.data = Base64.encode(message.payload)
            if message.opcode == .text { result.wstapBase64 = true }
        }
        if message.isIncomplete || message.truncated || !plain { result.wstapIncomplete = true }
        return result
    }

    private func headers(_ headers: HTTPHeaders) -> [HARNameValue] {
        headers.fields.map { field in
            let secret = redact && Self.secretHeaders.contains(field.name.lowercased())
            return HARNameValue(name: field.name, value: secret ? Self.redactedValue : field.value)
        }
    }

    private func cookies(_ cookies: [HARNameValue]) -> [HARNameValue] {
        redact ? cookies.map { HARNameValue(name: $0.name, value: Self.redactedValue) } : cookies
    }

    /// `a=1; b=2` → two cookies.
    static func requestCookies(_ header: String) -> [HARNameValue] {
        header.split(separator: ";").compactMap { pair in
            let trimmed = pair.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { return nil }
            let parts = trimmed.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return HARNameValue(name: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
        }
    }

    /// `sid=abc; Path=/; HttpOnly` → the cookie `sid=abc` (attributes are not kept).
    static func setCookie(_ header: String) -> HARNameValue? {
        requestCookies(header).first
    }

    static func queryString(_ target: String) -> [HARNameValue] {
        guard let mark = target.firstIndex(of: "?") else { return [] }
        let query = target[target.index(after: mark)...].split(separator: "#", maxSplits: 1).first ?? ""
        return query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return HARNameValue(name: decode(parts[0]), value: parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// Bytes of the head on the wire as HTTP/1.1 frames it: line, `Name: value` lines, blank line.
    static func headSize(firstLine: String, _ headers: HTTPHeaders) -> Int {
        var size = firstLine.utf8.count + 2
        for field in headers.fields { size += field.name.utf8.count + 2 + field.value.utf8.count + 2 }
        return size + 2
    }

    /// `2026-11-25T12:03:21.123Z`: ISO 8601 in UTC with milliseconds, as HAR viewers expect.
    public static func iso8601(_ timestamp: Timestamp) -> String {
        var seconds = time_t(timestamp.seconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            var text = String(value)
            while text.count < width { text = "0" + text }
            return text
        }
        let millis = pad(Int32(timestamp.nanoseconds / 1_000_000), 3)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(millis)Z"
    }
}
