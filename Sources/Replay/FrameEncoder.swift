import NIOCore
import NIOWebSocket
import WebSocketInspection

/// Turns a recorded client message into the frames replay sends: the same opcode, the same
/// fragmentation, compressed with the parameters negotiated now, and masked with a fresh random key
/// per frame (NIO does not mask by itself; RFC 6455 §5.3 requires it of clients).
struct FrameEncoder {
    /// Compresses client messages when permessage-deflate was negotiated on the new connection.
    private let deflater: PerMessageDeflater?

    init(compression: PerMessageDeflateParameters?) throws {
        deflater = try compression.map {
            try PerMessageDeflater(windowBits: $0.clientMaxWindowBits, noContextTakeover: $0.clientNoContextTakeover)
        }
    }

    /// One frame before masking.
    struct Frame: Equatable {
        var fin: Bool
        var rsv1: Bool
        var opcode: WebSocketInspection.WebSocketOpcode
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
            let end = isLast ? payload.count : min(offset + Int(clamping: length), payload.count)
            frames.append(Frame(
                fin: isLast, rsv1: position == 0 && compressed, opcode: position == 0 ? message.opcode : WebSocketInspection.WebSocketOpcode.continuation,
                payload: Array(payload[offset..<end])))
            offset = end
        }
        return frames
    }

    /// The frame's wire bytes: header, masking key, masked payload.
    static func encode(_ frame: Frame, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: frame.payload.count + 14)
        encode(frame, into: &buffer)
        return buffer
    }

    /// Appends the frame's wire bytes to `buffer` and masks the payload in place there, so that a
    /// batch of frames costs one buffer and one write instead of two buffers and a write each.
    static func encode(_ frame: Frame, into buffer: inout ByteBuffer) {
        var first = frame.opcode.rawValue
        if frame.fin { first |= 0x80 }
        if frame.rsv1 { first |= 0x40 }
        let count = frame.payload.count
        buffer.reserveCapacity(minimumWritableBytes: count + 14)
        buffer.writeInteger(first)
        if count < 126 {
            buffer.writeInteger(UInt8(0x80 | count))
        } else if count <= Int(UInt16.max) {
            buffer.writeInteger(UInt8(0x80 | 126))
            buffer.writeInteger(UInt16(count))
        } else {
            buffer.writeInteger(UInt8(0x80 | 127))
            buffer.writeInteger(UInt64(count))
        }
        let key = WebSocketMaskingKey.random()
        buffer.writeBytes(key)
        buffer.writeBytes(frame.payload)
        // The payload is the last `count` readable bytes; mask them where they are.
        buffer.withUnsafeMutableReadableBytes { bytes in
            let base = bytes.count - count
            for offset in 0..<count { bytes[base + offset] ^= key[offset & 3] }
        }
    }
}
