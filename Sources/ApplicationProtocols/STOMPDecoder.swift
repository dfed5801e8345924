import MessageDecoding
import WebSocketProtocol

/// STOMP 1.0/1.1/1.2 frames (RabbitMQ web-stomp, ActiveMQ, Spring): a command line, `name:value`
/// header lines, an empty line, the body, then a NUL byte. A message of line ends only is a
/// heart-beat. Header values are unescaped as 1.1/1.2 define (`\n`, `\r`, `\c`, `\\`), except in
/// CONNECT/CONNECTED frames, which the spec leaves unescaped.
///
/// Pairing: a frame with a `receipt` header waits for the RECEIPT with that `receipt-id` (or an
/// ERROR naming it); CONNECT/STOMP waits for CONNECTED.
public struct STOMPDecoder: MessageDecoder {
    static let clientCommands: Set<String> = [
        "CONNECT", "STOMP", "SEND", "SUBSCRIBE", "UNSUBSCRIBE", "ACK", "NACK", "BEGIN", "COMMIT", "ABORT", "DISCONNECT",
    ]
    static let serverCommands: Set<String> = ["CONNECTED", "MESSAGE", "RECEIPT", "ERROR"]
    /// Headers shown per frame (default 64); the rest are counted.
    public static let maxHeaders = 64

    private var pending: PendingRequests<String>

    public init(maxOutstandingRequests: Int = PendingRequests<Int>.defaultMaxOutstanding) {
        pending = PendingRequests(maxOutstanding: maxOutstandingRequests)
    }

    /// True when `payload` starts with a STOMP `CONNECT` or `STOMP` frame's command line: what the
    /// automatic choice tests on a connection's first message when no subprotocol was negotiated.
    public static func looksLikeConnect(_ payload: [UInt8]) -> Bool {
        for command in ["CONNECT", "STOMP"] {
            let head = Array(command.utf8)
            guard payload.count > head.count, payload.starts(with: head) else { continue }
            let next = payload[head.count]
            if next == 0x0a || (next == 0x0d && payload.count > head.count + 1 && payload[head.count + 1] == 0x0a) { return true }
        }
        return false
    }

    public mutating func annotate(_ message: DecodableMessage) -> MessageAnnotation? {
        guard message.isComplete, message.opcode == .text || message.opcode == .binary else { return nil }
        let bytes = message.payload[...]
        if bytes.allSatisfy({ $0 == 0x0a || $0 == 0x0d }) {
            return MessageAnnotation(protocolName: "stomp", summary: "heart-beat", fields: [.init("type", "HEARTBEAT"), .init("command", "HEARTBEAT")])
        }
        // Leading line ends are heart-beats sent just before the frame.
        let start = bytes.firstIndex { $0 != 0x0a && $0 != 0x0d } ?? bytes.endIndex
        var lines = LineReader(bytes: bytes[start...])
        guard let commandLine = lines.next(), let command = String(validating: commandLine, as: UTF8.self),
              Self.clientCommands.contains(command) || Self.serverCommands.contains(command)
        else { return .undecodable("stomp", "does not start with a STOMP command") }
        let escaped = command != "CONNECT" && command != "CONNECTED"
        var headers: [(key: String, value: JSONNode)] = []
        var omitted = 0
        while true {
            guard let line = lines.next() else { return .undecodable("stomp", "\(command) frame ends inside its headers") }
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")),
                  let name = String(validating: line[..<colon], as: UTF8.self),
                  let value = String(validating: line[(colon + 1)...], as: UTF8.self)
            else { return .undecodable("stomp", "\(command) header line without a name:value") }
            let key = escaped ? Self.unescape(name) : name
            // Repeated headers: the first one counts (STOMP 1.2).
            guard !headers.contains(where: { $0.key == key }) else { continue }
            guard headers.count < Self.maxHeaders else { omitted += 1; continue }
            headers.append((key, .string(escaped ? Self.unescape(value) : value)))
        }
        var body = bytes[lines.position...]
        let header = { (name: String) in headers.first { $0.key == name }?.value.stringValue }
        if let lengthText = header("content-length") {
            guard let length = Int(lengthText), length >= 0, length <= body.count else {
                return .undecodable("stomp", "\(command) content-length \(lengthText) beyond the \(body.count) bytes received")
            }
            guard length < body.count, body[body.startIndex + length] == 0 else {
                return .undecodable("stomp", "\(command) frame is not NUL-terminated after its content-length")
            }
            body = body.prefix(length)
        } else {
            guard let nul = body.firstIndex(of: 0) else { return .undecodable("stomp", "\(command) frame without its NUL terminator") }
            body = body[..<nul]
        }
        var fields: [MessageAnnotation.Field] = [.init("type", command), .init("command", command), .init(json: "headers", JSONNode.object(headers).compact)]
        if omitted > 0 { fields.append(.init("headers_omitted", omitted)) }
        fields += PayloadText.fields("body", body)
        var summary = command
        if let destination = header("destination") { fields.append(.init("destination", destination)); summary += " " + destination }
        if let subscription = header("subscription") ?? header("id"), command == "SUBSCRIBE" || command == "MESSAGE" || command == "UNSUBSCRIBE" {
            summary += " sub=" + subscription
        }
        if !body.isEmpty { summary += " " + PayloadText.preview(body) }
        var problems: [MessageAnnotation.Problem] = []
        if let receipt = header("receipt"), message.direction == .clientToServer {
            fields.append(.init("receipt", receipt))
            summary += " receipt=" + receipt
            if let problem = pending.request(receipt, at: message.time, label: "stomp \(command) receipt=\(receipt)", name: header("destination").map { command + " " + $0 } ?? command) { problems.append(problem) }
        }
        switch command {
        case "CONNECT", "STOMP":
            if let problem = pending.request("\u{0}connect", at: message.time, label: "stomp \(command)", name: command) { problems.append(problem) }
        case "CONNECTED":
            if let answers = pending.answer("\u{0}connect", at: message.time) { fields.append(answers) }
            if let version = header("version") { summary += " version=" + version }
            if let beat = header("heart-beat") { summary += " heart-beat=" + beat }
        case "RECEIPT", "ERROR":
            if let receipt = header("receipt-id") {
                fields.append(.init("receipt_id", receipt))
                summary += " receipt-id=" + receipt
                if let answers = pending.answer(receipt, at: message.time) { fields.append(answers) }
            } else if command == "ERROR", let answers = pending.answer("\u{0}connect", at: message.time) {
                fields.append(answers)
            }
            if command == "ERROR", let text = header("message") { summary += " " + JSONNode.quoted(PayloadText.cut(text)) }
        default:
            break
        }
        return MessageAnnotation(protocolName: "stomp", summary: summary, fields: fields, problems: problems)
    }

    public mutating func finish() -> [MessageAnnotation.Problem] { pending.finish() }

    static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var output = ""
        var escaping = false
        for character in text {
            if escaping {
                switch character {
                case "n": output.append("\n")
                case "r": output.append("\r")
                case "c": output.append(":")
                case "\\": output.append("\\")
                default: output.append("\\"); output.append(character)
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                output.append(character)
            }
        }
        return output
    }

    /// Lines ended by LF or CRLF, for the command and header part.
    struct LineReader {
        let bytes: ArraySlice<UInt8>
        var position: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            position = bytes.startIndex
        }

        mutating func next() -> ArraySlice<UInt8>? {
            guard let newline = bytes[position...].firstIndex(of: 0x0a) else { return nil }
            var line = bytes[position..<newline]
            if line.last == 0x0d { line = line.dropLast() }
            position = newline + 1
            return line
        }
    }
}
