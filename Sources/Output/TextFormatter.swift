#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import PacketDecoding
import WebSocketProtocol
import WebSocketInspection

/// Formats `InspectorEvent`s for a person at a terminal: one line per message with time, connection,
/// direction arrow, opcode, size and a preview of the payload; one line per handshake. Every string
/// from the traffic goes through `TerminalSafeText`, so a capture cannot act on the terminal.
public struct TextFormatter: Sendable {
    /// Characters of payload shown per message line (default 96).
    public var maxPreviewCharacters: Int
    /// Colours by direction and kind (only on a terminal; see `TerminalStyle`).
    public var style: TerminalStyle
    /// Show text payloads that are JSON objects or arrays indented on the lines after the message.
    public var prettyJSON: Bool
    /// Largest payload pretty-printed (default 1 MiB); bigger ones keep the one-line preview.
    public var maxPrettyBytes: Int

    public init(maxPreviewCharacters: Int = 96, style: TerminalStyle = .plain, prettyJSON: Bool = false, maxPrettyBytes: Int = 1 << 20) {
        self.maxPreviewCharacters = maxPreviewCharacters
        self.style = style
        self.prettyJSON = prettyJSON
        self.maxPrettyBytes = maxPrettyBytes
    }

    public func format(_ event: InspectorEvent) -> String {
        let line = formatLine(event)
        switch event {
        case .open: return style.open(line)
        case .refused, .gap, .anomaly, .undecrypted: return style.problem(line)
        case .close: return style.closing(line)
        case .message(let message):
            if message.opcode == .close { return style.closing(line) }
            var text = style.direction(line, message.direction)
            if prettyJSON, let pretty = prettyPrinted(message) {
                for prettyLine in pretty.split(separator: "\n", omittingEmptySubsequences: false) {
                    text += "\n" + style.direction("    " + TerminalSafeText.json(prettyLine), message.direction)
                }
            }
            return text
        }
    }

    /// The payload indented, when it is a JSON object or array in a complete text message.
    private func prettyPrinted(_ message: WebSocketMessage) -> String? {
        guard message.opcode == .text, !message.truncated, !message.isIncomplete, message.payload.count <= maxPrettyBytes,
            !message.compressed || message.decompressed,
            let first = message.payload.first(where: { $0 != 0x20 && $0 != 0x0a && $0 != 0x0d && $0 != 0x09 }),
            first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
        else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(message.payload)),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    private func formatLine(_ event: InspectorEvent) -> String {
        switch event {
        case .open(let info):
            var line = "\(Self.time(info.timestamp)) #\(info.connection) open \(info.client) → \(info.server)"
            if let tls = info.tls { line += " wss (\(tls.version), \(tls.cipher))" }
            if info.handshake {
                line += " GET \(TerminalSafeText(info.path ?? "?"))"
                if let host = info.host { line += " host=\(TerminalSafeText(host))" }
                if let subprotocol = info.subprotocol { line += " subprotocol=\(TerminalSafeText(subprotocol))" }
                if !info.extensions.isEmpty { line += " extensions=" + TerminalSafeText.quoted(info.extensions.joined(separator: ", ")) }
            } else {
                line += " (no handshake captured; frames found mid-stream, confidence \(info.confidence?.rawValue ?? "low"))"
            }
            return line
        case .refused(let refusal):
            return "\(Self.time(refusal.timestamp)) #\(refusal.connection) upgrade refused \(refusal.client) → \(refusal.server) GET \(TerminalSafeText(refusal.path)): \(refusal.status) \(TerminalSafeText(refusal.reason))"
        case .message(let message):
            return formatMessage(message)
        case .gap(let connection, let timestamp, let direction, let bytes):
            return "\(Self.time(timestamp)) #\(connection) \(Self.arrow(direction)) gap: \(bytes) bytes not captured"
        case .anomaly(let anomaly):
            let connection = anomaly.connection.map { "#\($0)" } ?? "-"
            let arrow = anomaly.direction.map { " " + Self.arrow($0) } ?? ""
            return "\(Self.time(anomaly.timestamp)) \(connection)\(arrow) ! \(anomaly.kind): \(TerminalSafeText(anomaly.detail))"
        case .undecrypted(let connection):
            return "\(Self.time(connection.timestamp)) #\(connection.connection) TLS \(connection.client) → \(connection.server) not decrypted (\(connection.reason)): "
                + "\(Self.size(connection.bytesFromClient)) from client, \(Self.size(connection.bytesFromServer)) from server; \(TerminalSafeText(connection.detail))"
        case .close(let close):
            return "\(Self.time(close.timestamp)) #\(close.connection) end (\(close.reason.name)): \(close.messagesFromClient) from client, \(close.messagesFromServer) from server"
        }
    }

    private func formatMessage(_ message: WebSocketMessage) -> String {
        var line = "\(Self.time(message.timestamp)) #\(message.connection) \(Self.arrow(message.direction)) \(message.opcode) \(Self.size(message.length))"
        if message.frames > 1 { line += " in \(message.frames) frames" }
        if message.compressed { line += message.decompressed ? " (deflated \(Self.size(message.wireLength)))" : " (compressed, not inflated)" }
        if message.truncated { line += " [truncated]" }
        if message.isIncomplete {
            line += message.missingBytes > 0 ? " [incomplete: \(message.missingBytes) bytes lost]" : " [incomplete: cut short]"
        }
        if let code = message.closeCode {
            line += " \(code)"
            if let reason = message.closeReason, !reason.isEmpty { line += " " + quoted(reason) }
            return line
        }
        if let annotation = message.annotation {
            // The decoded form (`socket.io EVENT "chat" ["hi",1] ack=4`) stands for the payload;
            // its strings are JSON-quoted, and what would act on a terminal is escaped as JSON does.
            line += " " + TerminalSafeText.json(Self.cut(annotation.protocolName + " " + annotation.summary, maxPreviewCharacters * 2))
            if let answers = annotation[field: "answers"], let range = answers.range(of: "\"latency_ms\":") {
                line += " (answer after \(answers[range.upperBound...].prefix { $0.isNumber || $0 == "." || $0 == "-" }) ms)"
            }
            return line
        }
        guard !message.payload.isEmpty else { return line }
        let plain = !message.compressed || message.decompressed
        if plain && message.opcode == .text, let text = String(validating: message.payload, as: UTF8.self) {
            line += " " + quoted(text)
        } else {
            line += " " + hexPreview(message.payload)
        }
        return line
    }

    /// A text payload or close reason, quoted and escaped (`TerminalSafeText`), cut at
    /// `maxPreviewCharacters`.
    private func quoted(_ text: String) -> String {
        TerminalSafeText.quoted(text, maxCharacters: maxPreviewCharacters)
    }

    static func cut(_ text: String, _ limit: Int) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(limit)) + "…"
    }

    private func hexPreview(_ bytes: [UInt8]) -> String {
        let shown = bytes.prefix(maxPreviewCharacters / 3)
        var result = "0x"
        for byte in shown {
            if byte < 16 { result += "0" }
            result += String(byte, radix: 16)
        }
        if shown.count < bytes.count { result += "…" }
        return result
    }

    static func arrow(_ direction: WebSocketDirection) -> String {
        direction == .clientToServer ? "C→S" : "S→C"
    }

    /// `1.2 KiB` style sizes, exact bytes below 1 KiB.
    static func size(_ bytes: UInt64) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }

    /// UTC wall time of a packet, `HH:MM:SS.micros`, as tcpdump prints it (but always UTC, so output
    /// does not depend on the machine reading the file).
    static func time(_ timestamp: Timestamp) -> String {
        var seconds = time_t(timestamp.seconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        var micros = String(timestamp.nanoseconds / 1000)
        while micros.count < 6 { micros = "0" + micros }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(micros)"
    }
}
