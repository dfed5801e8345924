import PacketDecoding

/// What one direction of a connection hands to its connection: bytes in order, or a skipped range.
enum HalfStreamOutput {
    case data(ArraySlice<UInt8>, Timestamp)
    case gap(UInt64, Timestamp)
}

/// A range of sequence space waiting for the bytes before it: captured bytes, or bytes known to be
/// lost (cut off by the snapshot length) that still occupy sequence numbers.
struct PendingPiece {
    var start: SequenceNumber
    var length: Int
    /// A private copy: the segment's payload array is not kept alive for a few buffered bytes.
    var bytes: [UInt8]
    var isLost: Bool
    var timestamp: Timestamp

    var end: SequenceNumber { start.advanced(by: length) }

    /// What this piece counts against the buffer limits.
    var cost: Int { (isLost ? 0 : length) + TCPAssemblerConfiguration.bookkeepingBytesPerBufferedSegment }
}

/// One direction of a TCP connection: turns segments in any order into bytes in order, each once.
///
/// Overlapping bytes are resolved first-seen-wins (as gopacket does): a retransmission can never
/// rewrite bytes already delivered or already buffered. A side whose SYN was not seen is *held*:
/// its first segments are buffered without fixing where the stream starts, so that reordering at the
/// start of a mid-stream capture loses nothing; the stream then starts at the lowest sequence held.
struct HalfStream {
    /// Whether `nextSequence` is known: a SYN was seen or the held segments were released.
    private(set) var isStarted = false
    /// The next byte to deliver.
    private(set) var nextSequence = SequenceNumber(0)
    private(set) var sawSYN = false
    /// The sequence number of the first SYN this side sent, once one was seen.
    private(set) var synSequence: SequenceNumber?
    /// The side's FIN was reached in order: nothing more will be delivered.
    private(set) var isFinished = false
    /// Where the FIN sits, once one was seen.
    private var finSequence: SequenceNumber?
    /// Non-overlapping, sorted in sequence order relative to `orderingBase`.
    private(set) var pending: [PendingPiece] = []
    /// Sum of `pending` costs.
    private(set) var bufferedCost = 0
    /// While held: the first held sequence number, the fixed point pieces are ordered from.
    private var heldBase = SequenceNumber(0)
    private var heldSince = Timestamp.zero
    private var heldSegments = 0
    /// The highest acknowledgment number the other side sent for this side's bytes.
    private var peerAcknowledgment: SequenceNumber?

    private var orderingBase: SequenceNumber { isStarted ? nextSequence : heldBase }

    // MARK: - Segment parts

    /// A SYN fixes the stream start at the byte after it, unless the stream already started.
    mutating func receiveSYN(sequence: SequenceNumber, _ output: (HalfStreamOutput) -> Void) {
        sawSYN = true
        if synSequence == nil { synSequence = sequence }
        guard !isStarted else { return }
        isStarted = true
        nextSequence = sequence.advanced(by: 1)
        heldSegments = 0
        // Held data from before the SYN arrived (capture reordering) is now in order or after a hole.
        drain(output)
    }

    /// Data (and bytes the snapshot length cut off) starting at `start`.
    mutating func receiveData(
        start: SequenceNumber, payload: ArraySlice<UInt8>, missingBytes: Int, timestamp: Timestamp,
        configuration: TCPAssemblerConfiguration, _ output: (HalfStreamOutput) -> Void
    ) {
        guard !isFinished else { return }
        let dataLength = payload.count
        let totalLength = dataLength + missingBytes
        guard totalLength > 0 else { return }

        guard isStarted else {
            if pending.isEmpty {
                heldBase = start
                heldSince = timestamp
            }
            insert(start: start, payload: payload, missingBytes: missingBytes, timestamp: timestamp, deliverInOrder: false, output)
            heldSegments += 1
            if heldSegments >= configuration.maxSegmentsHeldBeforeStart
                || bufferedCost >= configuration.maxBytesHeldBeforeStart
                || timestamp.elapsed(since: heldSince) >= configuration.maxHoldBeforeStart {
                release(output)
            }
            return
        }

        let alreadyDelivered = start.distance(to: nextSequence)
        if pending.isEmpty && alreadyDelivered >= 0 {
            // The hot path: in order (possibly a partial retransmission), nothing buffered. No copy.
            guard alreadyDelivered < totalLength else { return }
            if alreadyDelivered < dataLength {
                output(.data(payload.dropFirst(alreadyDelivered), timestamp))
            }
            let missingStillDue = min(missingBytes, totalLength - alreadyDelivered)
            if missingStillDue > 0 { output(.gap(UInt64(missingStillDue), timestamp)) }
            nextSequence = start.advanced(by: totalLength)
            checkFIN()
            return
        }
        insert(start: start, payload: payload, missingBytes: missingBytes, timestamp: timestamp, deliverInOrder: true, output)
        drain(output)
        skipAcknowledgedHoleIfStuck(configuration: configuration, timestamp: timestamp, output)
    }

    /// A FIN at `sequence` (after the segment's data): the side ends once everything before it is delivered.
    mutating func receiveFIN(sequence: SequenceNumber, _ output: (HalfStreamOutput) -> Void) {
        guard !isFinished else { return }
        if finSequence == nil { finSequence = sequence }
        if !isStarted && pending.isEmpty {
            // Nothing held: a FIN is the first thing this side sends in the capture.
            isStarted = true
            nextSequence = sequence
        }
        checkFIN()
    }

    /// The other side acknowledged this side's bytes up to `acknowledgment`.
    mutating func receiveAcknowledgment(
        _ acknowledgment: SequenceNumber, timestamp: Timestamp,
        configuration: TCPAssemblerConfiguration, _ output: (HalfStreamOutput) -> Void
    ) {
        if let previous = peerAcknowledgment, !previous.isBefore(acknowledgment) { return }
        peerAcknowledgment = acknowledgment
        if !isStarted {
            // The peer already has bytes past the lowest held one: the start cannot move any lower.
            if let first = pending.first, first.start.isBefore(acknowledgment) { release(output) }
            return
        }
        skipAcknowledgedHoleIfStuck(configuration: configuration, timestamp: timestamp, output)
    }

    // MARK: - Telling connections on one 4-tuple apart

    /// A FIN was seen from this side (delivered or not): it was ending its connection.
    var sawFIN: Bool { finSequence != nil }

    /// Where this side's stream is known to be: the next byte to deliver, the lowest byte held, or
    /// what the peer acknowledged; nil when nothing about it was seen.
    private var knownPosition: SequenceNumber? {
        if isStarted { return nextSequence }
        return pending.first?.start ?? peerAcknowledgment
    }

    /// Whether a SYN at `sequence` repeats the SYN this side sent (a retransmission or a duplicate).
    func sentSYN(at sequence: SequenceNumber) -> Bool {
        synSequence == sequence
    }

    /// Whether a SYN (without ACK) at `sequence` sent by this side can belong to this connection: a
    /// retransmission of the SYN it sent, or one whose first byte lies within `window` of where the
    /// stream is known to be (capture reordering, or an in-window SYN that draws a challenge ACK,
    /// RFC 5961 §4). Anything else starts a new connection on the same 4-tuple: a new initial
    /// sequence number is random (RFC 6528), so it almost never lands that close.
    func admitsSYN(at sequence: SequenceNumber, window: Int) -> Bool {
        if sentSYN(at: sequence) { return true }
        guard let position = knownPosition else { return true }
        return abs(position.distance(to: sequence.advanced(by: 1))) <= window
    }

    // MARK: - Giving up on holes

    /// Skips to the lowest buffered piece, reporting the skipped bytes as a gap, and delivers what
    /// is then in order. Used when a buffer limit is hit.
    mutating func skipFirstHole(timestamp: Timestamp, _ output: (HalfStreamOutput) -> Void) {
        guard let first = pending.first else { return }
        if !isStarted {
            release(output)
            return
        }
        let hole = nextSequence.distance(to: first.start)
        if hole > 0 {
            output(.gap(UInt64(hole), timestamp))
            nextSequence = first.start
        }
        drain(output)
    }

    /// Delivers everything buffered, skipping every hole: at the end of a capture, a reset, an idle
    /// timeout or an eviction, when no more bytes will come.
    mutating func flush(timestamp: Timestamp, _ output: (HalfStreamOutput) -> Void) {
        // Each round removes at least one piece; the bound only guards against a logic error.
        let maxRounds = pending.count + 1
        var rounds = 0
        while !pending.isEmpty && rounds < maxRounds {
            skipFirstHole(timestamp: timestamp, output)
            rounds += 1
        }
    }

    // MARK: - Internals

    /// Fixes the stream start at the lowest held sequence number and delivers what is in order.
    private mutating func release(_ output: (HalfStreamOutput) -> Void) {
        guard !isStarted, let first = pending.first else { return }
        isStarted = true
        nextSequence = first.start
        heldSegments = 0
        drain(output)
    }

    /// Declares the first hole lost when the peer acknowledged past it and enough data waits behind it.
    private mutating func skipAcknowledgedHoleIfStuck(
        configuration: TCPAssemblerConfiguration, timestamp: Timestamp, _ output: (HalfStreamOutput) -> Void
    ) {
        guard pending.count > configuration.maxSegmentsWaitingBehindAcknowledgedHole,
              let acknowledgment = peerAcknowledgment, let first = pending.first,
              first.start.distance(to: acknowledgment) >= 0
        else { return }
        skipFirstHole(timestamp: timestamp, output)
    }

    private mutating func checkFIN() {
        guard isStarted, !isFinished, let fin = finSequence, nextSequence.distance(to: fin) <= 0 else { return }
        isFinished = true
        nextSequence = fin.advanced(by: 1)
    }

    /// Adds the parts of a segment that are not already delivered or buffered (first seen wins).
    ///
    /// With `deliverInOrder`, a part that starts exactly at `nextSequence` is delivered straight from
    /// the segment instead of being copied and buffered.
    private mutating func insert(
        start: SequenceNumber, payload: ArraySlice<UInt8>, missingBytes: Int, timestamp: Timestamp,
        deliverInOrder: Bool, _ output: (HalfStreamOutput) -> Void
    ) {
        // Distances from a base fixed for the whole call, so delivering in order does not move it.
        let base = orderingBase
        let segmentStart = base.distance(to: start)
        let dataEnd = segmentStart + payload.count
        let segmentEnd = dataEnd + missingBytes
        var cursor = deliverInOrder ? max(segmentStart, 0) : segmentStart
        guard cursor < segmentEnd else { return }

        // First piece that ends after the cursor; ends are sorted because pieces do not overlap.
        var low = 0
        var high = pending.count
        while low < high {
            let middle = (low + high) / 2
            if base.distance(to: pending[middle].end) <= cursor { low = middle + 1 } else { high = middle }
        }
        var index = low
        while cursor < segmentEnd {
            var pieceEnd = segmentEnd
            if index < pending.count {
                let existingStart = base.distance(to: pending[index].start)
                if existingStart <= cursor {
                    cursor = max(cursor, existingStart + pending[index].length)
                    index += 1
                    continue
                }
                pieceEnd = min(segmentEnd, existingStart)
            }
            // A part never straddles the data/lost boundary.
            if cursor < dataEnd { pieceEnd = min(pieceEnd, dataEnd) }
            let isLost = cursor >= dataEnd
            let pieceLength = pieceEnd - cursor
            let payloadRange = (payload.startIndex + cursor - segmentStart)..<(payload.startIndex + pieceEnd - segmentStart)

            if deliverInOrder && index == 0 && base.advanced(by: cursor) == nextSequence {
                output(isLost ? .gap(UInt64(pieceLength), timestamp) : .data(payload[payloadRange], timestamp))
                nextSequence = nextSequence.advanced(by: pieceLength)
            } else {
                let piece = PendingPiece(
                    start: base.advanced(by: cursor), length: pieceLength,
                    bytes: isLost ? [] : Array(payload[payloadRange]), isLost: isLost, timestamp: timestamp
                )
                pending.insert(piece, at: index)
                bufferedCost += piece.cost
                index += 1
            }
            cursor = pieceEnd
        }
    }

    /// Delivers buffered pieces that are now in order.
    private mutating func drain(_ output: (HalfStreamOutput) -> Void) {
        guard isStarted else { return }
        var removed = 0
        while removed < pending.count {
            let piece = pending[removed]
            let alreadyDelivered = piece.start.distance(to: nextSequence)
            if alreadyDelivered < 0 { break }
            removed += 1
            bufferedCost -= piece.cost
            guard alreadyDelivered < piece.length else { continue }
            if piece.isLost {
                output(.gap(UInt64(piece.length - alreadyDelivered), piece.timestamp))
            } else {
                output(.data(piece.bytes[alreadyDelivered...], piece.timestamp))
            }
            nextSequence = piece.end
        }
        if removed > 0 { pending.removeFirst(removed) }
        checkFIN()
    }
}
