import WebSocketProtocol

/// Assembles the data messages of one direction from their frames: the first frame opens a
/// message, continuations add to it, the frame with FIN completes it. Control frames interleaved
/// between fragments are not its business (the stream decoder reports them on their own).
///
/// Payloads are unmasked while copied, once, into a buffer capped at `maxMessageBytes`; bytes past
/// the cap are counted, not kept. Per message it keeps at most `maxFragmentLengths` frame lengths
/// (what replay needs to fragment the message again), so a message of millions of one-byte
/// continuation frames costs a fixed amount of memory.
struct WebSocketMessageAssembler {
    /// The data message being assembled, between its first frame and the frame with FIN.
    struct PartialMessage {
        var opcode: WebSocketOpcode
        var compressed: Bool
        var payload: [UInt8] = []
        /// Bytes on the wire so far (received and known to be lost).
        var length: UInt64 = 0
        var frames = 0
        /// Wire payload length of each frame, kept only for fragmented messages, at most
        /// `maxFragmentLengths` of them.
        var fragmentLengths: [UInt64] = []
        var missingBytes: UInt64 = 0
        /// Cut short (lost framing or the end of the capture): the full length is unknown.
        var cutShort = false
    }

    /// The most capacity reserved ahead of the bytes that arrived: a frame header can claim any
    /// length, so it never reserves more than this before the bytes come.
    static let maxBytesReservedAhead = 256 << 10

    let maxMessageBytes: Int
    let maxFragmentLengths: Int
    private(set) var message: PartialMessage?

    init(configuration: InspectionConfiguration) {
        maxMessageBytes = configuration.maxMessageBytes
        maxFragmentLengths = configuration.maxFragmentLengths
    }

    var isAssembling: Bool { message != nil }

    /// The opcode of the message in progress.
    var opcode: WebSocketOpcode? { message?.opcode }

    /// Opens a message with its first frame (or, for a continuation with no message in progress,
    /// a placeholder so that its bytes are still accounted for).
    mutating func start(opcode: WebSocketOpcode, compressed: Bool) {
        message = PartialMessage(opcode: opcode, compressed: compressed)
    }

    /// Payload bytes of the current data frame, still masked if `maskKey` is set, starting `offset`
    /// bytes into the frame.
    mutating func append(_ chunk: ArraySlice<UInt8>, of header: WebSocketFrameHeader, offset: UInt64) {
        guard var partial = message else { return }
        message = nil  // avoid a copy of the buffer while appending
        if offset == 0 { Self.reserveForFrame(header, in: &partial.payload, limit: maxMessageBytes) }
        let room = max(0, maxMessageBytes - partial.payload.count)
        let kept = chunk.prefix(room)
        if let key = header.maskKey {
            WebSocketMasking.appendUnmasked(kept, maskKey: key, offset: offset, to: &partial.payload)
        } else {
            partial.payload.append(contentsOf: kept)
        }
        partial.length += UInt64(chunk.count)
        message = partial
    }

    /// The current data frame ended, with `missingBytes` of its payload lost; returns the message
    /// when the frame had FIN.
    mutating func endFrame(_ header: WebSocketFrameHeader, missingBytes: UInt64) -> PartialMessage? {
        guard var partial = message else { return nil }
        message = nil
        if (partial.frames > 0 || !header.fin) && partial.fragmentLengths.count < maxFragmentLengths {
            partial.fragmentLengths.append(header.payloadLength)
        }
        partial.frames += 1
        partial.missingBytes += missingBytes
        partial.length += missingBytes
        if header.fin { return partial }
        message = partial
        return nil
    }

    /// The capture ended inside a data frame: its lost bytes count against the message.
    mutating func endFrameCutShort(missingBytes: UInt64) {
        message?.missingBytes += missingBytes
        message?.length += missingBytes
        message?.frames += 1
    }

    /// Gives up the message in progress (lost framing, the end of the capture, a new message
    /// without FIN on the old one): returns it marked cut short, nil when there was none.
    mutating func abandon() -> PartialMessage? {
        guard var partial = message else { return nil }
        message = nil
        if partial.frames == 0 { partial.frames = 1 }
        partial.cutShort = true
        return partial
    }

    /// At the start of a data frame, makes room for its payload at once (the header says how long
    /// it is), instead of letting the message buffer double its way up from a few bytes and copy
    /// the payload each time. Never past `limit`, never more than `maxBytesReservedAhead` ahead,
    /// and at least doubling, so many small fragments still grow geometrically.
    static func reserveForFrame(_ header: WebSocketFrameHeader, in payload: inout [UInt8], limit: Int) {
        let claimed = Int(clamping: header.payloadLength)
        let wanted = min(limit, payload.count + min(claimed, maxBytesReservedAhead))
        guard wanted > payload.capacity else { return }
        payload.reserveCapacity(max(wanted, min(limit, payload.capacity * 2)))
    }
}
