import NIOCore
import WebSocketProtocol

/// Turns a recorded message of the played role into the frames the engine sends: the same opcode,
/// the same fragmentation, compressed with the role's parameters negotiated now, and masked as the
/// role requires (a client masks with a fresh random key per frame — NIO does not mask by itself,
/// RFC 6455 §5.3 requires it of clients; a server never masks).
struct FrameEncoder {
    /// Compresses messages when permessage-deflate was negotiated on the new connection.
    private let deflater: PerMessageDeflater?
    /// Whether `encode` masks the frames of this role.
    let masksFrames: Bool

    /// `compression`: what the new connection negotiated; the role picks its side of it
    /// (`client_*` for what a client sends, `server_*` for what a server sends).
    init(compression: PerMessageDeflateParameters?, role: ConversationRole = .client) throws {
        deflater = try compression.map {
            let settings = role.sendingCompression($0)
            return try PerMessageDeflater(windowBits: settings.windowBits, noContextTakeover: settings.noContextTakeover)
        }
        masksFrames = role.masksFrames
    }

    /// One frame before masking.
    struct Frame: Equatable {
        var fin: Bool
        var rsv1: Bool
        var opcode: WebSocketOpcode
        var payload: [UInt8]
    }

    /// The frames of `message`. A message recorded compressed is compressed again when the new
    /// connection negotiated permessage-deflate (otherwise it goes out plain: the server would reject
    /// RSV1). Fragment lengths are the recorded wire lengths; when recompression changes the total,
    /// every fragment but the last keeps its recorded length as far as the bytes go, so the number
    /// of frames is always the recorded one.
    func frames(for message: ReplayMessage) throws -> [Frame] {
        var payload = message.payload
        var compressed = false
        if message.compressed, !message.opcode.isControl, let deflater {
            payload = try deflater.compress(payload)
            compressed = true
        }
        guard message.fragmentLengths.count > 1, !message.opcode.isControl else {
            return [Frame(fin: true, rsv1: compressed, opcode: message.opcode, payload: payload)]
        }
        var frames: [Frame] = []
        var offset = 0
        for (position, length) in message.fragmentLengths.enumerated() {
            let isLast = position == message.fragmentLengths.count - 1
            // A hostile session file may claim any length (2^64 - 1): clamp it to the bytes left
            // before adding, so the sum cannot overflow.
            let end = isLast ? payload.count : offset + Int(min(length, UInt64(payload.count - offset)))
            frames.append(Frame(
                fin: isLast, rsv1: position == 0 && compressed, opcode: position == 0 ? message.opcode : WebSocketOpcode.continuation,
                payload: Array(payload[offset..<end])))
            offset = end
        }
        return frames
    }

    /// The frame's wire bytes: header, masking key (when `masked`), payload.
    static func encode(_ frame: Frame, masked: Bool = true, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: frame.payload.count + 14)
        encode(frame, masked: masked, into: &buffer)
        return buffer
    }

    /// Appends the frame's wire bytes to `buffer` and masks the payload in place there, so that a
    /// batch of frames costs one buffer and one write instead of two buffers and a write each.
    /// `masked` follows the role: clients mask every frame with a fresh key (RFC 6455 §5.3, and NIO
    /// does not mask by itself); servers never mask.
    static func encode(_ frame: Frame, masked: Bool = true, into buffer: inout ByteBuffer) {
        let count = frame.payload.count
        let key = masked ? WebSocketMasking.randomKey() : nil
        let header = WebSocketFrameHeader(
            fin: frame.fin, reservedBits: frame.rsv1 ? 0b100 : 0, opcode: frame.opcode, maskKey: key, payloadLength: UInt64(count))
        buffer.reserveCapacity(minimumWritableBytes: count + header.headerLength)
        _ = header.withWireBytes { buffer.writeBytes($0) }
        buffer.writeBytes(frame.payload)
        guard let key else { return }
        // The payload is the last `count` readable bytes; mask them where they are.
        buffer.withUnsafeMutableReadableBytes { bytes in
            WebSocketMasking.apply(UnsafeMutableRawBufferPointer(rebasing: bytes[(bytes.count - count)...]), maskKey: key, offset: 0)
        }
    }
}
