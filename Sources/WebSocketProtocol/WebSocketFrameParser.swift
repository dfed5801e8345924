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

    /// Reads the next event from the front of `bytes`, removing what it consumed; nil when
    /// `bytes` is used up (or the parser is desynchronized) and more input is needed.
    ///
    /// A pure state machine that returns its results, as NIO's parsers do: the caller loops
    /// `while let event = parser.next(&rest)` and may change its own state between events, with
    /// no callback reaching back into it. After `.invalid` it returns nil until `resynchronize()`.
    public mutating func next(_ bytes: inout ArraySlice<UInt8>) -> Event? {
        guard isSynchronized else { return nil }
        if let frame = current {
            if payloadConsumed == frame.payloadLength {
                current = nil
                return .frameEnd(frame)
            }
            guard !bytes.isEmpty else { return nil }
            let remaining = frame.payloadLength - payloadConsumed
            let take = Int(min(remaining, UInt64(bytes.count)))
            let chunk = bytes.prefix(take)
            bytes.removeFirst(take)
            let offset = payloadConsumed
            payloadConsumed += UInt64(take)
            return .payload(chunk, offset: offset)
        }
        guard !bytes.isEmpty else { return nil }
        // Reading a header: straight from the chunk when it is whole, else through the small buffer.
        let result: WebSocketFrameHeader.ParseResult
        var consumed = 0
        if headerBuffer.isEmpty {
            result = bytes.withUnsafeBytes { WebSocketFrameHeader.parse($0) }
            if case .header(let header) = result { consumed = header.headerLength }
        } else {
            let previous = headerBuffer.count
            let take = min(14 - previous, bytes.count)
            headerBuffer.append(contentsOf: bytes.prefix(take))
            result = headerBuffer.withUnsafeBytes { WebSocketFrameHeader.parse($0) }
            if case .header(let header) = result { consumed = header.headerLength - previous }
            else if case .needMoreBytes = result { consumed = take }
        }
        switch result {
        case .header(let header):
            headerBuffer.removeAll(keepingCapacity: true)
            bytes.removeFirst(consumed)
            current = header
            payloadConsumed = 0
            return .frameStart(header)
        case .needMoreBytes:
            if headerBuffer.isEmpty { headerBuffer.append(contentsOf: bytes) }
            bytes.removeFirst(bytes.count)
            return nil
        case .invalid(let reason):
            headerBuffer.removeAll(keepingCapacity: true)
            isSynchronized = false
            return .invalid(reason)
        }
    }

    /// Consumes all of `bytes`, handing each event to `handle`: for callers (tests, fuzzers) that
    /// only observe; a decoder that changes state per event loops over `next(_:)` instead.
    public mutating func parse(_ bytes: ArraySlice<UInt8>, _ handle: (Event) -> Void) {
        var rest = bytes
        while let event = next(&rest) { handle(event) }
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
