import PacketDecoding
import WebSocketProtocol

/// Proving a frame boundary found by the heuristics before anything decoded after it is shown.
///
/// A "header" found inside a large binary or compressed payload starts a chain of garbage frames.
/// Two chained plausible headers (what `FrameBoundaryScanner` asks for) happen by chance in
/// megabytes of payload, so the frames after a heuristic boundary are on probation: their events
/// are held, every frame is checked against the rules a real sender keeps, and only after
/// `minProvenFrames` consistent frames (or a chain that ends exactly at the end of the stream) are
/// the held events emitted. On a contradiction the held events are dropped, never emitted, and the
/// search resumes one byte after the rejected boundary.
extension WebSocketStreamDecoder {
    /// Consistent frames that prove a heuristic boundary. Four chained headers that also keep every
    /// per-direction rule (masking, opcodes, RSV, fragmentation, close) are very unlikely by chance;
    /// fewer let garbage through in multi-megabyte payloads, more delay short conversations.
    static let minProvenFrames = 4
    /// Evidence, in bits, that proves a chain together with `minProvenFrames`: about how unlikely
    /// the chain's headers are in random bytes. Four small binary or control frames give only ~24
    /// bits, and such chains turned up by chance in a few hundred KB of compressed payload (cut
    /// tests of real captures); 48 bits keeps the chance of a false proof below one in 2⁴⁸ per
    /// candidate boundary, while real traffic (frames that start TCP segments, text, 16- and
    /// 64-bit lengths) reaches it in 2–4 frames, or 8 small frames packed in one segment.
    static let minProvenEvidenceBits = 48
    /// Bits one frame header gives: its first byte is one of ~8 of 256 values a data or control
    /// frame can start with, and the mask bit matches the sender's role.
    static let headerEvidenceBits = 6
    /// Extra bits for a 16-bit length (byte 1 is exactly 126 and the length is ≥ 126).
    static let extendedLengthEvidenceBits = 7
    /// Extra bits for a 64-bit length (byte 1 is 127, then at least five zero bytes).
    static let longLengthEvidenceBits = 40
    /// Extra bits for a frame that starts exactly where a TCP segment starts (1 offset in ~1448 by
    /// chance; most real frames do, since senders write a message at a time).
    static let segmentAlignmentEvidenceBits = 10
    /// At most this many extra bits for an unfragmented uncompressed text frame, whose payload must
    /// be UTF-8 (random bytes are about one bit per byte less likely to be).
    static let maxTextEvidenceBits = 16

    /// Extra bits for a close frame with a code that may be sent (~2,000 of 65,536 values).
    static let closeEvidenceBits = 5

    /// Counts the frame that just ended as consistent (its checks passed) with its evidence.
    mutating func countConsistentFrame() {
        guard probation != nil else { return }
        probation!.consistentFrames += 1
        probation!.evidenceBits += probation!.frameEvidenceBits
        if probation!.leadEvidenceBits == nil { probation!.leadEvidenceBits = probation!.frameEvidenceBits }
    }

    /// A compressed text message on probation inflated to valid UTF-8: random bytes seldom form a
    /// deflate stream, and seldom inflate to UTF-8, so this counts like uncompressed text (up to
    /// `maxTextEvidenceBits`). When the message began with the chain's first frame, the evidence
    /// is that frame's too: a small compressed text right after skipped bytes (the reply after a
    /// long binary message) is then proven instead of being dropped as a weak first frame.
    mutating func countInflatedTextEvidence(bytes: Int, frames: Int) {
        guard probation != nil else { return }
        let bits = min(bytes, Self.maxTextEvidenceBits)
        probation!.evidenceBits += bits
        if probation!.consistentFrames == frames, let lead = probation!.leadEvidenceBits {
            probation!.leadEvidenceBits = lead + bits
        }
    }

    /// Evidence the first frame of a chain after skipped bytes needs on its own (when it does not
    /// start a TCP segment): a small binary or control frame (6 bits) is too often a chance header
    /// that ends right where a real chain starts; the chain is then searched again from the next
    /// byte, which finds the real chain without it.
    static let minLeadEvidenceBits = 12

    /// Consistent frames that prove a chain ending exactly at the end of the stream after skipped
    /// bytes. Two frames chained to the last byte by chance happen in ~0.25 % of random tails;
    /// one frame in ~10 %.
    static let minFramesEndingTheStream = 2
    /// Events held while a chain is on probation. A consistent chain of `minProvenFrames` frames
    /// produces far fewer (one message per frame, a few anomalies); one that produces more is not
    /// a real sender's and is rejected, so hostile input cannot grow the buffer.
    static let maxProbationEvents = 64
    /// Raw bytes since a heuristic boundary kept to rescan them after a rejection (the same budget
    /// as the boundary search, `maxResynchronizationBytes`, at most this). Past it the bytes are
    /// let go and a rejection resumes the search at the current position instead of one byte after
    /// the boundary; this also bounds the work a rejection can cause.
    static let maxProbationRawBytes = 256 << 10

    /// The state of a chain on probation, and what to restore when it is rejected.
    struct ChainProbation {
        /// Events produced by the chain, emitted only once it is proven.
        var heldEvents: [InspectorEvent] = []
        /// Every byte since the boundary while `rawComplete`.
        var raw = TimedByteBuffer()
        var rawComplete = true
        /// Bytes given to the parser since the boundary (kept or not).
        var bytesSinceBoundary = 0
        var consistentFrames = 0
        /// Evidence of the consistent frames, and of the frame in progress (added when it ends).
        var evidenceBits = 0
        var frameEvidenceBits = 0
        /// The chain's last frame is a close with a valid code and a UTF-8 reason.
        var endsWithClose = false
        /// Bytes skipped before the boundary (reported in `resynchronized` once proven).
        let skippedBefore: Int
        /// The boundary is the first byte of a TCP segment.
        let leadAligned: Bool
        /// Evidence of the chain's first frame alone, once it ended.
        var leadEvidenceBits: Int?

        /// Whether the first frame is more than a chance header right before a real chain: a
        /// garbage "frame" that happens to end where a real frame starts passes every check of the
        /// frames after it (seen in cut tests: a 37-byte "ping" ahead of a real 90 KB binary).
        var leadIsStrong: Bool {
            skippedBefore == 0 || leadAligned || (leadEvidenceBits ?? 0) >= WebSocketStreamDecoder.minLeadEvidenceBits
        }
        let sawClose: Bool
        let messageCount: Int
        let reportedOnce: Set<AnomalyKind>
    }

    /// Anomalies that no consistent sender produces: one of them in a chain on probation rejects it.
    static let chainContradictions: Set<AnomalyKind> = [
        .unmaskedClientFrame, .maskedServerFrame, .unnegotiatedRSV, .rsv1OnContinuation, .reservedOpcode,
        .controlFrameTooLong, .fragmentedControlFrame, .unexpectedContinuation, .unfinishedFragmentedMessage,
        .invalidUTF8, .invalidCloseCode, .invalidClosePayload, .dataAfterClose, .invalidFrameHeader,
    ]

    mutating func startProbation(skippedBefore: Int, leadAligned: Bool, at timestamp: Timestamp) {
        lockedHeuristically = true
        var chain = ChainProbation(
            skippedBefore: skippedBefore, leadAligned: leadAligned, sawClose: sawClose, messageCount: messageCount,
            reportedOnce: reportedOnce)
        if skippedBefore > 0 {
            chain.heldEvents.append(.anomaly(InspectorAnomaly(
                connection: connection, timestamp: timestamp, direction: direction, kind: .resynchronized,
                detail: "skipped \(skippedBefore) bytes to the next frame boundary")))
        }
        probation = chain
    }

    /// Keeps the bytes about to be parsed, so that a rejection can rescan them.
    mutating func holdRawForProbation(_ bytes: ArraySlice<UInt8>, at timestamp: Timestamp) {
        guard probation != nil else { return }
        probation!.bytesSinceBoundary += bytes.count
        guard probation!.rawComplete else { return }
        let limit = min(Self.maxProbationRawBytes, configuration.maxResynchronizationBytes)
        if probation!.raw.count + bytes.count > limit {
            probation!.rawComplete = false
            probation!.raw.removeAll()
        } else {
            probation!.raw.append(bytes, at: timestamp)
        }
    }

    /// Why `header` cannot follow the frames before it from the same sender, or nil.
    func chainContradiction(_ header: WebSocketFrameHeader) -> String? {
        if (direction == .clientToServer) != (header.maskKey != nil) { return "masking differs from the sender's role" }
        if !header.opcode.isKnown { return "reserved opcode 0x\(String(header.opcode.rawValue, radix: 16))" }
        let allowedReserved: UInt8 = compressionNegotiated ? 0b100 : 0
        if header.reservedBits & ~allowedReserved != 0 { return "RSV bits without an extension" }
        if header.rsv1 && (header.opcode.isControl || header.opcode == .continuation) { return "RSV1 outside a message's first frame" }
        if sawClose { return "a frame after close" }
        if header.opcode.isControl && (header.payloadLength > 125 || !header.fin) { return "control frame too long or fragmented" }
        if header.opcode == .continuation && !isAssemblingMessage { return "continuation with no message in progress" }
        if header.opcode.isData && isAssemblingMessage { return "a new message inside a fragmented one" }
        return nil
    }

    /// The evidence `header` gives (see `minProvenEvidenceBits`); `atSegmentStart` when its first
    /// byte is the first byte of a TCP segment.
    func evidenceBits(_ header: WebSocketFrameHeader, atSegmentStart: Bool) -> Int {
        var bits = Self.headerEvidenceBits
        if header.payloadLength > 0xFFFF { bits += Self.longLengthEvidenceBits } else if header.payloadLength > 125 { bits += Self.extendedLengthEvidenceBits }
        if atSegmentStart { bits += Self.segmentAlignmentEvidenceBits }
        // Invalid UTF-8 in such a frame rejects the chain (`invalid_utf8`), so its validity counts.
        if header.opcode == .text && header.fin && !header.rsv1 {
            bits += Int(min(header.payloadLength, UInt64(Self.maxTextEvidenceBits)))
        }
        return bits
    }

    /// Why `header` shows that a heuristic lock, already proven, was wrong or lost, or nil. Only
    /// what no sender that negotiated nothing would do: the softer rules stay anomalies.
    func hardContradiction(_ header: WebSocketFrameHeader) -> String? {
        if (direction == .clientToServer) != (header.maskKey != nil) { return "masking differs from the sender's role" }
        if !header.opcode.isKnown { return "reserved opcode 0x\(String(header.opcode.rawValue, radix: 16))" }
        let allowedReserved: UInt8 = compressionNegotiated ? 0b100 : 0
        if header.reservedBits & ~allowedReserved != 0 { return "RSV bits without an extension" }
        if header.opcode.isControl && header.payloadLength > 125 { return "control frame of \(header.payloadLength) bytes" }
        return nil
    }

    /// Moves events produced on probation into the held buffer; rejects the chain when one of them
    /// contradicts it or when there are too many.
    mutating func holdProbationEvents(_ events: [InspectorEvent]) {
        guard probation != nil, !events.isEmpty else { return }
        for event in events {
            if case .anomaly(let anomaly) = event, Self.chainContradictions.contains(anomaly.kind) {
                chainBroken = chainBroken ?? anomaly.detail
            }
        }
        probation!.heldEvents.append(contentsOf: events)
        if probation!.heldEvents.count > Self.maxProbationEvents {
            chainBroken = chainBroken ?? "more than \(Self.maxProbationEvents) events before the chain was proven"
        }
    }

    /// Emits the held events once the chain has `minProvenFrames` consistent frames.
    mutating func endProbationIfProven(_ emit: (InspectorEvent) -> Void) {
        guard let chain = probation, chain.consistentFrames >= Self.minProvenFrames,
              chain.evidenceBits >= Self.minProvenEvidenceBits
        else { return }
        guard chain.leadIsStrong else {
            chainBroken = "a weak first frame"
            return
        }
        endProbation(emit)
    }

    mutating func endProbation(_ emit: (InspectorEvent) -> Void) {
        guard let chain = probation else { return }
        probation = nil
        provenChains += 1
        for event in chain.heldEvents { emit(event) }
    }

    /// Drops the chain's events, restores the state from its boundary and resumes the search one
    /// byte after the boundary (or, when the raw bytes were let go, after `rest`).
    mutating func rejectChain(rest: ArraySlice<UInt8>, at timestamp: Timestamp) {
        guard let chain = probation else { return }
        probation = nil
        rejectedChains += 1
        resetFraming()
        sawClose = chain.sawClose
        messageCount = chain.messageCount
        reportedOnce = chain.reportedOnce
        compression?.resetAfterRejectedChain()
        scanBuffer = TimedByteBuffer()
        if chain.rawComplete && chain.raw.count > 0 {
            scanBuffer = chain.raw
            scanBuffer.removeFirst(1)
            resynchronizationSkipped = chain.skippedBefore + 1
        } else {
            resynchronizationSkipped = chain.skippedBefore + chain.bytesSinceBoundary - rest.count
            scanBuffer.append(rest, at: timestamp)
        }
        resynchronizing = true
        atStreamStart = false
    }

    /// Drops an unproven chain without rescanning it (a gap that crossed a header follows, or the
    /// stream ended inside it); returns how many bytes it covered.
    mutating func discardChain() -> Int {
        guard let chain = probation else { return 0 }
        probation = nil
        rejectedChains += 1
        resetFraming()
        sawClose = chain.sawClose
        messageCount = chain.messageCount
        reportedOnce = chain.reportedOnce
        compression?.resetAfterRejectedChain()
        return chain.bytesSinceBoundary
    }

    /// A proven heuristic lock met a frame no sender would send: the lock was wrong (or framing was
    /// lost unnoticed). Searches again from the bytes after that header instead of decoding garbage.
    mutating func loseLock(_ reason: String, rest: ArraySlice<UInt8>, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        let dropped = abandonedMessageDescription()
        anomaly(.invalidFrameHeader, "\(reason): the frame boundary found without a handshake was wrong or lost; searching again\(dropped)", at: timestamp, emit)
        resetFraming()
        compression?.resetAfterRejectedChain()
        scanBuffer = TimedByteBuffer()
        scanBuffer.append(rest, at: timestamp)
        resynchronizing = true
    }
}

extension WebSocketStreamDecoder {
    /// Forgets the frame and message in progress and declares the parser at a boundary.
    mutating func resetFraming() {
        _ = assembler.abandon()
        frame = nil
        controlPayload.removeAll(keepingCapacity: true)
        frameMissingBytes = 0
        frameReceivedBytes = 0
        parser.resynchronize()
    }

    /// "; a partial MESSAGE of N bytes was dropped" when a message is in progress, else "".
    func abandonedMessageDescription() -> String {
        guard let partial = assembler.message else { return "" }
        return "; a partial \(partial.opcode) message of \(partial.length) bytes was dropped"
    }
}

extension WebSocketOpcode {
    /// Text or binary (the opcodes that start a data message).
    var isData: Bool { self == .text || self == .binary }
}
