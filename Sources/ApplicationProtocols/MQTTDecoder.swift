import MessageDecoding
import WebSocketProtocol

/// MQTT 3.1, 3.1.1 and 5 over WebSocket (mosquitto, EMQX, HiveMQ; subprotocol `mqtt`). MQTT over
/// WebSocket is a byte stream carried in binary messages: a message may hold several packets or a
/// piece of one, so each direction keeps the unfinished packet, at most `maxBufferedBytes`.
///
/// The protocol level comes from CONNECT (a connection picked up after it is read as 3.1.1 until
/// one is seen). Pairing: PUBLISH (QoS 1/2) → PUBACK/PUBREC, PUBREL → PUBCOMP, SUBSCRIBE → SUBACK,
/// UNSUBSCRIBE → UNSUBACK, CONNECT → CONNACK, PINGREQ → PINGRESP, by packet id and direction.
public struct MQTTDecoder: MessageDecoder {
    /// Largest unfinished packet kept per direction (default 1 MiB): a remaining length beyond it
    /// is reported and the packet skipped.
    public static let defaultMaxBufferedBytes = 1 << 20
    /// Most MQTT 5 topic aliases remembered per direction (default 1024).
    public static let defaultMaxTopicAliases = 1024

    public let maxBufferedBytes: Int
    public let maxTopicAliases: Int
    private var level: UInt8 = 4
    private var buffers: [WebSocketDirection: [UInt8]] = [:]
    private var aliases: [WebSocketDirection: [UInt16: String]] = [:]
    private var pending: PendingRequests<RequestKey>

    struct RequestKey: Hashable, Sendable {
        var requester: WebSocketDirection
        /// The request's type (PUBLISH, PUBREL, SUBSCRIBE, UNSUBSCRIBE, CONNECT, PINGREQ).
        var type: Int
        var id: UInt16
    }

    public init(
        maxBufferedBytes: Int = defaultMaxBufferedBytes, maxTopicAliases: Int = defaultMaxTopicAliases,
        maxOutstandingRequests: Int = PendingRequests<Int>.defaultMaxOutstanding
    ) {
        self.maxBufferedBytes = maxBufferedBytes
        self.maxTopicAliases = maxTopicAliases
        pending = PendingRequests(maxOutstanding: maxOutstandingRequests)
    }

    public mutating func annotate(_ message: DecodableMessage) -> MessageAnnotation? {
        guard message.opcode == .binary || message.opcode == .text else { return nil }
        guard message.isComplete else {
            // The stream is broken here: what was buffered can no longer be finished.
            buffers[message.direction] = nil
            return nil
        }
        var bytes = buffers.removeValue(forKey: message.direction) ?? []
        let carried = bytes.count
        bytes += message.payload
        var packets: [MQTTPacket] = []
        var problems: [MessageAnnotation.Problem] = []
        var answers: [MessageAnnotation.Field] = []
        var index = 0
        while index < bytes.count {
            let header = bytes[index]
            let length: Int
            let lengthBytes: Int
            switch MQTTByteReader.varint(bytes[...], at: index + 1) {
            case .value(let value, let count):
                length = value
                lengthBytes = count
            case .needMore:
                return finishMessage(packets, problems, answers, keeping: Array(bytes[index...]), carried: carried, direction: message.direction)
            case .malformed:
                problems.append(.init(.undecodable, "remaining length longer than four bytes"))
                return annotation(packets, problems, answers)
            }
            let end = index + 1 + lengthBytes + length
            guard end <= bytes.count else {
                if 1 + lengthBytes + length > maxBufferedBytes {
                    problems.append(.init(.limit, "\(MQTTPacket.typeNames[Int(header >> 4)]) of \(length) bytes, more than maxBufferedBytes (\(maxBufferedBytes)) and not in one message: skipped"))
                    return annotation(packets, problems, answers)
                }
                return finishMessage(packets, problems, answers, keeping: Array(bytes[index...]), carried: carried, direction: message.direction)
            }
            do {
                var packet = try MQTTPacket.parse(header: header, body: bytes[(index + 1 + lengthBytes)..<end], level: level)
                if let protocolLevel = packet.protocolLevel { level = protocolLevel }
                resolveAlias(&packet, direction: message.direction, problems: &problems)
                if let field = pair(packet, direction: message.direction, time: message.time, problems: &problems) { answers.append(field) }
                packets.append(packet)
            } catch {
                problems.append(.init(.undecodable, "MQTT \(MQTTPacket.typeNames[Int(header >> 4)]): \(error)"))
                return annotation(packets, problems, answers)
            }
            index = end
        }
        return annotation(packets, problems, answers)
    }

    public mutating func finish() -> [MessageAnnotation.Problem] {
        var problems: [MessageAnnotation.Problem] = []
        for (direction, buffer) in buffers.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where !buffer.isEmpty {
            problems.append(.init(.undecodable, "\(buffer.count) byte(s) of an unfinished MQTT packet from the \(direction.senderName) at the close"))
        }
        buffers.removeAll()
        return problems + pending.finish()
    }

    /// Keeps the unfinished packet for the next message of this direction.
    private mutating func finishMessage(
        _ packets: [MQTTPacket], _ problems: [MessageAnnotation.Problem], _ answers: [MessageAnnotation.Field],
        keeping rest: [UInt8], carried: Int, direction: WebSocketDirection
    ) -> MessageAnnotation? {
        buffers[direction] = rest
        guard packets.isEmpty else { return annotation(packets, problems, answers) }
        let summary = "partial packet (\(rest.count) bytes so far)"
        return MessageAnnotation(
            protocolName: "mqtt", summary: summary,
            fields: [.init("type", "PARTIAL"), .init("buffered_bytes", rest.count)], problems: problems)
    }

    private mutating func resolveAlias(_ packet: inout MQTTPacket, direction: WebSocketDirection, problems: inout [MessageAnnotation.Problem]) {
        guard packet.type == 3, let alias = packet.topicAlias, let topic = packet.topic else { return }
        if topic.isEmpty {
            if let known = aliases[direction]?[alias] {
                packet.topic = known
                if let index = packet.members.firstIndex(where: { $0.key == "topic" }) { packet.members[index].value = .string(known) }
                if packet.summary.hasPrefix("PUBLISH  ") { packet.summary = "PUBLISH \(known) " + packet.summary.dropFirst(9) }
            }
        } else if aliases[direction]?[alias] != nil || (aliases[direction]?.count ?? 0) < maxTopicAliases {
            aliases[direction, default: [:]][alias] = topic
        } else {
            problems.append(.init(.limit, "more than maxTopicAliases (\(maxTopicAliases)) topic aliases: alias \(alias) not remembered"))
        }
    }

    /// Requests wait for their answers; an answer returns its `answers` field.
    private mutating func pair(_ packet: MQTTPacket, direction: WebSocketDirection, time: Double, problems: inout [MessageAnnotation.Problem]) -> MessageAnnotation.Field? {
        let id = packet.packetID ?? 0
        let request: Int? = switch packet.type {
        case 3: packet.packetID == nil ? nil : 3
        case 6, 8, 10, 1, 12: packet.type
        default: nil
        }
        if let request {
            if let problem = pending.request(RequestKey(requester: direction, type: request, id: id), at: time, label: "mqtt \(packet.name)\(packet.packetID.map { " id=\($0)" } ?? "")", name: Self.requestName(packet)) {
                problems.append(problem)
            }
            return nil
        }
        let answered: Int? = switch packet.type {
        case 4, 5: 3
        case 7: 6
        case 9: 8
        case 11: 10
        case 2: 1
        case 13: 12
        default: nil
        }
        guard let answered else { return nil }
        return pending.answer(RequestKey(requester: direction.opposite, type: answered, id: id), at: time)
    }

    private func annotation(_ packets: [MQTTPacket], _ problems: [MessageAnnotation.Problem], _ answers: [MessageAnnotation.Field]) -> MessageAnnotation? {
        guard let first = packets.first else {
            return problems.isEmpty ? nil : MessageAnnotation(protocolName: "mqtt", summary: "", problems: problems)
        }
        var fields = first.members.map(Self.field)
        if let answer = answers.first { fields.append(answer) }
        var summary = first.summary
        if packets.count > 1 {
            fields.append(.init("packets", packets.count))
            fields.append(.init(json: "more", JSONNode.array(packets.dropFirst().map { .object($0.members) }).compact))
            summary += " (+\(packets.count - 1) more: " + PayloadText.cut(packets.dropFirst().map(\.summary).joined(separator: " | ")) + ")"
        }
        return MessageAnnotation(protocolName: "mqtt", summary: summary, fields: fields, problems: problems)
    }

    /// What a request is about, for its answer's `request`: a PUBLISH's topic, a SUBSCRIBE's
    /// filters, otherwise the packet type.
    static func requestName(_ packet: MQTTPacket) -> String {
        if let topic = packet.topic { return topic }
        if let filters = packet.members.first(where: { $0.key == "subscriptions" || $0.key == "topics" })?.value.arrayValue {
            return filters.map { $0["topic"]?.stringValue ?? $0.stringValue ?? "" }.joined(separator: ",")
        }
        return packet.name
    }

    static func field(_ member: (key: String, value: JSONNode)) -> MessageAnnotation.Field {
        if case .string(let text) = member.value { return .init(member.key, text) }
        return .init(json: member.key, member.value.compact)
    }
}
