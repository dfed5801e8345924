import PacketDecoding
import WebSocketProtocol

/// Finding frames again after lost framing (a gap across a header, an invalid header) or at the
/// start of a stream picked up mid-way, and the anomaly helpers the decoder reports through.
extension WebSocketStreamDecoder {
    // MARK: - Resynchronization

    mutating func resynchronize(isFinal: Bool, _ emit: (InspectorEvent) -> Void) {
        let scanner = FrameBoundaryScanner(
            expectMasked: direction == .clientToServer, allowCompression: compressionNegotiated,
            maxPlausibleFrameLength: UInt64(max(configuration.maxMessageBytes, 1 << 24)), trustsStart: atStreamStart)
        while true {
            let result = scanBuffer.bytes.withUnsafeBytes { scanner.scan($0, isFinal: isFinal) }
            switch result {
            case .boundary(let offset, _, _):
                let skipped = resynchronizationSkipped + offset
                resynchronizationSkipped = 0
                let held = scanBuffer
                // Whether the boundary is the first byte of a TCP segment (evidence for the chain's
                // first frame): a part of the held bytes starts there, or nothing was skipped yet.
                var aligned = skipped == 0
                if offset > 0 { held.forEachPart(from: 0) { part, _ in if part.startIndex == offset { aligned = true } } }
                scanBuffer = TimedByteBuffer()
                resynchronizing = false
                atStreamStart = false
                parser.resynchronize()
                // The frames from here on are on probation (WebSocketStreamDecoder+Probation.swift);
                // `resynchronized` is held with them and shown only once they are proven.
                startProbation(skippedBefore: skipped, leadAligned: aligned, at: lastTimestamp)
                held.forEachPart(from: offset) { part, timestamp in
                    // A later part may find the parser desynchronized again (an invalid header):
                    // then it goes back to scanning, with the times kept.
                    if resynchronizing { scanBuffer.append(part, at: timestamp) } else { parseFrames(part, at: timestamp, emit) }
                }
                if resynchronizing && !scanBuffer.isEmpty { continue }
                return
            case .needMoreBytes(let discardable):
                if scanBuffer.count >= configuration.maxResynchronizationBytes {
                    // Only the candidate that stalls the search goes (a chance "header" claiming a
                    // long frame): dropping half the buffer would drop real boundaries with it.
                    let drop = min(scanBuffer.count, discardable + 1)
                    anomalyOnce(.resynchronizationLimit, "no frame boundary found in \(scanBuffer.count) bytes; dropping \(drop)", at: lastTimestamp, emit)
                    scanBuffer.removeFirst(drop)
                    resynchronizationSkipped += drop
                    continue
                }
                if discardable > 0 {
                    scanBuffer.removeFirst(discardable)
                    resynchronizationSkipped += discardable
                }
                if isFinal && resynchronizationSkipped + scanBuffer.count > 0 {
                    anomaly(.unparsedBytes, "\(resynchronizationSkipped + scanBuffer.count) bytes at the end of the stream hold no complete frame", at: lastTimestamp, emit)
                    scanBuffer = TimedByteBuffer()
                    resynchronizationSkipped = 0
                }
                return
            }
        }
    }

    // MARK: - Anomalies

    func anomaly(_ kind: AnomalyKind, _ detail: String, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        emit(.anomaly(InspectorAnomaly(connection: connection, timestamp: timestamp, direction: direction, kind: kind, detail: detail)))
    }

    mutating func anomalyOnce(_ kind: AnomalyKind, _ detail: String, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        guard reportedOnce.insert(kind).inserted else { return }
        anomaly(kind, detail + " (reported once per direction)", at: timestamp, emit)
    }
}
