import CompressNIO
import NIOCore

/// The compressing side of permessage-deflate, for building test vectors and for recompressing
/// messages on replay (public for the Replay target).
///
/// Messages can be written in parts so a large message (or a bomb) never has to exist in memory
/// at once, and a sync flush can be forced inside a message as some senders do.
public final class PerMessageDeflater {
    private let compressor: ZlibCompressor
    private let noContextTakeover: Bool
    private let allocator = ByteBufferAllocator()
    private var pending: [UInt8] = []
    private static let stepBytes = 64 << 10

    /// - Parameters:
    ///   - windowBits: 8...15; 8 is raised to 9 because zlib's raw deflate does not support an
    ///     8-bit window (compress-nio accepts 9...15). Negotiate 9 when a peer asks for 8.
    public init(windowBits: Int = 15, noContextTakeover: Bool = false, compressionLevel: Int32 = 6) throws {
        let bits = Int32(min(max(windowBits, 9), 15))
        let configuration = ZlibConfiguration(windowSize: bits, compressionLevel: compressionLevel)
        compressor = try ZlibCompressor(algorithm: .deflate, configuration: configuration)
        self.noContextTakeover = noContextTakeover
    }

    /// Compresses part of the current message.
    public func write(_ bytes: [UInt8]) throws {
        try deflate(bytes, flush: .no)
    }

    /// Forces a sync flush inside the current message (emits an empty stored block).
    public func flush() throws {
        try deflate([], flush: .sync)
    }

    /// Ends the message: sync flush, strip the trailing `00 00 ff ff`, return the payload.
    public func finishMessage() throws -> [UInt8] {
        try deflate([], flush: .sync)
        var payload = pending
        pending = []
        if payload.suffix(4) == [0x00, 0x00, 0xFF, 0xFF] { payload.removeLast(4) }
        if noContextTakeover { try compressor.reset() }
        return payload
    }

    /// One-shot: the compressed payload of `message`.
    public func compress(_ message: [UInt8]) throws -> [UInt8] {
        try write(message)
        return try finishMessage()
    }

    private func deflate(_ bytes: [UInt8], flush: CompressNIOFlush) throws {
        // Capacity at least 1 so the buffer has storage even when empty (zlib needs a pointer).
        var input = allocator.buffer(capacity: max(bytes.count, 1))
        input.writeBytes(bytes)
        var output = allocator.buffer(capacity: Self.stepBytes)
        while true {
            output.clear()
            do {
                try compressor.deflate(from: &input, to: &output, flush: flush)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                // No progress possible: input consumed and nothing more to flush.
            }
            pending.append(contentsOf: output.readableBytesView)
            // Done once all input is consumed and zlib left space in the output (flush complete).
            if input.readableBytes == 0, output.writableBytes > 0 { return }
        }
    }
}
