import MessageDecoding
import WebSocketProtocol

/// Socket.IO over Engine.IO on a WebSocket (Engine.IO v4 with Socket.IO v5, and Engine.IO v3 with
/// Socket.IO v3/v4, told apart by the `EIO=` of the request path).
///
/// Engine.IO packets are one character of type then data (`2probe`, `4…`); a `message` packet
/// carries a Socket.IO packet: type digit, an attachment count and `-` for binary packets, a
/// namespace ending in `,`, an ack id, then JSON. A binary event's attachments follow as binary
/// messages in the same direction (v3 puts Engine.IO type 4 in front of each); they are re-joined
/// to their event, at most `maxPendingAttachments` per event.
public struct SocketIODecoder: MessageDecoder {
    /// Most binary attachments one event may announce and have followed (default 64); an event
    /// announcing more is shown but its attachments are not re-joined.
    public static let defaultMaxPendingAttachments = 64

    public let engineVersion: Int
    public let maxPendingAttachments: Int
    private var pending: PendingRequests<AckKey>
    /// Per direction: the binary packet whose attachments are still arriving.
    private var awaiting: [WebSocketDirection: Awaiting] = [:]

    struct AckKey: Hashable, Sendable {
        var requester: WebSocketDirection
        var namespace: String
        var id: String
    }

    struct Awaiting: Sendable {
        var packet: SocketIOPacket
        var sizes: [Int] = []
    }

    public init(
        engineVersion: Int = 4, maxPendingAttachments: Int = defaultMaxPendingAttachments,
        maxOutstandingRequests: Int = PendingRequests<Int>.defaultMaxOutstanding
    ) {
        self.engineVersion = engineVersion
        self.maxPendingAttachments = maxPendingAttachments
        self.pending = PendingRequests(maxOutstanding: maxOutstandingRequests)
    }

    /// The Engine.IO version of a request path's `EIO=` parameter (4 when absent or unknown).
    public static func engineVersion(path: String?) -> Int {
        guard let path, let query = path.split(separator: "?", maxSplits: 1).dropFirst().first else { return 4 }
        for parameter in query.split(separator: "&") where parameter.hasPrefix("EIO=") {
            return Int(parameter.dropFirst(4)) ?? 4
        }
        return 4
    }

    public mutating func annotate(_ message: DecodableMessage) -> MessageAnnotation? {
        guard message.isComplete else { return nil }
        switch message.opcode {
        case .binary: return attachment(message)
        case .text: break
        default: return nil
        }
        var problems: [MessageAnnotation.Problem] = []
        if let unfinished = awaiting.removeValue(forKey: message.direction) {
            problems.append(.init(.undecodable, "\(unfinished.packet.type.name) announced \(unfinished.packet.attachments) attachment(s), \(unfinished.sizes.count) arrived before the next packet"))
        }
        let payload = message.payload[...]
        guard let typeByte = payload.first, let type = EngineIOPacketType(digit: typeByte) else {
            return .undecodable("engine.io", "not an Engine.IO packet (type \(payload.first.map { JSONNode.quoted(String(UnicodeScalar($0))) } ?? "missing"))")
        }
        let data = payload.dropFirst()
        guard type == .message else {
            var annotation = engineAnnotation(type, data)
            annotation.problems = problems + annotation.problems
            return annotation
        }
        switch SocketIOPacket.parse(data) {
        case .failure(let reason):
            var annotation = MessageAnnotation(protocolName: "engine.io", summary: "message " + PayloadText.preview(data), fields: [.init("type", "message")])
            annotation.problems = problems + [.init(.undecodable, "not a Socket.IO packet: \(reason)")]
            return annotation
        case .success(let packet):
            var annotation = socketAnnotation(packet, time: message.time, direction: message.direction)
            if packet.attachments > 0 {
                if packet.attachments > maxPendingAttachments {
                    problems.append(.init(.limit, "\(packet.type.name) announces \(packet.attachments) attachments, more than maxPendingAttachments (\(maxPendingAttachments)): not re-joined"))
                } else {
                    awaiting[message.direction] = Awaiting(packet: packet)
                }
            }
            annotation.problems = problems + annotation.problems
            return annotation
        }
    }

    public mutating func finish() -> [MessageAnnotation.Problem] {
        var problems: [MessageAnnotation.Problem] = awaiting.values.map {
            .init(.undecodable, "\($0.packet.type.name) announced \($0.packet.attachments) attachment(s), \($0.sizes.count) arrived before the close")
        }
        awaiting.removeAll()
        problems += pending.finish()
        return problems
    }

    private func engineAnnotation(_ type: EngineIOPacketType, _ data: ArraySlice<UInt8>) -> MessageAnnotation {
        var fields: [MessageAnnotation.Field] = [.init("type", type.name)]
        var summary = type.name
        switch type {
        case .open:
            guard case .success(let handshake) = JSONReader.parse(data), handshake.isObject else {
                return .undecodable("engine.io", "open packet without its JSON handshake")
            }
            if let sid = handshake["sid"]?.stringValue { fields.append(.init("sid", sid)); summary += " sid=" + sid }
            if case .number(let interval)? = handshake["pingInterval"] { fields.append(.init(json: "ping_interval", interval)); summary += " ping=\(interval)ms" }
            if case .number(let timeout)? = handshake["pingTimeout"] { fields.append(.init(json: "ping_timeout", timeout)) }
            if let upgrades = handshake["upgrades"], case .array = upgrades { fields.append(.init(json: "upgrades", upgrades.compact)) }
            if case .number(let maxPayload)? = handshake["maxPayload"] { fields.append(.init(json: "max_payload", maxPayload)) }
        case .ping, .pong:
            if data.elementsEqual("probe".utf8) {
                fields.append(.init("probe", true))
                summary += " probe"
            } else if !data.isEmpty {
                fields += PayloadText.fields("data", data)
                summary += " " + PayloadText.preview(data)
            }
        case .close, .upgrade, .noop, .message:
            if !data.isEmpty {
                fields += PayloadText.fields("data", data)
                summary += " " + PayloadText.preview(data)
            }
        }
        return MessageAnnotation(protocolName: "engine.io", summary: summary, fields: fields)
    }

    private mutating func socketAnnotation(_ packet: SocketIOPacket, time: Double, direction: WebSocketDirection) -> MessageAnnotation {
        var fields: [MessageAnnotation.Field] = [.init("type", packet.type.name), .init("namespace", packet.namespace)]
        var summary = packet.type.name
        if packet.namespace != "/" { summary += " " + packet.namespace }
        var problems: [MessageAnnotation.Problem] = []
        if let event = packet.event {
            fields.append(.init("event", event))
            summary += " " + JSONNode.quoted(event)
        }
        if let args = packet.args {
            let text = JSONNode.array(args).compact
            fields.append(.init(json: "args", text))
            summary += " " + PayloadText.cut(text)
        } else if let data = packet.data {
            let text = data.compact
            fields.append(.init(json: "data", text))
            if packet.type == .connect, let sid = data["sid"]?.stringValue { fields.append(.init("sid", sid)) }
            if packet.type == .connectError, let reason = data["message"]?.stringValue ?? data.stringValue { fields.append(.init("error", reason)) }
            summary += " " + PayloadText.cut(text)
        }
        if packet.attachments > 0 {
            fields.append(.init("attachments", packet.attachments))
            summary += " attachments=\(packet.attachments)"
        }
        if let id = packet.ackID {
            fields.append(.init(json: "ack_id", id))
            summary += " ack=" + id
            switch packet.type {
            case .event, .binaryEvent:
                let label = "socket.io \(packet.type.name) \(packet.event.map(JSONNode.quoted) ?? "") ack=\(id)"
                if let problem = pending.request(AckKey(requester: direction, namespace: packet.namespace, id: id), at: time, label: label, name: packet.event) {
                    problems.append(problem)
                }
            case .ack, .binaryAck:
                if let answers = pending.answer(AckKey(requester: direction.opposite, namespace: packet.namespace, id: id), at: time) {
                    fields.append(answers)
                }
            default: break
            }
        }
        return MessageAnnotation(protocolName: "socket.io", summary: summary, fields: fields, problems: problems)
    }

    /// A binary message: the next attachment of the binary packet awaited in its direction.
    private mutating func attachment(_ message: DecodableMessage) -> MessageAnnotation? {
        var bytes = message.payload[...]
        if engineVersion < 4 {
            // Engine.IO v3 sends binary packets with their type byte in front (4 = message).
            guard bytes.first == 4 else {
                return .undecodable("engine.io", "binary Engine.IO v3 packet of type \(bytes.first.map(String.init) ?? "none"), not a message")
            }
            bytes = bytes.dropFirst()
        }
        guard var state = awaiting[message.direction] else {
            return .undecodable("socket.io", "binary attachment (\(bytes.count) bytes) without a binary packet announcing it")
        }
        state.sizes.append(bytes.count)
        let packet = state.packet
        var fields: [MessageAnnotation.Field] = [
            .init("type", "ATTACHMENT"), .init("namespace", packet.namespace),
            .init("attachment", state.sizes.count - 1), .init("attachments", packet.attachments), .init("of", packet.type.name),
        ]
        if let event = packet.event { fields.append(.init("event", event)) }
        if let id = packet.ackID { fields.append(.init(json: "ack_id", id)) }
        var summary = "ATTACHMENT \(state.sizes.count)/\(packet.attachments) of \(packet.type.name)"
        if let event = packet.event { summary += " " + JSONNode.quoted(event) }
        summary += " <\(bytes.count) bytes>"
        if state.sizes.count == packet.attachments {
            awaiting[message.direction] = nil
            fields.append(.init("complete", true))
            if let args = packet.args {
                fields.append(.init(json: "args", JSONNode.array(args.map { Self.rejoin($0, sizes: state.sizes) }).compact))
            } else if let data = packet.data {
                fields.append(.init(json: "data", Self.rejoin(data, sizes: state.sizes).compact))
            }
        } else {
            awaiting[message.direction] = state
        }
        return MessageAnnotation(protocolName: "socket.io", summary: summary, fields: fields)
    }

    /// Replaces each `{"_placeholder":true,"num":N}` with what arrived for attachment N: its size
    /// (the bytes themselves are the attachment message's own payload).
    static func rejoin(_ node: JSONNode, sizes: [Int]) -> JSONNode {
        switch node {
        case .array(let values): return .array(values.map { rejoin($0, sizes: sizes) })
        case .object(let members):
            if node["_placeholder"] == .bool(true), case .number(let text)? = node["num"], let index = Int(text), sizes.indices.contains(index) {
                return .object([("_attachment", .number(String(index))), ("bytes", .number(String(sizes[index])))])
            }
            return .object(members.map { ($0.key, rejoin($0.value, sizes: sizes)) })
        default: return node
        }
    }
}
