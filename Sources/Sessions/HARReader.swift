import Foundation
import PacketDecoding
import WebSocketProtocol
import WebSocketInspection

/// Why a HAR file could not be read.
public enum HARReadError: Error, Sendable, CustomStringConvertible {
    case notJSON(String)
    case notHAR(String)

    public var description: String {
        switch self {
        case .notJSON(let detail): return "not a JSON document: \(detail)"
        case .notHAR(let detail): return "not a HAR 1.x file: \(detail)"
        }
    }
}

/// Turns a HAR (from `wstap export --format har` or a browser's export) back into recorded
/// WebSocket connections with their messages, so that `replay` can take a HAR as its source.
/// Entries that are not WebSocket connections are skipped.
public struct HARReader {
    /// Largest HAR accepted (default 512 MiB): the whole document is decoded in memory.
    public var maxFileBytes: Int

    public init(maxFileBytes: Int = 512 << 20) {
        self.maxFileBytes = maxFileBytes
    }

    public func read(_ data: Data) throws(HARReadError) -> [RecordedConnection] {
        guard data.count <= maxFileBytes else { throw .notHAR("larger than \(maxFileBytes) bytes") }
        let file: HARFile
        do {
            file = try JSONDecoder().decode(HARFile.self, from: data)
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                throw .notJSON(context.debugDescription)
            }
            throw .notHAR(Self.describe(error))
        } catch {
            throw .notJSON("\(error)")
        }
        var connections: [RecordedConnection] = []
        for (index, entry) in file.log.entries.enumerated() where Self.isWebSocket(entry) {
            connections.append(connection(entry, number: entry.wstapConnection ?? index + 1))
        }
        return connections
    }

    static func isWebSocket(_ entry: HAREntry) -> Bool {
        entry.resourceType == "websocket" || entry.webSocketMessages != nil
            || entry.request.url.hasPrefix("ws://") || entry.request.url.hasPrefix("wss://")
    }

    func connection(_ entry: HAREntry, number: Int) -> RecordedConnection {
        let start = Self.parseISO8601(entry.startedDateTime) ?? entry.webSocketMessages?.first.map { Self.timestamp($0.time) } ?? .zero
        let server = entry.wstapServer.flatMap(Self.endpoint)
            ?? Self.endpoint(entry.serverIPAddress.map { "\($0):\(Self.port(entry.request.url))" } ?? "")
            ?? Endpoint(address: .init(v4: 0, 0, 0, 0), port: Self.port(entry.request.url))
        let client = entry.wstapClient.flatMap(Self.endpoint) ?? Endpoint(address: .init(v4: 0, 0, 0, 0), port: UInt16(entry.connection ?? "") ?? 0)
        let requestHeaders = HTTPHeaders(entry.request.headers.map { HTTPField(name: $0.name, value: $0.value) })
        let responseHeaders = HTTPHeaders(entry.response.headers.map { HTTPField(name: $0.name, value: $0.value) })
        let target = Self.target(entry.request.url)
        let info = WebSocketConnectionInfo(
            connection: number, timestamp: start, client: client, server: server, path: target,
            host: requestHeaders.first("Host") ?? URLComponents(string: entry.request.url)?.host,
            subprotocol: responseHeaders.first("Sec-WebSocket-Protocol"),
            extensions: responseHeaders.all("Sec-WebSocket-Extensions"), handshake: true,
            requestHead: HTTPRequestHead(method: entry.request.method, target: target, version: entry.request.httpVersion, headers: requestHeaders),
            responseHead: HTTPResponseHead(version: entry.response.httpVersion, status: entry.response.status, reason: entry.response.statusText, headers: responseHeaders))
        var recorded = RecordedConnection(info: info)
        for message in entry.webSocketMessages ?? [] {
            let direction: WebSocketDirection = message.type == "send" ? .clientToServer : .serverToClient
            let base64 = message.opcode != 1 || message.wstapBase64 == true
            let payload = base64 ? [UInt8](Data(base64Encoded: message.data) ?? Data()) : Array(message.data.utf8)
            let decoded = WebSocketMessage(
                connection: number, timestamp: Self.timestamp(message.time), direction: direction,
                opcode: WebSocketOpcode(rawValue: UInt8(truncatingIfNeeded: message.opcode)), payload: payload,
                length: UInt64(payload.count), wireLength: UInt64(payload.count), frames: 1,
                incomplete: message.wstapIncomplete == true)
            recorded.messages.append(decoded)
            var totals = recorded.totals(direction)
            totals.messages += 1
            totals.dataMessages += 1
            totals.payloadBytes += UInt64(payload.count)
            totals.wireBytes += UInt64(payload.count)
            if direction == .clientToServer { recorded.fromClient = totals } else { recorded.fromServer = totals }
            if recorded.lastTimestamp < decoded.timestamp { recorded.lastTimestamp = decoded.timestamp }
        }
        return recorded
    }

    /// Epoch seconds (a JSON number) to a timestamp, kept to the microsecond the writer used.
    static func timestamp(_ seconds: Double) -> Timestamp {
        guard seconds.isFinite, seconds >= 0, seconds < 1e12 else { return .zero }
        let micros = Int64((seconds * 1_000_000).rounded())
        return Timestamp(seconds: micros / 1_000_000, nanoseconds: UInt32(micros % 1_000_000) * 1000)
    }

    /// `startedDateTime`, read by a bounded parser of its own (RFC3339Timestamp.swift says why).
    static func parseISO8601(_ text: String) -> Timestamp? { RFC3339Timestamp.parse(text) }

    static func target(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        let target = String(rest[slash...])
        return target.hasPrefix("?") ? "/" + target : target
    }

    static func port(_ url: String) -> UInt16 {
        if let port = URLComponents(string: url)?.port, let value = UInt16(exactly: port) { return value }
        return url.hasPrefix("wss://") || url.hasPrefix("https://") ? 443 : 80
    }

    /// `IP:PORT` or `[IPv6]:PORT`.
    static func endpoint(_ text: String) -> Endpoint? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            let bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return Endpoint(address: .init(v4: bytes[0], bytes[1], bytes[2], bytes[3]), port: port)
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1, let address = IPAddress(v6Bytes: withUnsafeBytes(of: &v6) { Array($0) }) {
            return Endpoint(address: address, port: port)
        }
        return nil
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "missing \(path(context.codingPath + [key]))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
    }
}
