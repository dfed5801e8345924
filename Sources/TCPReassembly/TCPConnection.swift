import PacketDecoding

/// Both directions of one TCP connection, and what has been reported about it.
struct TCPConnection {
    /// What `opened` reports; roles can still be corrected until it is reported.
    private(set) var info: TCPConnectionInfo
    let key: ConnectionKey
    private var initiatorStream = HalfStream()
    private var responderStream = HalfStream()
    private var hasReportedOpened = false
    /// Roles were decided by a SYN or SYN-ACK, not guessed from the first packet seen.
    private var rolesConfirmed: Bool
    /// Latest activity time of this connection, for idle flushing: its packets' times, except that a
    /// packet stamped far ahead counts at the assembler's clock (see `PacketClock`).
    private(set) var lastSeen: Timestamp

    /// Whether the connection ended and must be forgotten.
    enum Outcome {
        case open
        case closed
    }

    /// Payloads and snapshot-length cuts longer than this are clamped: no real segment comes close,
    /// and it keeps every sequence distance well inside the 2^31 serial-number window.
    static let maxSegmentSpan = 1 << 30

    init(id: Int, first segment: TCPSegment, key: ConnectionKey, activityTime: Timestamp) {
        let flags = segment.flags
        let synAcknowledgment = flags.contains(.syn) && flags.contains(.ack)
        info = TCPConnectionInfo(
            id: id,
            initiator: synAcknowledgment ? segment.destination : segment.source,
            responder: synAcknowledgment ? segment.source : segment.destination,
            sawSYN: flags.contains(.syn),
            start: segment.timestamp
        )
        self.key = key
        rolesConfirmed = flags.contains(.syn)
        lastSeen = activityTime
    }

    var bufferedCost: Int { initiatorStream.bufferedCost + responderStream.bufferedCost }

    /// Records activity at `time` (never moving `lastSeen` back).
    mutating func noteActivity(at time: Timestamp) {
        if lastSeen < time { lastSeen = time }
    }

    /// The reason to close this connection with when a SYN without ACK on its 4-tuple, at activity
    /// time `time`, starts a new connection; nil when the SYN belongs to this one.
    ///
    /// A repeat of the side's own SYN (same sequence number) always belongs to this connection: a
    /// duplicate captured late. Otherwise a new connection, as in Zeek's connection-reuse check:
    /// after a FIN from either side (the other FIN was lost; reason `fin`), after `idleTimeout`
    /// without a packet (`idle`), or when the SYN is not within `maxSYNDistance` of where that
    /// side's stream is (`reused`: the old connection's end was not captured).
    func reasonToCloseForNewSYN(_ segment: TCPSegment, at time: Timestamp, configuration: TCPAssemblerConfiguration) -> TCPCloseReason? {
        let sender = segment.source == info.initiator ? initiatorStream : responderStream
        let sequence = SequenceNumber(segment.sequenceNumber)
        if sender.sentSYN(at: sequence) { return nil }
        if initiatorStream.sawFIN || responderStream.sawFIN { return .fin }
        if time.elapsed(since: lastSeen) > configuration.idleTimeout { return .idle }
        return sender.admitsSYN(at: sequence, window: configuration.maxSYNDistance) ? nil : .reused
    }

    /// Feeds one segment of this connection and reports what it makes deliverable; `activityTime` is
    /// the time its activity counts at for idle flushing.
    mutating func process(
        _ segment: TCPSegment, activityTime: Timestamp, configuration: TCPAssemblerConfiguration,
        _ emit: (TCPStreamEvent) -> Void
    ) -> Outcome {
        let flags = segment.flags
        noteActivity(at: activityTime)
        var side: StreamSide = segment.source == info.initiator ? .initiator : .responder
        if flags.contains(.syn) {
            let sentByInitiator = !flags.contains(.ack)
            if !hasReportedOpened && !rolesConfirmed && (side == .initiator) != sentByInitiator {
                swap(&info.initiator, &info.responder)
                swap(&initiatorStream, &responderStream)
                side = sentByInitiator ? .initiator : .responder
            }
            rolesConfirmed = true
            if !hasReportedOpened { info.sawSYN = true }
        }

        var reporter = Reporter(info: info, hasReportedOpened: hasReportedOpened)
        defer { hasReportedOpened = reporter.hasReportedOpened }
        let timestamp = segment.timestamp
        let identifier = info.id
        func initiatorOutput(_ output: HalfStreamOutput) { reporter.report(output, side: .initiator, emit) }
        func responderOutput(_ output: HalfStreamOutput) { reporter.report(output, side: .responder, emit) }

        switch side {
        case .initiator:
            Self.feed(segment, configuration, to: &initiatorStream, peer: &responderStream, initiatorOutput, responderOutput)
        case .responder:
            Self.feed(segment, configuration, to: &responderStream, peer: &initiatorStream, responderOutput, initiatorOutput)
        }

        if flags.contains(.rst) {
            initiatorStream.flush(timestamp: timestamp, initiatorOutput)
            responderStream.flush(timestamp: timestamp, responderOutput)
            reporter.report(.closed(connection: identifier, reason: .reset, timestamp: timestamp), emit)
            return .closed
        }
        if initiatorStream.isFinished && responderStream.isFinished {
            reporter.report(.closed(connection: identifier, reason: .fin, timestamp: timestamp), emit)
            return .closed
        }

        let limit = configuration.maxBufferedBytesPerConnection
        if bufferedCost > limit {
            reporter.report(.anomaly(
                connection: identifier, kind: .reassemblyBufferLimit,
                detail: "\(bufferedCost) bytes buffered out of order (limit \(limit)): skipping missing bytes",
                timestamp: timestamp
            ), emit)
            while bufferedCost > limit {
                let before = bufferedCost
                if initiatorStream.bufferedCost >= responderStream.bufferedCost {
                    initiatorStream.skipFirstHole(timestamp: timestamp, initiatorOutput)
                } else {
                    responderStream.skipFirstHole(timestamp: timestamp, responderOutput)
                }
                // Every skip frees at least one piece; stop rather than spin if a limit is below zero.
                if bufferedCost >= before { break }
            }
        }
        return .open
    }

    /// Delivers everything buffered on both sides, skipping holes, without closing.
    mutating func flushBuffers(timestamp: Timestamp, _ emit: (TCPStreamEvent) -> Void) {
        var reporter = Reporter(info: info, hasReportedOpened: hasReportedOpened)
        defer { hasReportedOpened = reporter.hasReportedOpened }
        func initiatorOutput(_ output: HalfStreamOutput) { reporter.report(output, side: .initiator, emit) }
        func responderOutput(_ output: HalfStreamOutput) { reporter.report(output, side: .responder, emit) }
        initiatorStream.flush(timestamp: timestamp, initiatorOutput)
        responderStream.flush(timestamp: timestamp, responderOutput)
    }

    /// Reports an anomaly about this connection, after its `opened` event.
    mutating func reportAnomaly(kind: TCPAnomalyKind, detail: String, timestamp: Timestamp, _ emit: (TCPStreamEvent) -> Void) {
        var reporter = Reporter(info: info, hasReportedOpened: hasReportedOpened)
        reporter.report(.anomaly(connection: info.id, kind: kind, detail: detail, timestamp: timestamp), emit)
        hasReportedOpened = reporter.hasReportedOpened
    }

    /// Delivers everything buffered, then reports the close: the connection is forgotten after this.
    mutating func close(reason: TCPCloseReason, timestamp: Timestamp, _ emit: (TCPStreamEvent) -> Void) {
        flushBuffers(timestamp: timestamp, emit)
        var reporter = Reporter(info: info, hasReportedOpened: hasReportedOpened)
        reporter.report(.closed(connection: info.id, reason: reason, timestamp: timestamp), emit)
        hasReportedOpened = reporter.hasReportedOpened
    }

    /// Hands one segment's parts to the side that sent it, and its acknowledgment to the other side.
    private static func feed(
        _ segment: TCPSegment, _ configuration: TCPAssemblerConfiguration,
        to stream: inout HalfStream, peer: inout HalfStream,
        _ output: (HalfStreamOutput) -> Void, _ peerOutput: (HalfStreamOutput) -> Void
    ) {
        let flags = segment.flags
        let sequence = SequenceNumber(segment.sequenceNumber)
        if flags.contains(.syn) { stream.receiveSYN(sequence: sequence, output) }
        let dataStart = flags.contains(.syn) ? sequence.advanced(by: 1) : sequence
        let payload = segment.payload.prefix(maxSegmentSpan)
        let missingBytes = min(max(segment.missingPayloadBytes, 0), maxSegmentSpan)
        if !payload.isEmpty || missingBytes > 0 {
            stream.receiveData(
                start: dataStart, payload: payload, missingBytes: missingBytes, timestamp: segment.timestamp,
                configuration: configuration, output
            )
        }
        if flags.contains(.fin) {
            stream.receiveFIN(sequence: dataStart.advanced(by: payload.count + missingBytes), output)
        }
        if flags.contains(.ack) && !flags.contains(.rst) {
            peer.receiveAcknowledgment(
                SequenceNumber(segment.acknowledgmentNumber), timestamp: segment.timestamp,
                configuration: configuration, peerOutput
            )
        }
    }
}

/// Turns side outputs into events and makes sure `opened` comes before anything else.
private struct Reporter {
    let info: TCPConnectionInfo
    var hasReportedOpened: Bool

    mutating func report(_ output: HalfStreamOutput, side: StreamSide, _ emit: (TCPStreamEvent) -> Void) {
        switch output {
        case .data(let bytes, let timestamp):
            guard !bytes.isEmpty else { return }
            report(.data(connection: info.id, side: side, bytes: bytes, timestamp: timestamp), emit)
        case .gap(let byteCount, let timestamp):
            guard byteCount > 0 else { return }
            report(.gap(connection: info.id, side: side, byteCount: byteCount, timestamp: timestamp), emit)
        }
    }

    mutating func report(_ event: TCPStreamEvent, _ emit: (TCPStreamEvent) -> Void) {
        if !hasReportedOpened {
            hasReportedOpened = true
            emit(.opened(info))
        }
        emit(event)
    }
}
