import MessageDecoding
import PacketDecoding
import WebSocketProtocol
import WebSocketInspection

/// Formats `InspectorEvent`s as JSON Lines: one object per event, fields documented in docs/jsonl.md,
/// stable so that `jq` scripts keep working.
///
/// It remembers each connection's endpoints from its `open` event so that every message line
/// carries `client` and `server` and can be filtered on its own.
public struct JSONLinesFormatter: Sendable {
    private var endpoints: [Int: (client: String, server: String)] = [:]

    public init() {}

    public mutating func format(_ event: InspectorEvent, into output: inout [UInt8]) {
        switch event {
        case .open(let info):
            let client = info.client.description, server = info.server.description
            endpoints[info.connection] = (client, server)
            header("open", info.connection, info.timestamp, &output)
            appendEndpoints(client, server, &output)
            optionalString("path", info.path, &output)
            optionalString("host", info.host, &output)
            optionalString("subprotocol", info.subprotocol, &output)
            JSONEncoding.appendKey("extensions", to: &output)
            output.append(UInt8(ascii: "["))
            for (index, value) in info.extensions.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                JSONEncoding.appendString(value, to: &output)
            }
            output.append(UInt8(ascii: "]"))
            JSONEncoding.appendKey("handshake", to: &output)
            JSONEncoding.appendBool(info.handshake, to: &output)
            if let confidence = info.confidence {
                JSONEncoding.appendKey("confidence", to: &output)
                JSONEncoding.appendString(confidence.rawValue, to: &output)
            }
            if let tls = info.tls { appendTLS(tls, &output) }
        case .refused(let refusal):
            header("refused", refusal.connection, refusal.timestamp, &output)
            appendEndpoints(refusal.client.description, refusal.server.description, &output)
            optionalString("path", refusal.path, &output)
            optionalString("host", refusal.host, &output)
            JSONEncoding.appendKey("status", to: &output)
            JSONEncoding.appendInteger(refusal.status, to: &output)
            optionalString("reason", refusal.reason, &output)
        case .message(let message):
            formatMessage(message, &output)
        case .gap(let connection, let timestamp, let direction, let bytes):
            header("gap", connection, timestamp, &output)
            appendKnownEndpoints(connection, &output)
            JSONEncoding.appendKey("from", to: &output)
            JSONEncoding.appendString(direction.senderName, to: &output)
            JSONEncoding.appendKey("kind", to: &output)
            JSONEncoding.appendString("tcp_gap", to: &output)
            JSONEncoding.appendKey("bytes", to: &output)
            JSONEncoding.appendInteger(bytes, to: &output)
            JSONEncoding.appendKey("detail", to: &output)
            JSONEncoding.appendString("\(bytes) bytes sent by the \(direction.senderName) were not captured", to: &output)
        case .anomaly(let anomaly):
            output.append(contentsOf: #"{"event":"anomaly","conn":"#.utf8)
            if let connection = anomaly.connection {
                JSONEncoding.appendInteger(connection, to: &output)
            } else {
                JSONEncoding.appendRaw("null", to: &output)
            }
            JSONEncoding.appendKey("ts", to: &output)
            JSONEncoding.appendRaw(anomaly.timestamp.description, to: &output)
            if let connection = anomaly.connection { appendKnownEndpoints(connection, &output) }
            JSONEncoding.appendKey("from", to: &output)
            if let direction = anomaly.direction {
                JSONEncoding.appendString(direction.senderName, to: &output)
            } else {
                JSONEncoding.appendRaw("null", to: &output)
            }
            JSONEncoding.appendKey("kind", to: &output)
            JSONEncoding.appendString(anomaly.kind.name, to: &output)
            JSONEncoding.appendKey("detail", to: &output)
            JSONEncoding.appendString(anomaly.detail, to: &output)
        case .undecrypted(let connection):
            // A TLS connection that stays closed: what it is and why (docs/jsonl.md).
            header("tls", connection.connection, connection.timestamp, &output)
            appendEndpoints(connection.client.description, connection.server.description, &output)
            JSONEncoding.appendKey("start", to: &output)
            JSONEncoding.appendRaw(connection.start.description, to: &output)
            JSONEncoding.appendNotDecrypted(connection, to: &output)
            JSONEncoding.appendKey("bytes_from_client", to: &output)
            JSONEncoding.appendInteger(connection.bytesFromClient, to: &output)
            JSONEncoding.appendKey("bytes_from_server", to: &output)
            JSONEncoding.appendInteger(connection.bytesFromServer, to: &output)
            JSONEncoding.appendKey("detail", to: &output)
            JSONEncoding.appendString(connection.detail, to: &output)
        case .close(let close):
            header("close", close.connection, close.timestamp, &output)
            appendKnownEndpoints(close.connection, &output)
            JSONEncoding.appendKey("reason", to: &output)
            JSONEncoding.appendString(close.reason.name, to: &output)
            JSONEncoding.appendKey("messages_from_client", to: &output)
            JSONEncoding.appendInteger(close.messagesFromClient, to: &output)
            JSONEncoding.appendKey("messages_from_server", to: &output)
            JSONEncoding.appendInteger(close.messagesFromServer, to: &output)
            endpoints[close.connection] = nil
        }
        output.append(UInt8(ascii: "}"))
        output.append(UInt8(ascii: "\n"))
    }

    /// wss://: what the TLS hellos said, `"tls":{"version","cipher","sni","alpn"}`.
    private func appendTLS(_ tls: TLSSessionInfo, _ output: inout [UInt8]) {
        JSONEncoding.appendKey("tls", to: &output)
        JSONEncoding.appendTLS(tls, to: &output)
    }

    private func formatMessage(_ message: WebSocketMessage, _ output: inout [UInt8]) {
        header("message", message.connection, message.timestamp, &output)
        appendKnownEndpoints(message.connection, &output)
        JSONEncoding.appendKey("from", to: &output)
        JSONEncoding.appendString(message.direction.senderName, to: &output)
        JSONEncoding.appendKey("opcode", to: &output)
        JSONEncoding.appendString(message.opcode.description, to: &output)
        JSONEncoding.appendKey("length", to: &output)
        JSONEncoding.appendInteger(message.length, to: &output)
        JSONEncoding.appendKey("frames", to: &output)
        JSONEncoding.appendInteger(message.frames, to: &output)
        JSONEncoding.appendKey("compressed", to: &output)
        JSONEncoding.appendBool(message.compressed, to: &output)
        if message.compressed {
            JSONEncoding.appendKey("decompressed", to: &output)
            JSONEncoding.appendBool(message.decompressed, to: &output)
            JSONEncoding.appendKey("wire_length", to: &output)
            JSONEncoding.appendInteger(message.wireLength, to: &output)
        }
        if message.truncated {
            JSONEncoding.appendKey("truncated", to: &output)
            JSONEncoding.appendBool(true, to: &output)
        }
        if message.isIncomplete {
            JSONEncoding.appendKey("incomplete", to: &output)
            JSONEncoding.appendBool(true, to: &output)
            JSONEncoding.appendKey("missing_bytes", to: &output)
            JSONEncoding.appendInteger(message.missingBytes, to: &output)
        }
        if let code = message.closeCode {
            JSONEncoding.appendKey("code", to: &output)
            JSONEncoding.appendInteger(code, to: &output)
            JSONEncoding.appendKey("reason", to: &output)
            JSONEncoding.appendString(message.closeReason ?? "", to: &output)
        }
        if let annotation = message.annotation { appendAnnotation(annotation, &output) }
        // Text only when the bytes are the message's real, valid UTF-8 text; otherwise base64, so
        // that output is always byte-exact.
        let payloadIsPlain = !message.compressed || message.decompressed
        if message.opcode == .text && payloadIsPlain && UTF8Validation.isValid(message.payload) {
            JSONEncoding.appendKey("text", to: &output)
            JSONEncoding.appendStringBytes(message.payload, to: &output)
        } else {
            JSONEncoding.appendKey("data", to: &output)
            output.append(UInt8(ascii: "\""))
            Base64.append(message.payload, to: &output)
            output.append(UInt8(ascii: "\""))
        }
    }

    /// `"decoded":{"protocol":…,"summary":…, field: value, …}`: what the connection's message
    /// decoder said (docs/jsonl.md); the payload fields stay as the WebSocket layer decoded them.
    private func appendAnnotation(_ annotation: MessageAnnotation, _ output: inout [UInt8]) {
        JSONEncoding.appendKey("decoded", to: &output)
        output.append(UInt8(ascii: "{"))
        JSONEncoding.appendString("protocol", to: &output)
        output.append(UInt8(ascii: ":"))
        JSONEncoding.appendString(annotation.protocolName, to: &output)
        JSONEncoding.appendKey("summary", to: &output)
        JSONEncoding.appendString(annotation.summary, to: &output)
        for field in annotation.fields {
            output.append(UInt8(ascii: ","))
            JSONEncoding.appendString(field.name, to: &output)
            output.append(UInt8(ascii: ":"))
            switch field.kind {
            case .string: JSONEncoding.appendString(field.value, to: &output)
            // Compact JSON the decoder built or validated itself (numbers, booleans, args).
            case .json: JSONEncoding.appendRaw(field.value, to: &output)
            }
        }
        output.append(UInt8(ascii: "}"))
    }

    private func header(_ name: StaticString, _ connection: Int, _ timestamp: Timestamp, _ output: inout [UInt8]) {
        output.append(contentsOf: #"{"event":"#.utf8)
        output.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { output.append(contentsOf: $0) }
        output.append(UInt8(ascii: "\""))
        JSONEncoding.appendKey("conn", to: &output)
        JSONEncoding.appendInteger(connection, to: &output)
        JSONEncoding.appendKey("ts", to: &output)
        JSONEncoding.appendRaw(timestamp.description, to: &output)
    }

    private func appendEndpoints(_ client: String, _ server: String, _ output: inout [UInt8]) {
        JSONEncoding.appendKey("client", to: &output)
        JSONEncoding.appendString(client, to: &output)
        JSONEncoding.appendKey("server", to: &output)
        JSONEncoding.appendString(server, to: &output)
    }

    private func appendKnownEndpoints(_ connection: Int, _ output: inout [UInt8]) {
        guard let known = endpoints[connection] else { return }
        appendEndpoints(known.client, known.server, &output)
    }

    private func optionalString(_ key: StaticString, _ value: String?, _ output: inout [UInt8]) {
        JSONEncoding.appendOptionalString(key, value, to: &output)
    }
}
