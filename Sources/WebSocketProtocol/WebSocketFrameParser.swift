/// An incremental RFC 6455 frame parser for one direction of a connection.
///
/// It is a pure state machine over the bytes the reassembler delivers, in whatever chunks they come:
/// a header may be split across segments, and payloads are handed on in the chunks they arrived in,
/// still masked, together with their offset in the frame so that unmasking can continue across
/// chunks. Nothing is buffered but a partial header (at most 14 bytes), so memory does not depend on
/// frame sizes: a frame that claims 2^62 bytes costs nothing until its bytes arrive.
public struct WebSocketFrameParser: Sendable {
    /// What the parser found, in stream order.
    public enum Event {
        /// A frame header; its payload follows in `payload` events, then `frameEnd`.
        case frameStart(WebSocketFrameHeader)
        /// Payload bytes as on the wire (masked if the frame is), starting `offset` bytes into the payload.
        case payload(ArraySlice<UInt8>, offset: UInt64)
        /// The current frame's payload is complete.
        case frameEnd(WebSocketFrameHeader)
        /// A header no peer may send; the parser is desynchronized and ignores bytes until `resynchronize()`.
        case invalid(String)
    }

    /// The result of telling the parser that bytes were lost.
    public enum SkipResult: Sendable, Equatable {
        /// The lost bytes lay inside the current frame's payload: framing is intact, the payload is not.
        case insidePayload
        /// The lost bytes crossed a frame header: framing is lost until `resynchronize()`.
        case desynchronized
    }

    private var headerBuffer: [UInt8] = []
    private var current: WebSocketFrameHeader?
    private var payloadConsumed: UInt64 = 0
    /// False after an invalid header or a gap that crossed a header.
    public private(set) var isSynchronized = true

    public init() {}

    /// The frame whose payload is being read, if any.
    public var currentFrame: WebSocketFrameHeader? { current }

    /// True between frames: the next byte is the first byte of a header.
    public var isAtFrameBoundary: Bool { isSynchronized && current == nil && headerBuffer.isEmpty }

    /// Consumes `bytes`, reporting frames through `handle`.
    public mutating func parse(_ bytes: ArraySlice<UInt8>, _ handle: (Event) -> Void) {
        var index = bytes.startIndex
        let end = bytes.endIndex
        while index < end && isSynchronized {
            if let frame = current {
                let remaining = frame.payloadLength - payloadConsumed
                let available = UInt64(end - index)
                let take = Int(min(remaining, available))
                if take > 0 {
                    handle(.payload(bytes[index..<(index + take)], offset: payloadConsumed))
                    index += take
                    payloadConsumed += UInt64(take)
                }
                if payloadConsumed == frame.payloadLength {
                    current = nil
                    handle(.frameEnd(frame))
                }
                continue
            }
            // Reading a header: straight from the chunk when it is whole, else through the small buffer.
            let result: WebSocketFrameHeader.ParseResult
            var consumed = 0
            if headerBuffer.isEmpty {
                result = bytes[index...].withUnsafeBytes { WebSocketFrameHeader.parse($0) }
                if case .header(let header) = result { consumed = header.headerLength }
            } else {
                let previous = headerBuffer.count
                let take = min(14 - previous, end - index)
                headerBuffer.append(contentsOf: bytes[index..<(index + take)])
                result = headerBuffer.withUnsafeBytes { WebSocketFrameHeader.parse($0) }
                if case .header(let header) = result { consumed = header.headerLength - previous }
                else if case .needMoreBytes = result { consumed = take }
            }
            switch result {
            case .header(let header):
                headerBuffer.removeAll(keepingCapacity: true)
                index += consumed
                current = header
                payloadConsumed = 0
                handle(.frameStart(header))
                if header.payloadLength == 0 {
                    current = nil
                    handle(.frameEnd(header))
                }
            case .needMoreBytes:
                if headerBuffer.isEmpty { headerBuffer.append(contentsOf: bytes[index..<end]) }
                index = end
            case .invalid(let reason):
                headerBuffer.removeAll(keepingCapacity: true)
                isSynchronized = false
                handle(.invalid(reason))
            }
        }
    }

    /// Accounts for `count` bytes that were lost from the stream.
    public mutating func skip(_ count: UInt64) -> SkipResult {
        guard isSynchronized, let frame = current, headerBuffer.isEmpty,
              count <= frame.payloadLength - payloadConsumed
        else {
            isSynchronized = false
            current = nil
            headerBuffer.removeAll(keepingCapacity: true)
            return .desynchronized
        }
        payloadConsumed += count
        return .insidePayload
    }

    /// Declares that the next byte given to `parse` starts a frame header.
    public mutating func resynchronize() {
        headerBuffer.removeAll(keepingCapacity: true)
        current = nil
        payloadConsumed = 0
        isSynchronized = true
    }
}
