import PacketDecoding
import WebSocketProtocol

/// Decodes one direction of a WebSocket connection: frames into messages, with the protocol checks
/// that apply to a single direction.
///
/// Data messages are assembled from their fragments with control frames allowed in between (they
/// are reported on their own, as they arrive). Payloads are unmasked while copied, once, into a
/// buffer capped at `maxMessageBytes`; bytes beyond the cap are counted, not kept.
public struct WebSocketStreamDecoder {
    public let connection: Int
    public let direction: WebSocketDirection
    let configuration: InspectionConfiguration
    /// Whether permessage-deflate was negotiated for the connection (RSV1 then means "compressed").
    let compressionNegotiated: Bool
    private var inflater: PerMessageInflater?
    /// The sender keeps its compression window between messages, so one lost message spoils the rest.
    private var contextTakeover = false
    /// A compressed message was lost or could not be inflated while `contextTakeover` holds.
    private var contextLost = false
    /// Without a captured handshake the sender's window is unknown from the start: after a message
    /// fails, start afresh with the next one; after one inflates, keep its window, since any
    /// reference it can satisfy points at the same bytes the sender had (never wrong bytes, and
    /// more messages decoded than inflating each one alone).
    private let guessesContext: Bool
    private var sawCompressedMessage = false

    var parser = WebSocketFrameParser()
    private var frame: WebSocketFrameHeader?
    private var frameBuffer: [UInt8] = []
    private var frameMissingBytes: UInt64 = 0
    /// Payload bytes of the current frame that arrived. Data frames go straight into the message
    /// buffer (and past the cap, nowhere), so the frame buffer's size cannot tell how many came.
    private var frameReceivedBytes: UInt64 = 0

    /// The data message being assembled, between its first frame and the frame with FIN.
    private struct PartialMessage {
        var opcode: WebSocketOpcode
        var compressed: Bool
        var payload: [UInt8] = []
        var length: UInt64 = 0
        var frames = 0
        /// Wire payload length of each frame, kept only for fragmented messages.
        var fragmentLengths: [UInt64] = []
        var missingBytes: UInt64 = 0
        /// Cut short (lost framing or the end of the capture): the full length is unknown.
        var cutShort = false
    }
    private var message: PartialMessage?

    /// Looking for a frame boundary after lost framing; holds bytes while scanning.
    var resynchronizing = false
    var scanBuffer = TimedByteBuffer()
    /// True until the first boundary is found in a stream picked up mid-way (not after a gap).
    var atStreamStart = false
    /// Bytes dropped while looking for the next frame boundary, reported when it is found.
    var resynchronizationSkipped = 0
    var lastTimestamp = Timestamp.zero

    /// Kinds reported once per direction, so that a misbehaving peer does not flood the output.
    var reportedOnce: Set<AnomalyKind> = []
    private var sawClose = false
    public private(set) var messageCount = 0

    public init(
        connection: Int, direction: WebSocketDirection, configuration: InspectionConfiguration,
        compression: PerMessageDeflateParameters?, startsAtFrameBoundary: Bool = true
    ) {
        self.guessesContext = !startsAtFrameBoundary
        self.connection = connection
        self.direction = direction
        self.configuration = configuration
        self.compressionNegotiated = compression != nil
        if let compression {
            let client = direction == .clientToServer
            contextTakeover = !(client ? compression.clientNoContextTakeover : compression.serverNoContextTakeover)
            inflater = PerMessageInflater(
                windowBits: client ? compression.clientMaxWindowBits : compression.serverMaxWindowBits,
                noContextTakeover: guessesContext ? false : !contextTakeover,
                configuration: InflateConfiguration(
                    maxMessageBytes: configuration.maxMessageBytes, maxInflatedBytes: configuration.maxInflatedBytes))
        }
        resynchronizing = !startsAtFrameBoundary
        atStreamStart = !startsAtFrameBoundary
    }

    /// Feeds in-order bytes of this direction.
    public mutating func receive(_ bytes: ArraySlice<UInt8>, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        lastTimestamp = timestamp
        if resynchronizing {
            scanBuffer.append(bytes, at: timestamp)
            resynchronize(isFinal: false, emit)
            return
        }
        parseFrames(bytes, at: timestamp, emit)
    }

    /// Accounts for `count` bytes lost in this direction (a TCP gap).
    public mutating func receiveGap(_ count: UInt64, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        lastTimestamp = timestamp
        emit(.gap(connection: connection, timestamp: timestamp, direction: direction, bytes: count))
        if resynchronizing {
            // Bytes held before the gap cannot chain with bytes after it.
            scanBuffer.removeAll()
            resynchronizationSkipped = 0
            atStreamStart = false
            return
        }
        if parser.skip(count) == .insidePayload {
            frameMissingBytes += count
            return
        }
        abandonPartialMessage(at: timestamp, emit)
        loseCompressionContext(at: timestamp, emit)
        frame = nil
        frameBuffer.removeAll(keepingCapacity: true)
        resynchronizing = true
        scanBuffer.removeAll()
    }

    /// The stream ended: report what is left unfinished.
    public mutating func finish(at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        if resynchronizing && (!scanBuffer.isEmpty || resynchronizationSkipped > 0) { resynchronize(isFinal: true, emit) }
        if let frame = parser.currentFrame {
            let accounted = frameReceivedBytes + frameMissingBytes
            let missing = frame.payloadLength > accounted ? frame.payloadLength - accounted : 0
            anomaly(.truncatedFrame, "the capture ends \(missing) bytes before the end of a \(frame.opcode) frame", at: timestamp, emit)
            frameMissingBytes += missing
            if !frame.opcode.isControl && message != nil { appendFramePayloadToMessage() }
            self.frame = nil
        }
        abandonPartialMessage(at: timestamp, emit)
    }

    // MARK: - Frames

    mutating func parseFrames(_ bytes: ArraySlice<UInt8>, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        var invalidReason: String?
        // The parser is moved out while it runs: its callbacks mutate the rest of `self`.
        var activeParser = WebSocketFrameParser()
        swap(&activeParser, &parser)
        defer { swap(&activeParser, &parser) }
        activeParser.parse(bytes) { event in
            switch event {
            case .frameStart(let header):
                frameStarted(header, at: timestamp, emit)
            case .payload(let chunk, let offset):
                framePayload(chunk, offset: offset)
            case .frameEnd(let header):
                frameEnded(header, at: timestamp, emit)
            case .invalid(let reason):
                invalidReason = reason
            }
        }
        if let invalidReason {
            anomaly(.invalidFrameHeader, invalidReason, at: timestamp, emit)
            abandonPartialMessage(at: timestamp, emit)
            frame = nil
            resynchronizing = true
            scanBuffer.removeAll()
        }
    }

    private mutating func frameStarted(_ header: WebSocketFrameHeader, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        frame = header
        frameBuffer.removeAll(keepingCapacity: true)
        frameMissingBytes = 0
        frameReceivedBytes = 0
        let fromClient = direction == .clientToServer
        if fromClient && header.maskKey == nil {
            anomalyOnce(.unmaskedClientFrame, "the client sent an unmasked \(header.opcode) frame (RFC 6455 §5.1)", at: timestamp, emit)
        } else if !fromClient && header.maskKey != nil {
            anomalyOnce(.maskedServerFrame, "the server sent a masked \(header.opcode) frame (RFC 6455 §5.1)", at: timestamp, emit)
        }
        if !header.opcode.isKnown {
            anomaly(.reservedOpcode, "frame with reserved opcode 0x\(String(header.opcode.rawValue, radix: 16))", at: timestamp, emit)
        }
        let allowedReserved: UInt8 = compressionNegotiated ? 0b100 : 0
        if header.reservedBits & ~allowedReserved != 0 {
            anomaly(.unnegotiatedRSV, "RSV bits 0b\(String(header.reservedBits, radix: 2)) set without a negotiated extension that defines them", at: timestamp, emit)
        }
        if sawClose {
            anomalyOnce(.dataAfterClose, "a \(header.opcode) frame after this side sent close", at: timestamp, emit)
        }
        if header.opcode.isControl {
            if header.payloadLength > 125 {
                anomaly(.controlFrameTooLong, "\(header.opcode) frame of \(header.payloadLength) bytes (at most 125 allowed)", at: timestamp, emit)
            }
            if !header.fin {
                anomaly(.fragmentedControlFrame, "\(header.opcode) frame without FIN", at: timestamp, emit)
            }
            return
        }
        if header.opcode == .continuation {
            if message == nil {
                anomaly(.unexpectedContinuation, "a continuation frame with no fragmented message in progress", at: timestamp, emit)
                message = PartialMessage(opcode: .continuation, compressed: false)
            }
            if header.rsv1 && compressionNegotiated {
                anomaly(.rsv1OnContinuation, "RSV1 set on a continuation frame (RFC 7692 §6.1)", at: timestamp, emit)
            }
        } else {
            if message != nil {
                anomaly(.unfinishedFragmentedMessage, "a new \(header.opcode) frame while a fragmented message was in progress", at: timestamp, emit)
                abandonPartialMessage(at: timestamp, emit)
            }
            message = PartialMessage(opcode: header.opcode, compressed: compressionNegotiated && header.rsv1)
        }
    }

    private mutating func framePayload(_ chunk: ArraySlice<UInt8>, offset: UInt64) {
        guard let header = frame else { return }
        frameReceivedBytes += UInt64(chunk.count)
        // Control frames keep at most a little over the 125 bytes they may carry; data frames go
        // straight into the message buffer so that a message is copied once.
        let limit = header.opcode.isControl ? min(configuration.maxMessageBytes, 4096) : configuration.maxMessageBytes
        if !header.opcode.isControl, var partial = message {
            message = nil  // avoid a copy of the buffer while appending
            if offset == 0 { Self.reserveForFrame(header, in: &partial.payload, limit: limit) }
            let room = max(0, limit - partial.payload.count)
            let kept = chunk.prefix(room)
            if let key = header.maskKey {
                WebSocketMasking.appendUnmasked(kept, maskKey: key, offset: offset, to: &partial.payload)
            } else {
                partial.payload.append(contentsOf: kept)
            }
            partial.length += UInt64(chunk.count)
            message = partial
            return
        }
        let room = max(0, limit - frameBuffer.count)
        let kept = chunk.prefix(room)
        if let key = header.maskKey {
            WebSocketMasking.appendUnmasked(kept, maskKey: key, offset: offset, to: &frameBuffer)
        } else {
            frameBuffer.append(contentsOf: kept)
        }
    }

    private mutating func frameEnded(_ header: WebSocketFrameHeader, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        frame = nil
        if header.opcode.isControl {
            emitControl(header, at: timestamp, emit)
            return
        }
        guard var partial = message else { return }
        message = nil
        if partial.frames > 0 || !header.fin { partial.fragmentLengths.append(header.payloadLength) }
        partial.frames += 1
        partial.missingBytes += frameMissingBytes
        partial.length += frameMissingBytes
        frameMissingBytes = 0
        if header.fin {
            emitData(partial, at: timestamp, emit)
        } else {
            message = partial
        }
    }

    private mutating func appendFramePayloadToMessage() {
        message?.missingBytes += frameMissingBytes
        message?.length += frameMissingBytes
        message?.frames += 1
        frameMissingBytes = 0
    }

    // MARK: - Messages

    private mutating func emitData(_ partial: PartialMessage, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        var payload = partial.payload
        var length = partial.length
        var truncated = UInt64(payload.count) + partial.missingBytes < length
        var decompressed = false
        var sizeIsExact = true
        if partial.compressed, let inflater {
            sawCompressedMessage = true
            if partial.missingBytes > 0 || partial.cutShort || truncated {
                anomaly(.undecodableCompressedMessage, "a compressed message with \(truncated ? "more than --max-message-bytes on the wire" : "bytes lost in the capture") cannot be inflated", at: timestamp, emit)
                loseCompressionContext(at: timestamp, emit)
            } else if contextLost {
                anomaly(.undecodableCompressedMessage, "the compression context of this direction was lost earlier", at: timestamp, emit)
            } else {
                switch inflater.inflate(message: payload) {
                case .inflated(let bytes):
                    payload = bytes
                    length = UInt64(bytes.count)
                    decompressed = true
                case .tooLarge(let produced, let partialOutput, let exact):
                    payload = partialOutput
                    length = UInt64(produced)
                    truncated = true
                    decompressed = true
                    sizeIsExact = exact
                    if !exact { loseCompressionContext(at: timestamp, emit) }
                case .failed(let reason):
                    anomaly(.undecodableCompressedMessage, reason, at: timestamp, emit)
                    loseCompressionContext(at: timestamp, emit)
                }
            }
        }
        if truncated {
            anomaly(.messageTooLarge, "\(partial.opcode) message of \(sizeIsExact ? "" : "at least ")\(length) bytes kept to its first \(payload.count) bytes (--max-message-bytes)", at: timestamp, emit)
        }
        if partial.opcode == .text && !truncated && partial.missingBytes == 0 && !partial.cutShort && (!partial.compressed || decompressed)
            && !UTF8Validation.isValid(payload) {
            anomaly(.invalidUTF8, "text message of \(payload.count) bytes is not valid UTF-8", at: timestamp, emit)
        }
        messageCount += 1
        emit(.message(WebSocketMessage(
            connection: connection, timestamp: timestamp, direction: direction, opcode: partial.opcode,
            payload: payload, length: length, wireLength: partial.length, frames: partial.frames,
            fragmentLengths: partial.fragmentLengths, compressed: partial.compressed, decompressed: decompressed, truncated: truncated,
            missingBytes: partial.missingBytes, incomplete: partial.cutShort || partial.missingBytes > 0)))
    }

    private mutating func emitControl(_ header: WebSocketFrameHeader, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        let payload = frameBuffer
        frameBuffer.removeAll(keepingCapacity: true)
        let missing = frameMissingBytes
        frameMissingBytes = 0
        var closeCode: UInt16?
        var closeReason: String?
        if header.opcode == .close {
            sawClose = true
            if payload.count == 1 {
                anomaly(.invalidClosePayload, "close frame with a 1-byte body (a status code needs 2)", at: timestamp, emit)
            } else if payload.count >= 2 {
                let code = UInt16(payload[0]) << 8 | UInt16(payload[1])
                closeCode = code
                if !CloseCode.maySend(code) {
                    anomaly(.invalidCloseCode, "close code \(code) must not be sent on the wire (RFC 6455 §7.4)", at: timestamp, emit)
                }
                let reasonBytes = payload[2...]
                if UTF8Validation.isValid(reasonBytes) {
                    closeReason = String(decoding: reasonBytes, as: UTF8.self)
                } else {
                    anomaly(.invalidUTF8, "close reason is not valid UTF-8", at: timestamp, emit)
                    closeReason = String(decoding: reasonBytes, as: UTF8.self)
                }
            }
        }
        messageCount += 1
        emit(.message(WebSocketMessage(
            connection: connection, timestamp: timestamp, direction: direction, opcode: header.opcode,
            payload: payload, length: header.payloadLength, wireLength: header.payloadLength, frames: 1,
            truncated: UInt64(payload.count) + missing < header.payloadLength, missingBytes: missing,
            closeCode: closeCode, closeReason: closeReason)))
    }

    /// Reports a data message cut short by lost framing or the end of the capture, as incomplete.
    private mutating func abandonPartialMessage(at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        guard var partial = message else { return }
        message = nil
        if partial.frames == 0 { partial.frames = 1 }
        partial.cutShort = true
        anomaly(.incompleteMessage, "a \(partial.opcode) message was cut short after \(partial.length) bytes in \(partial.frames) frame(s)", at: timestamp, emit)
        emitData(partial, at: timestamp, emit)
    }

    /// With context takeover, a lost or undecodable compressed message leaves the sender's window
    /// unknown: every later compressed message in this direction is reported, never guessed.
    private mutating func loseCompressionContext(at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        if guessesContext {
            inflater?.reset()
            return
        }
        guard inflater != nil, contextTakeover, !contextLost else { return }
        contextLost = true
        anomaly(.compressionContextLost, "later compressed messages from the \(direction.senderName) cannot be inflated (context takeover)", at: timestamp, emit)
    }
}
