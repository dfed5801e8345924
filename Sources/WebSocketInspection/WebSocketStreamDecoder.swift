import PacketDecoding
import WebSocketProtocol

/// Decodes one direction of a WebSocket connection: frames into messages, with the protocol checks
/// that apply to a single direction.
///
/// The glue between three parts that each do one thing: `WebSocketFrameParser` (a pure state
/// machine that returns frame events), `WebSocketMessageAssembler` (data frames into messages,
/// capped) and `CompressionContext` (permessage-deflate and its window policy). What stays here is
/// policy: which frames break which rule, control frames (reported on their own, as they arrive,
/// also between the fragments of a data message), close bodies, and resynchronisation after lost
/// framing (WebSocketStreamDecoder+Resynchronization.swift).
public struct WebSocketStreamDecoder {
    public let connection: Int
    public let direction: WebSocketDirection
    let configuration: InspectionConfiguration
    /// Whether permessage-deflate was negotiated for the connection (RSV1 then means "compressed").
    let compressionNegotiated: Bool
    var compression: CompressionContext?

    var parser = WebSocketFrameParser()
    var assembler: WebSocketMessageAssembler
    var frame: WebSocketFrameHeader?
    /// The payload of the current control frame (data frames go straight to the assembler).
    var controlPayload: [UInt8] = []
    var frameMissingBytes: UInt64 = 0
    /// Payload bytes of the current frame that arrived. Data frames go straight into the message
    /// buffer (and past the cap, nowhere), so no buffer's size can tell how many came.
    var frameReceivedBytes: UInt64 = 0

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
    var sawClose = false
    public internal(set) var messageCount = 0

    // Proving heuristic boundaries (WebSocketStreamDecoder+Probation.swift).
    /// The stream was known to start at a frame boundary (its handshake was captured).
    let startedAtFrameBoundary: Bool
    /// A boundary of this direction was found by the heuristics at least once: hard contradictions
    /// then mean the lock was wrong, not that the peer misbehaves.
    var lockedHeuristically = false
    /// The chain after the last heuristic boundary, while it is not proven yet.
    var probation: ChainProbation?
    /// Set by a check when the chain on probation contradicts itself; acted on between events.
    var chainBroken: String?
    /// Set when a proven heuristic lock meets a frame no sender would send.
    var lockLost: String?
    /// The frame header being parsed began at the first byte of the bytes received.
    var frameStartsSegment = false
    /// Chains proven and rejected so far.
    public internal(set) var provenChains = 0
    public internal(set) var rejectedChains = 0
    /// Bytes received in this direction (for `undecoded_connection`).
    public private(set) var receivedBytes: UInt64 = 0

    /// Whether anything decoded in this direction can be shown: its start was known, or a chain
    /// after a heuristic boundary was proven.
    public var hasProvenFrames: Bool { startedAtFrameBoundary || provenChains > 0 }
    var isAssemblingMessage: Bool { assembler.isAssembling }

    public init(
        connection: Int, direction: WebSocketDirection, configuration: InspectionConfiguration,
        compression: PerMessageDeflateParameters?, startsAtFrameBoundary: Bool = true
    ) {
        self.connection = connection
        self.direction = direction
        self.configuration = configuration
        self.compressionNegotiated = compression != nil
        self.compression = compression.map {
            CompressionContext(parameters: $0, direction: direction, guessesContext: !startsAtFrameBoundary, configuration: configuration)
        }
        assembler = WebSocketMessageAssembler(configuration: configuration)
        resynchronizing = !startsAtFrameBoundary
        atStreamStart = !startsAtFrameBoundary
        startedAtFrameBoundary = startsAtFrameBoundary
    }

    /// Feeds in-order bytes of this direction.
    public mutating func receive(_ bytes: ArraySlice<UInt8>, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        lastTimestamp = timestamp
        receivedBytes += UInt64(bytes.count)
        if resynchronizing {
            scanBuffer.append(bytes, at: timestamp)
            resynchronize(isFinal: false, emit)
            return
        }
        parseFrames(bytes, at: timestamp, emit)
        // A rejected chain or a lost lock left bytes to search again.
        if resynchronizing && !scanBuffer.isEmpty { resynchronize(isFinal: false, emit) }
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
            // The bytes since the boundary are no longer contiguous: a rejection cannot rescan them.
            if probation != nil {
                probation!.rawComplete = false
                probation!.raw.removeAll()
            }
            return
        }
        // An unproven chain cut by the gap is dropped, never shown.
        _ = discardChain()
        abandonPartialMessage(at: timestamp, emit)
        var reported: [(AnomalyKind, String)] = []
        compression?.loseContext { reported.append(($0, $1)) }
        for (kind, detail) in reported { anomaly(kind, detail, at: timestamp, emit) }
        frame = nil
        controlPayload.removeAll(keepingCapacity: true)
        resynchronizing = true
        scanBuffer.removeAll()
    }

    /// The stream ended: report what is left unfinished.
    public mutating func finish(at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        if resynchronizing && (!scanBuffer.isEmpty || resynchronizationSkipped > 0) { resynchronize(isFinal: true, emit) }
        while let chain = probation {
            // A chain that ends exactly at the end of the stream is proven when every byte of the
            // stream is in its frames, or when it has at least two: one frame that happens to end
            // at the last byte after skipped garbage is too likely by chance (~10 % of random tails).
            let endsAtFrame = parser.isAtFrameBoundary && chainBroken == nil
            // A close with a valid code and reason that ends the stream is also enough alone.
            let proven = endsAtFrame && (chain.consistentFrames >= Self.minFramesEndingTheStream
                || (chain.consistentFrames > 0 && (chain.skippedBefore == 0 || chain.endsWithClose)))
            // (The weak-first-frame rule of the probation path does not apply: a chain that ends
            // exactly at the last byte is evidence enough for its first frame.)
            if proven {
                endProbation(emit)
            } else if chain.rawComplete && chain.raw.count > 0 {
                // Not proven: a chance header may hide a real frame that ends the stream (a final
                // close after the tail of a long payload). Search again from the next byte; each
                // pass starts a byte later, so this ends.
                rejectChain(rest: [], at: timestamp)
                resynchronize(isFinal: true, emit)
            } else {
                let frames = chain.consistentFrames
                let covered = discardChain()
                anomaly(.unparsedBytes, "\(covered) bytes after a possible frame boundary hold no proven frame chain (\(frames) consistent frame(s) before the stream ended); nothing of them is shown", at: timestamp, emit)
            }
        }
        if let frame = parser.currentFrame {
            let accounted = frameReceivedBytes + frameMissingBytes
            let missing = frame.payloadLength > accounted ? frame.payloadLength - accounted : 0
            anomaly(.truncatedFrame, "the capture ends \(missing) bytes before the end of a \(frame.opcode) frame", at: timestamp, emit)
            if !frame.opcode.isControl { assembler.endFrameCutShort(missingBytes: frameMissingBytes + missing) }
            frameMissingBytes = 0
            self.frame = nil
        }
        abandonPartialMessage(at: timestamp, emit)
    }

    // MARK: - Frames

    mutating func parseFrames(_ bytes: ArraySlice<UInt8>, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        holdRawForProbation(bytes, at: timestamp)
        var rest = bytes
        // A frame that starts with these bytes starts a TCP segment (evidence for probation).
        frameStartsSegment = parser.isAtFrameBoundary
        while let event = parser.next(&rest) {
            defer { frameStartsSegment = false }
            if probation != nil {
                var produced: [InspectorEvent] = []
                handle(event, at: timestamp) { produced.append($0) }
                holdProbationEvents(produced)
            } else {
                handle(event, at: timestamp, emit)
            }
            if chainBroken != nil {
                chainBroken = nil
                rejectChain(rest: rest, at: timestamp)
                return
            }
            if let reason = lockLost {
                lockLost = nil
                loseLock(reason, rest: rest, at: timestamp, emit)
                return
            }
            if resynchronizing { return }
            endProbationIfProven(emit)
            if chainBroken != nil {
                chainBroken = nil
                rejectChain(rest: rest, at: timestamp)
                return
            }
        }
    }

    private mutating func handle(_ event: WebSocketFrameParser.Event, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
            switch event {
            case .frameStart(let header):
                frameStarted(header, at: timestamp, emit)
            case .payload(let chunk, let offset):
                framePayload(chunk, offset: offset)
            case .frameEnd(let header):
                frameEnded(header, at: timestamp, emit)
            case .invalid(let reason):
                anomaly(.invalidFrameHeader, reason, at: timestamp, emit)
                abandonPartialMessage(at: timestamp, emit)
                frame = nil
                resynchronizing = true
                scanBuffer.removeAll()
            }
    }

    private mutating func frameStarted(_ header: WebSocketFrameHeader, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        if probation != nil, let reason = chainContradiction(header) {
            chainBroken = reason
            return
        }
        if probation == nil && lockedHeuristically, let reason = hardContradiction(header) {
            lockLost = reason
            return
        }
        frame = header
        if probation != nil {
            // The chain's first frame is where the scanner put the boundary: no alignment bonus.
            let aligned = frameStartsSegment && probation!.consistentFrames > 0
            probation!.frameEvidenceBits = evidenceBits(header, atSegmentStart: aligned)
        }
        controlPayload.removeAll(keepingCapacity: true)
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
            if !assembler.isAssembling {
                anomaly(.unexpectedContinuation, "a continuation frame with no fragmented message in progress", at: timestamp, emit)
                assembler.start(opcode: .continuation, compressed: false)
            }
            if header.rsv1 && compressionNegotiated {
                anomaly(.rsv1OnContinuation, "RSV1 set on a continuation frame (RFC 7692 §6.1)", at: timestamp, emit)
            }
        } else {
            if assembler.isAssembling {
                anomaly(.unfinishedFragmentedMessage, "a new \(header.opcode) frame while a fragmented message was in progress", at: timestamp, emit)
                abandonPartialMessage(at: timestamp, emit)
            }
            assembler.start(opcode: header.opcode, compressed: compressionNegotiated && header.rsv1)
        }
    }

    private mutating func framePayload(_ chunk: ArraySlice<UInt8>, offset: UInt64) {
        guard let header = frame else { return }
        frameReceivedBytes += UInt64(chunk.count)
        if !header.opcode.isControl {
            assembler.append(chunk, of: header, offset: offset)
            return
        }
        // Control frames keep at most a little over the 125 bytes they may carry.
        let limit = min(configuration.maxMessageBytes, 4096)
        let kept = chunk.prefix(max(0, limit - controlPayload.count))
        if let key = header.maskKey {
            WebSocketMasking.appendUnmasked(kept, maskKey: key, offset: offset, to: &controlPayload)
        } else {
            controlPayload.append(contentsOf: kept)
        }
    }

    private mutating func frameEnded(_ header: WebSocketFrameHeader, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        frame = nil
        if header.opcode.isControl {
            emitControl(header, at: timestamp, emit)
            countConsistentFrame()
            return
        }
        countConsistentFrame()
        let missing = frameMissingBytes
        frameMissingBytes = 0
        if let complete = assembler.endFrame(header, missingBytes: missing) { emitData(complete, at: timestamp, emit) }
    }

    // MARK: - Messages

    private mutating func emitData(_ partial: WebSocketMessageAssembler.PartialMessage, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        var payload = partial.payload
        var length = partial.length
        var truncated = UInt64(payload.count) + partial.missingBytes < length
        var decompressed = false
        var sizeIsExact = true
        if partial.compressed, compression != nil {
            var damage: String?
            if partial.missingBytes > 0 || partial.cutShort || truncated {
                damage = truncated ? "more than --max-message-bytes on the wire" : "bytes lost in the capture"
            }
            var reported: [(AnomalyKind, String)] = []
            let outcome = compression!.decompress(payload, length: length, damage: damage) { reported.append(($0, $1)) }
            for (kind, detail) in reported { anomaly(kind, detail, at: timestamp, emit) }
            payload = outcome.payload
            length = outcome.length
            decompressed = outcome.decompressed
            truncated = truncated || outcome.truncated
            sizeIsExact = outcome.sizeIsExact
        }
        if truncated {
            anomaly(.messageTooLarge, "\(partial.opcode) message of \(sizeIsExact ? "" : "at least ")\(length) bytes kept to its first \(payload.count) bytes (--max-message-bytes)", at: timestamp, emit)
        }
        if partial.opcode == .text && !truncated && partial.missingBytes == 0 && !partial.cutShort && (!partial.compressed || decompressed) {
            if !UTF8Validation.isValid(payload) {
                anomaly(.invalidUTF8, "text message of \(payload.count) bytes is not valid UTF-8", at: timestamp, emit)
            } else if partial.compressed {
                countInflatedTextEvidence(bytes: payload.count, frames: partial.frames)
            }
        }
        messageCount += 1
        emit(.message(WebSocketMessage(
            connection: connection, timestamp: timestamp, direction: direction, opcode: partial.opcode,
            payload: payload, length: length, wireLength: partial.length, frames: partial.frames,
            fragmentLengths: partial.fragmentLengths, compressed: partial.compressed, decompressed: decompressed, truncated: truncated,
            missingBytes: partial.missingBytes, incomplete: partial.cutShort || partial.missingBytes > 0)))
    }

    private mutating func emitControl(_ header: WebSocketFrameHeader, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        let payload = controlPayload
        controlPayload.removeAll(keepingCapacity: true)
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
                if probation != nil && WebSocketCloseCode(code).maySend && UTF8Validation.isValid(payload[2...]) {
                    // A valid code (about 1 in 32 of random pairs) and a UTF-8 reason.
                    probation!.frameEvidenceBits += Self.closeEvidenceBits + min(payload.count - 2, Self.maxTextEvidenceBits)
                    probation!.endsWithClose = true
                }
                if !WebSocketCloseCode(code).maySend {
                    anomaly(.invalidCloseCode, "close code \(code) must not be sent on the wire (RFC 6455 §7.4)", at: timestamp, emit)
                }
                let reasonBytes = payload[2...]
                if !UTF8Validation.isValid(reasonBytes) {
                    anomaly(.invalidUTF8, "close reason is not valid UTF-8", at: timestamp, emit)
                }
                closeReason = String(decoding: reasonBytes, as: UTF8.self)
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
        guard let partial = assembler.abandon() else { return }
        anomaly(.incompleteMessage, "a \(partial.opcode) message was cut short after \(partial.length) bytes in \(partial.frames) frame(s)", at: timestamp, emit)
        emitData(partial, at: timestamp, emit)
    }
}
