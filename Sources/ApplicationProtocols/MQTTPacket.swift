import WebSocketProtocol

/// One MQTT control packet decoded (MQTT 3.1.1 and 5): its fields as ordered JSON members, a
/// one-line summary, and what pairing needs.
struct MQTTPacket {
    static let typeNames = [
        "RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBSCRIBE", "SUBACK",
        "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH",
    ]

    /// Largest PUBLISH payload copied into the `payload` field (default 64 KiB); a longer one is
    /// only in the message's own `text`/`data`, and `payload_omitted` says so.
    static let maxPayloadFieldBytes = 64 * 1024

    var type: Int
    var name: String { Self.typeNames[type] }
    var members: [(key: String, value: JSONNode)] = []
    var summary: String
    var packetID: UInt16?
    /// For CONNECT: the protocol level it announces (3 = 3.1, 4 = 3.1.1, 5 = 5).
    var protocolLevel: UInt8?
    /// For PUBLISH in MQTT 5: the topic alias property, to resolve an empty topic.
    var topicAlias: UInt16?
    var topic: String?

    /// Decodes the packet whose first byte is `header` and whose remaining bytes are `body`, as
    /// protocol level `level` (5 reads reason codes and properties).
    static func parse(header: UInt8, body: ArraySlice<UInt8>, level: UInt8) throws(ParseFailure) -> MQTTPacket {
        let type = Int(header >> 4)
        let flags = header & 0x0f
        let v5 = level >= 5
        var reader = MQTTByteReader(body)
        var packet = MQTTPacket(type: type, summary: typeNames[type])
        packet.members = [("type", .string(typeNames[type]))]
        func add(_ key: String, _ value: JSONNode) { packet.members.append((key, value)) }
        func number(_ value: some BinaryInteger) -> JSONNode { .number(String(value)) }
        func requireFlags(_ expected: UInt8) throws(ParseFailure) {
            guard flags == expected else { throw ParseFailure("\(typeNames[type]) with reserved flags \(flags)") }
        }
        /// The packet identifier that opens the variable header of PUBACK to UNSUBACK, after their
        /// fixed flags: recorded on the packet and returned for the summary.
        func readPacketID(flags expected: UInt8) throws(ParseFailure) -> UInt16 {
            try requireFlags(expected)
            let id = try reader.uint16("packet id")
            packet.packetID = id
            add("packet_id", number(id))
            return id
        }
        switch type {
        case 1:
            try requireFlags(0)
            let protocolName = try reader.string("protocol name")
            let protocolLevel = try reader.byte("protocol level")
            guard protocolName == "MQTT" || protocolName == "MQIsdp" else { throw ParseFailure("protocol name \(JSONNode.quoted(protocolName))") }
            packet.protocolLevel = protocolLevel
            let connectFlags = try reader.byte("connect flags")
            let keepAlive = try reader.uint16("keep alive")
            add("protocol_name", .string(protocolName))
            add("protocol_version", number(protocolLevel))
            add("clean_start", .bool(connectFlags & 0x02 != 0))
            add("keep_alive", number(keepAlive))
            if protocolLevel >= 5 { add("properties", try MQTTProperties.read(&reader)) }
            let clientID = try reader.string("client id")
            add("client_id", .string(clientID))
            packet.summary += " " + JSONNode.quoted(clientID) + " v\(protocolLevel == 5 ? "5" : protocolLevel == 4 ? "3.1.1" : "3.1") keepalive=\(keepAlive)"
            if connectFlags & 0x04 != 0 {
                var will: [(key: String, value: JSONNode)] = []
                if protocolLevel >= 5 { will.append(("properties", try MQTTProperties.read(&reader))) }
                will.append(("topic", .string(try reader.string("will topic"))))
                let payload = try reader.binary("will payload")
                will.append(("payload", String(validating: payload, as: UTF8.self).map(JSONNode.string) ?? .object([("base64", .string(Base64.encode(payload)))])))
                will.append(("qos", number((connectFlags >> 3) & 0x03)))
                will.append(("retain", .bool(connectFlags & 0x20 != 0)))
                add("will", .object(will))
            }
            if connectFlags & 0x80 != 0 { add("username", .string(try reader.string("user name"))) }
            // The password is never shown: only that one was sent.
            if connectFlags & 0x40 != 0 { _ = try reader.binary("password"); add("password", .string("present")) }
        case 2:
            try requireFlags(0)
            let acknowledge = try reader.byte("acknowledge flags")
            let code = try reader.byte(v5 ? "reason code" : "return code")
            add("session_present", .bool(acknowledge & 0x01 != 0))
            add(v5 ? "reason_code" : "return_code", number(code))
            if v5, !reader.isAtEnd { add("properties", try MQTTProperties.read(&reader)) }
            packet.summary += " code=\(code)"
        case 3:
            let qos = (flags >> 1) & 0x03
            guard qos < 3 else { throw ParseFailure("PUBLISH with QoS 3") }
            let topic = try reader.string("topic")
            packet.topic = topic
            add("topic", .string(topic))
            add("qos", number(qos))
            add("retain", .bool(flags & 0x01 != 0))
            add("dup", .bool(flags & 0x08 != 0))
            if qos > 0 {
                let id = try reader.uint16("packet id")
                packet.packetID = id
                add("packet_id", number(id))
            }
            if v5 {
                let properties = try MQTTProperties.read(&reader)
                if case .number(let alias)? = properties["topic_alias"] { packet.topicAlias = UInt16(alias) }
                add("properties", properties)
            }
            let payload = reader.rest
            // Validated once: the field and the summary both need to know whether it is text.
            let text = String(validating: payload, as: UTF8.self)
            if payload.count > maxPayloadFieldBytes {
                // The bytes are the message's own `text`/`data`: not copied a second time.
                add("payload_omitted", .bool(true))
            } else if let text {
                add("payload", .string(text))
            } else {
                add("payload", .string(Base64.encode(payload)))
                add("payload_encoding", .string("base64"))
            }
            add("payload_bytes", number(payload.count))
            reader.index = body.endIndex
            packet.summary += " \(topic) qos\(qos)" + (packet.packetID.map { " id=\($0)" } ?? "") + (flags & 0x01 != 0 ? " retain" : "")
                + (flags & 0x08 != 0 ? " dup" : "") + " " + (text.map { JSONNode.quoted(PayloadText.cut($0)) } ?? "<\(payload.count) bytes>")
        case 4, 5, 6, 7:
            let id = try readPacketID(flags: type == 6 ? 2 : 0)
            packet.summary += " id=\(id)"
            if v5, !reader.isAtEnd {
                let code = try reader.byte("reason code")
                add("reason_code", number(code))
                if code != 0 { packet.summary += " code=\(code)" }
                if !reader.isAtEnd { add("properties", try MQTTProperties.read(&reader)) }
            }
        case 8, 10:
            let id = try readPacketID(flags: 2)
            if v5 { add("properties", try MQTTProperties.read(&reader)) }
            var filters: [JSONNode] = []
            var names: [String] = []
            while !reader.isAtEnd {
                let filter = try reader.string("topic filter")
                names.append(filter)
                if type == 8 {
                    let options = try reader.byte("subscription options")
                    var entry: [(key: String, value: JSONNode)] = [("topic", .string(filter)), ("qos", number(options & 0x03))]
                    if v5 {
                        entry += [("no_local", .bool(options & 0x04 != 0)), ("retain_as_published", .bool(options & 0x08 != 0)),
                                  ("retain_handling", number((options >> 4) & 0x03))]
                    }
                    filters.append(.object(entry))
                } else {
                    filters.append(.string(filter))
                }
            }
            guard !filters.isEmpty else { throw ParseFailure("\(typeNames[type]) without topic filters") }
            add(type == 8 ? "subscriptions" : "topics", .array(filters))
            if names.count == 1 { add("topic", .string(names[0])) }
            packet.summary += " id=\(id) " + PayloadText.cut(names.joined(separator: ","))
        case 9, 11:
            let id = try readPacketID(flags: 0)
            if v5 { add("properties", try MQTTProperties.read(&reader)) }
            // An MQTT 3.1.1 UNSUBACK has no payload; every other variant lists one code per filter.
            var codes: [JSONNode] = []
            while !reader.isAtEnd { codes.append(number(try reader.byte("reason code"))) }
            if type == 9 || v5 {
                guard !codes.isEmpty else { throw ParseFailure("\(typeNames[type]) without reason codes") }
                add("reason_codes", .array(codes))
            }
            packet.summary += " id=\(id)" + (codes.isEmpty ? "" : " " + JSONNode.array(codes).compact)
        case 12, 13:
            try requireFlags(0)
        case 14, 15:
            try requireFlags(0)
            guard v5 || type == 14 else { throw ParseFailure("AUTH in MQTT 3.1.1") }
            if v5, !reader.isAtEnd {
                let code = try reader.byte("reason code")
                add("reason_code", number(code))
                packet.summary += " code=\(code)"
                if !reader.isAtEnd { add("properties", try MQTTProperties.read(&reader)) }
            }
        default:
            throw ParseFailure("reserved packet type 0")
        }
        guard reader.isAtEnd else { throw ParseFailure("\(reader.remaining) byte(s) left over in \(typeNames[type])") }
        return packet
    }
}
