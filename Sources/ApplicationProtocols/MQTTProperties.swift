import WebSocketProtocol

/// MQTT 5 properties (§2.2.2.2): an identifier then a value of the identifier's type, shown as a
/// JSON object under their spec names (`user_property` as a list of pairs, since it may repeat).
enum MQTTProperties {
    enum ValueType { case byte, twoBytes, fourBytes, varint, string, binary, pair }

    static let table: [Int: (name: String, type: ValueType)] = [
        0x01: ("payload_format_indicator", .byte), 0x02: ("message_expiry_interval", .fourBytes),
        0x03: ("content_type", .string), 0x08: ("response_topic", .string), 0x09: ("correlation_data", .binary),
        0x0B: ("subscription_identifier", .varint), 0x11: ("session_expiry_interval", .fourBytes),
        0x12: ("assigned_client_identifier", .string), 0x13: ("server_keep_alive", .twoBytes),
        0x15: ("authentication_method", .string), 0x16: ("authentication_data", .binary),
        0x17: ("request_problem_information", .byte), 0x18: ("will_delay_interval", .fourBytes),
        0x19: ("request_response_information", .byte), 0x1A: ("response_information", .string),
        0x1C: ("server_reference", .string), 0x1F: ("reason_string", .string), 0x21: ("receive_maximum", .twoBytes),
        0x22: ("topic_alias_maximum", .twoBytes), 0x23: ("topic_alias", .twoBytes), 0x24: ("maximum_qos", .byte),
        0x25: ("retain_available", .byte), 0x26: ("user_property", .pair), 0x27: ("maximum_packet_size", .fourBytes),
        0x28: ("wildcard_subscription_available", .byte), 0x29: ("subscription_identifier_available", .byte),
        0x2A: ("shared_subscription_available", .byte),
    ]

    /// Reads a property block (its varint length and the properties in it).
    static func read(_ reader: inout MQTTByteReader) throws(ParseFailure) -> JSONNode {
        let length = try reader.varint("property length")
        guard reader.remaining >= length else { throw ParseFailure("properties of \(length) bytes beyond the packet") }
        var block = MQTTByteReader(reader.bytes[reader.index..<reader.index + length])
        reader.index += length
        var members: [(key: String, value: JSONNode)] = []
        var userProperties: [JSONNode] = []
        while !block.isAtEnd {
            let identifier = try block.varint("property identifier")
            guard let entry = table[identifier] else { throw ParseFailure("unknown property identifier 0x\(String(identifier, radix: 16))") }
            let value: JSONNode
            switch entry.type {
            case .byte: value = .number(String(try block.byte(entry.name)))
            case .twoBytes: value = .number(String(try block.uint16(entry.name)))
            case .fourBytes: value = .number(String(try block.uint32(entry.name)))
            case .varint: value = .number(String(try block.varint(entry.name)))
            case .string: value = .string(try block.string(entry.name))
            case .binary:
                let raw = try block.binary(entry.name)
                value = String(validating: raw, as: UTF8.self).map(JSONNode.string) ?? .object([("base64", .string(Base64.encode(raw)))])
            case .pair:
                let key = try block.string("user property name")
                let text = try block.string("user property value")
                userProperties.append(.array([.string(key), .string(text)]))
                continue
            }
            members.append((entry.name, value))
        }
        if !userProperties.isEmpty { members.append(("user_property", .array(userProperties))) }
        return .object(members)
    }
}
