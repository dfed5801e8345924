/// Engine.IO packet types (one ASCII digit in front of every packet).
enum EngineIOPacketType: UInt8, Sendable {
    case open = 0, close, ping, pong, message, upgrade, noop

    init?(digit: UInt8) {
        guard digit >= 0x30, let type = EngineIOPacketType(rawValue: digit &- 0x30) else { return nil }
        self = type
    }

    var name: String {
        switch self {
        case .open: return "open"
        case .close: return "close"
        case .ping: return "ping"
        case .pong: return "pong"
        case .message: return "message"
        case .upgrade: return "upgrade"
        case .noop: return "noop"
        }
    }
}

/// Socket.IO packet types; 4 is ERROR in Socket.IO v2/v3 and CONNECT_ERROR since, the same packet.
enum SocketIOPacketType: UInt8, Sendable {
    case connect = 0, disconnect, event, ack, connectError, binaryEvent, binaryAck

    var name: String {
        switch self {
        case .connect: return "CONNECT"
        case .disconnect: return "DISCONNECT"
        case .event: return "EVENT"
        case .ack: return "ACK"
        case .connectError: return "CONNECT_ERROR"
        case .binaryEvent: return "BINARY_EVENT"
        case .binaryAck: return "BINARY_ACK"
        }
    }
}

/// One Socket.IO packet in its text encoding: `<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]`.
struct SocketIOPacket: Sendable {
    /// Most digits read for an attachment count or ack id (ids are JavaScript integers).
    static let maxNumberDigits = 16

    var type: SocketIOPacketType
    var attachments = 0
    var namespace = "/"
    /// Decimal digits, as sent.
    var ackID: String?
    /// For events: the name (first array element) and the arguments after it.
    var event: String?
    var args: [JSONNode]?
    /// For other packets: their JSON data, if any.
    var data: JSONNode?

    static func parse(_ bytes: ArraySlice<UInt8>) -> Result<SocketIOPacket, ParseFailure> {
        var index = bytes.startIndex
        guard index < bytes.endIndex, bytes[index] >= 0x30, let type = SocketIOPacketType(rawValue: bytes[index] - 0x30) else {
            return .failure(ParseFailure("unknown packet type"))
        }
        index += 1
        var packet = SocketIOPacket(type: type)
        if type == .binaryEvent || type == .binaryAck {
            let digits = Self.digits(bytes, from: index)
            guard !digits.isEmpty, digits.count <= maxNumberDigits, digits.endIndex < bytes.endIndex, bytes[digits.endIndex] == UInt8(ascii: "-"),
                  let count = Int(String(decoding: digits, as: UTF8.self))
            else { return .failure(ParseFailure("binary packet without its attachment count")) }
            packet.attachments = count
            index = digits.endIndex + 1
        }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "/") {
            let end = bytes[index...].firstIndex(of: UInt8(ascii: ",")) ?? bytes.endIndex
            guard let namespace = String(validating: bytes[index..<end], as: UTF8.self) else { return .failure(ParseFailure("namespace is not UTF-8")) }
            packet.namespace = namespace
            index = end < bytes.endIndex ? end + 1 : end
        }
        let digits = Self.digits(bytes, from: index)
        if !digits.isEmpty {
            guard digits.count <= maxNumberDigits else { return .failure(ParseFailure("ack id longer than \(maxNumberDigits) digits")) }
            packet.ackID = String(decoding: digits, as: UTF8.self)
            index = digits.endIndex
        }
        let rest = bytes[index...]
        guard !rest.isEmpty else {
            if type == .event || type == .binaryEvent { return .failure(ParseFailure("event without data")) }
            return .success(packet)
        }
        let data: JSONNode
        switch JSONReader.parse(rest) {
        case .success(let node): data = node
        case .failure(let failure): return .failure(ParseFailure("data: \(failure)"))
        }
        switch type {
        case .event, .binaryEvent:
            guard case .array(let values) = data, let name = values.first?.stringValue else {
                return .failure(ParseFailure("event data is not an array starting with the event name"))
            }
            packet.event = name
            packet.args = Array(values.dropFirst())
        case .ack, .binaryAck:
            guard case .array(let values) = data else { return .failure(ParseFailure("ack data is not an array")) }
            packet.args = values
        case .connect, .disconnect, .connectError:
            packet.data = data
        }
        return .success(packet)
    }

    private static func digits(_ bytes: ArraySlice<UInt8>, from index: Int) -> ArraySlice<UInt8> {
        var end = index
        while end < bytes.endIndex, bytes[end] >= 0x30, bytes[end] <= 0x39 { end += 1 }
        return bytes[index..<end]
    }
}

/// Why a message is not a packet of the protocol, for the `undecodable_app_message` detail.
struct ParseFailure: Error, CustomStringConvertible, Sendable {
    var description: String
    init(_ description: String) { self.description = description }
}
