/// The fixed part of a WebSocket frame (RFC 6455 §5.2): everything before the payload.
public struct WebSocketFrameHeader: Sendable, Hashable {
    public var fin: Bool
    /// The three reserved bits as sent: 0b100 is RSV1 (permessage-deflate), 0b010 RSV2, 0b001 RSV3.
    public var reservedBits: UInt8
    public var opcode: WebSocketOpcode
    /// The masking key as the four bytes appear on the wire, packed big-endian; nil when unmasked.
    public var maskKey: UInt32?
    public var payloadLength: UInt64
    /// Bytes the header occupies on the wire: 2, 4 or 10, plus 4 when masked.
    public var headerLength: Int
    /// True when the length used a longer encoding than needed (allowed by parsers, but a sign of a
    /// hand-made or buggy peer — and of a false frame boundary when scanning heuristically).
    public var usesNonMinimalLength: Bool

    public var rsv1: Bool { reservedBits & 0b100 != 0 }

    public init(fin: Bool, reservedBits: UInt8 = 0, opcode: WebSocketOpcode, maskKey: UInt32? = nil, payloadLength: UInt64) {
        self.fin = fin
        self.reservedBits = reservedBits & 0b111
        self.opcode = opcode
        self.maskKey = maskKey
        self.payloadLength = payloadLength
        let lengthBytes = payloadLength < 126 ? 0 : (payloadLength <= 0xffff ? 2 : 8)
        self.headerLength = 2 + lengthBytes + (maskKey == nil ? 0 : 4)
        self.usesNonMinimalLength = false
    }

    /// The outcome of reading a header from the start of some bytes.
    public enum ParseResult: Sendable, Equatable {
        /// A complete header.
        case header(WebSocketFrameHeader)
        /// The bytes end inside the header; at least this many bytes in all are needed.
        case needMoreBytes(Int)
        /// A header no peer may send: a 64-bit length with its top bit set (RFC 6455 §5.2).
        case invalid(String)
    }

    /// Reads a header from the first bytes of `bytes`, without copying.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> ParseResult {
        guard bytes.count >= 2 else { return .needMoreBytes(2) }
        let first = bytes[0]
        let second = bytes[1]
        let masked = second & 0x80 != 0
        let shortLength = UInt64(second & 0x7f)
        let lengthBytes = shortLength == 126 ? 2 : (shortLength == 127 ? 8 : 0)
        let headerLength = 2 + lengthBytes + (masked ? 4 : 0)
        guard bytes.count >= headerLength else { return .needMoreBytes(headerLength) }
        var length = shortLength
        var nonMinimal = false
        if lengthBytes > 0 {
            length = 0
            for index in 0..<lengthBytes { length = length << 8 | UInt64(bytes[2 + index]) }
            if lengthBytes == 8 && length >> 63 != 0 {
                return .invalid("64-bit payload length has its most significant bit set (\(length))")
            }
            nonMinimal = lengthBytes == 2 ? length < 126 : length <= 0xffff
        }
        var maskKey: UInt32?
        if masked {
            let offset = 2 + lengthBytes
            maskKey = UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
                | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
        }
        var header = WebSocketFrameHeader(
            fin: first & 0x80 != 0, reservedBits: (first >> 4) & 0b111,
            opcode: WebSocketOpcode(rawValue: first & 0x0f), maskKey: maskKey, payloadLength: length)
        header.headerLength = headerLength
        header.usesNonMinimalLength = nonMinimal
        return .header(header)
    }

    /// The header's wire bytes; used by tests and by the conversation engine to write frames.
    public var bytes: [UInt8] { withWireBytes { Array($0) } }

    /// Calls `body` with the header's wire bytes (2 to 14), built on the stack: writing a frame
    /// costs no allocation for its header.
    public func withWireBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        var storage: (UInt64, UInt64) = (0, 0)
        return try withUnsafeMutableBytes(of: &storage) { raw in
            var count = 0
            func put(_ byte: UInt8) {
                raw[count] = byte
                count += 1
            }
            put((fin ? 0x80 : 0) | reservedBits << 4 | opcode.rawValue)
            let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
            if payloadLength < 126 {
                put(maskBit | UInt8(payloadLength))
            } else if payloadLength <= 0xffff {
                put(maskBit | 126)
                put(UInt8(payloadLength >> 8))
                put(UInt8(payloadLength & 0xff))
            } else {
                put(maskBit | 127)
                for shift in stride(from: 56, through: 0, by: -8) { put(UInt8((payloadLength >> UInt64(shift)) & 0xff)) }
            }
            if let maskKey {
                for shift in stride(from: 24, through: 0, by: -8) { put(UInt8((maskKey >> UInt32(shift)) & 0xff)) }
            }
            return try body(UnsafeRawBufferPointer(rebasing: raw[..<count]))
        }
    }
}
