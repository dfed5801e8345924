/// A WebSocket frame opcode (RFC 6455 §5.2). Holds any 4-bit value, so that an inspector can show
/// reserved opcodes it sees instead of refusing them.
public struct WebSocketOpcode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x0f }

    public static let continuation = WebSocketOpcode(rawValue: 0x0)
    public static let text = WebSocketOpcode(rawValue: 0x1)
    public static let binary = WebSocketOpcode(rawValue: 0x2)
    public static let close = WebSocketOpcode(rawValue: 0x8)
    public static let ping = WebSocketOpcode(rawValue: 0x9)
    public static let pong = WebSocketOpcode(rawValue: 0xA)

    /// Control frames (opcodes 0x8–0xF) may appear between the fragments of a data message.
    public var isControl: Bool { rawValue & 0x8 != 0 }

    /// Opcodes RFC 6455 defines; the others are reserved.
    public var isKnown: Bool { [0x0, 0x1, 0x2, 0x8, 0x9, 0xA].contains(rawValue) }

    /// `text`, `binary`, `close`, `ping`, `pong`, `continuation`, or `reserved-0x3` style names.
    public var description: String {
        switch rawValue {
        case 0x0: return "continuation"
        case 0x1: return "text"
        case 0x2: return "binary"
        case 0x8: return "close"
        case 0x9: return "ping"
        case 0xA: return "pong"
        default: return "reserved-0x" + String(rawValue, radix: 16)
        }
    }
}
