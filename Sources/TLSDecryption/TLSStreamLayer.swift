import PacketDecoding
import TCPReassembly
import WebSocketInspection

/// Seam 1's TLS layer: decrypts a connection's TLS records with the key log so the connection
/// analyzer after it sees the same bytes it would see on `ws://`.
///
/// It decides from the first bytes: a connection whose client starts with a TLS handshake record
/// is TLS, one that starts with a TLS record of another type (or whose server speaks first with
/// one) is TLS whose handshake was not captured, and everything else passes through untouched.
/// Decrypted application data goes out as `.data`; what cannot be decrypted is never handed on
/// as bytes: a lost record is a `.gap`, a connection without key a `no_key` anomaly that says
/// what the hellos told (version, cipher suite, SNI, ALPN).
public final class TLSStreamLayer: StreamLayer {
    enum Mode {
        case undecided
        case passthrough
        case tls
    }

    let configuration: TLSDecryptionConfiguration
    var mode = Mode.undecided
    /// The first client bytes, held until there are enough to decide (at most two).
    private var undecidedBytes: [UInt8] = []
    /// Index 0 the client (initiator), 1 the server (responder).
    var halves: [TLSHalfConnection]
    var clientHello: TLSClientHello?
    var serverHello: TLSServerHello?
    /// The protocol chosen in TLS 1.3's EncryptedExtensions (seen only once decrypted).
    var encryptedSelectedProtocol: String?
    /// The connection cannot be decrypted (no key, unsupported suite, handshake not captured);
    /// its records are dropped without further reports.
    var isUndecryptable = false
    /// Why the connection stays closed, for its `UndecryptedConnection` report.
    var undecryptableReason: (kind: AnomalyKind, detail: String)?
    /// TCP payload bytes per side (client, server) and when the first and last arrived.
    private var byteCounts: [UInt64] = [0, 0]
    private var firstTimestamp: Timestamp?
    var lastTimestamp = Timestamp.zero
    var hasReportedAuthenticationFailure = false
    var hasReportedRecordLoss = false
    /// Set while the secrets are awaited from a key log file still being written (`sniff`).
    var awaitingKey: AwaitingKey?

    public init(configuration: TLSDecryptionConfiguration) {
        self.configuration = configuration
        let half = TLSHalfConnection(maxHandshakeMessageBytes: configuration.maxHandshakeMessageBytes)
        halves = [half, half]
    }

    /// What the hellos told about the connection, once the ServerHello was seen.
    public var summary: TLSConnectionSummary? {
        guard let serverHello else { return nil }
        return TLSConnectionSummary(
            version: serverHello.version, cipherSuite: serverHello.cipherSuite, serverName: clientHello?.serverName,
            protocols: (serverHello.selectedProtocol ?? encryptedSelectedProtocol).map { [$0] } ?? clientHello?.protocols ?? [])
    }

    /// Only for a connection whose keys were found (a decrypted session).
    public var tlsSession: TLSSessionInfo? {
        guard !isUndecryptable, let summary else { return nil }
        return TLSSessionInfo(version: summary.version.description, cipher: summary.cipherSuite.description,
                              serverName: summary.serverName, protocols: summary.protocols)
    }

    /// Set once the connection is known to be TLS that cannot be decrypted.
    public var undecrypted: UndecryptedStream? {
        guard mode == .tls, isUndecryptable, let reason = undecryptableReason else { return nil }
        let tls = summary.map {
            TLSSessionInfo(version: $0.version.description, cipher: $0.cipherSuite.description, serverName: $0.serverName, protocols: $0.protocols)
        } ?? clientHello.map { TLSSessionInfo(version: "?", cipher: "?", serverName: $0.serverName, protocols: $0.protocols) }
        return UndecryptedStream(tls: tls, reason: reason.kind, detail: reason.detail, start: firstTimestamp ?? lastTimestamp, end: lastTimestamp,
                                 bytesFromClient: byteCounts[0], bytesFromServer: byteCounts[1])
    }

    private func count(_ bytes: UInt64, side: StreamSide, at timestamp: Timestamp) {
        byteCounts[index(side)] &+= bytes
        if firstTimestamp == nil { firstTimestamp = timestamp }
        lastTimestamp = max(lastTimestamp, timestamp)
    }

    public func receive(_ bytes: ArraySlice<UInt8>, from side: StreamSide, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        count(UInt64(bytes.count), side: side, at: timestamp)
        switch mode {
        case .passthrough:
            output(.data(side: side, bytes: bytes, timestamp: timestamp))
        case .tls:
            receiveRecords(bytes, side: side, at: timestamp, output)
        case .undecided:
            decide(bytes, side: side, at: timestamp, output)
        }
    }

    public func receiveGap(_ count: UInt64, from side: StreamSide, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        self.count(count, side: side, at: timestamp)
        switch mode {
        case .undecided:
            passThrough(at: timestamp, output)
            output(.gap(side: side, byteCount: count, timestamp: timestamp))
        case .passthrough:
            output(.gap(side: side, byteCount: count, timestamp: timestamp))
        case .tls:
            if awaitingKey != nil {
                // The held records and the ones after the gap could not be lined up again.
                awaitingKey = nil
                if let summary {
                    reportUndecryptable(.noKey, "\(summary): its key was not in the key log yet when \(count) bytes of it were lost", at: timestamp, output)
                }
                return
            }
            loseBytes(count, side: side, at: timestamp, output)
        }
    }

    public func finish(at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        switch mode {
        case .undecided:
            passThrough(at: timestamp, output)
        case .passthrough:
            break
        case .tls:
            // The key log file may have been written since the last look: a last one, now.
            if awaitingKey != nil { retryKeyLookup(at: lastTimestamp, force: true, output) }
            guard !isUndecryptable else { return }
            for index in halves.indices where halves[index].decryptor != nil {
                // A record cut by the end of the capture, or lost bytes never followed by a
                // record: at most this much plaintext is lost.
                let side: StreamSide = index == 0 ? .initiator : .responder
                let lost = halves[index].lostBytes + UInt64(halves[index].buffer.count)
                if lost > 0 { output(.gap(side: side, byteCount: lost, timestamp: timestamp)) }
                halves[index].buffer = []
                halves[index].lostBytes = 0
            }
        }
    }

    // MARK: Deciding

    private func decide(_ bytes: ArraySlice<UInt8>, side: StreamSide, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        if side == .responder {
            // A TLS server never speaks first: a TLS record here means the handshake was missed.
            if undecidedBytes.isEmpty, bytes.count >= 3, Self.isRecordStart(bytes.prefix(3), types: [TLSRecord.handshake, TLSRecord.applicationData]) {
                startUndecryptable(side: side, bytes: bytes, at: timestamp, output)
            } else {
                passThrough(at: timestamp, output)
                output(.data(side: side, bytes: bytes, timestamp: timestamp))
            }
            return
        }
        undecidedBytes += bytes
        guard undecidedBytes.count >= 3 else { return }
        let first = undecidedBytes[...]
        if Self.isRecordStart(first.prefix(3), types: [TLSRecord.handshake]) {
            mode = .tls
            undecidedBytes = []
            receiveRecords(first, side: side, at: timestamp, output)
        } else if Self.isRecordStart(first.prefix(3), types: [TLSRecord.applicationData, TLSRecord.alert, TLSRecord.changeCipherSpec]) {
            undecidedBytes = []
            startUndecryptable(side: side, bytes: first, at: timestamp, output)
        } else {
            passThrough(at: timestamp, output)
        }
    }

    private static func isRecordStart(_ bytes: ArraySlice<UInt8>, types: [UInt8]) -> Bool {
        let start = bytes.startIndex
        return bytes.count >= 3 && types.contains(bytes[start]) && bytes[start + 1] == 3 && bytes[start + 2] <= 4
    }

    private func passThrough(at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        mode = .passthrough
        if !undecidedBytes.isEmpty {
            output(.data(side: .initiator, bytes: undecidedBytes[...], timestamp: timestamp))
            undecidedBytes = []
        }
    }

    private func startUndecryptable(side: StreamSide, bytes: ArraySlice<UInt8>, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        mode = .tls
        isUndecryptable = true
        let detail = "TLS connection whose handshake was not captured (the capture started after it): cannot be decrypted"
        undecryptableReason = (.noKey, detail)
        output(.anomaly(kind: .noKey, detail: detail, timestamp: timestamp))
    }

    // MARK: Records

    func index(_ side: StreamSide) -> Int { side == .initiator ? 0 : 1 }

    private func receiveRecords(_ bytes: ArraySlice<UInt8>, side: StreamSide, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        let index = index(side)
        guard !isUndecryptable, !halves[index].isAbandoned else { return }
        var input = bytes
        if halves[index].skipBytes > 0 {
            let drop = min(halves[index].skipBytes, input.count)
            halves[index].skipBytes -= drop
            input = input.dropFirst(drop)
        }
        guard !input.isEmpty else { return }
        halves[index].buffer += input
        let buffer = halves[index].buffer
        var start = 0
        while !isUndecryptable, !halves[index].isAbandoned {
            if halves[index].isResynchronizing {
                guard let found = resynchronize(buffer[start...], side: side) else {
                    // Keep only what may still begin a record.
                    let kept = max(start, buffer.count - TLSRecord.headerLength + 1)
                    halves[index].lostBytes += UInt64(kept - start)
                    start = kept
                    break
                }
                halves[index].lostBytes += UInt64(found - start)
                start = found
                if halves[index].isResynchronizing { break }
                reportLoss(side: side, at: timestamp, output)
                continue
            }
            guard buffer.count - start >= TLSRecord.headerLength else { break }
            let length = Int(buffer[start + 3]) << 8 | Int(buffer[start + 4])
            guard length <= configuration.maxRecordBytes else {
                output(.anomaly(kind: .tlsRecordTooLarge, detail: "a TLS record of \(length) bytes, more than \(configuration.maxRecordBytes): the \(side == .initiator ? "client" : "server")'s bytes are no longer decrypted", timestamp: timestamp))
                halves[index].isAbandoned = true
                start = buffer.count
                break
            }
            guard buffer.count - start - TLSRecord.headerLength >= length else { break }
            let end = start + TLSRecord.headerLength + length
            process(TLSRecord(type: buffer[start], header: buffer[start..<start + TLSRecord.headerLength],
                              fragment: buffer[(start + TLSRecord.headerLength)..<end]), side: side, at: timestamp, output)
            start = end
        }
        halves[index].buffer = isUndecryptable || halves[index].isAbandoned ? [] : Array(buffer[start...])
    }

    /// Looks for the next record after lost bytes: a plausible header whose record opens with
    /// the next few sequence numbers. Returns where it starts (the resynchronisation is then
    /// over, or still pending when the record is not complete yet), nil when no header is here.
    private func resynchronize(_ bytes: ArraySlice<UInt8>, side: StreamSide) -> Int? {
        let index = index(side)
        var position = bytes.startIndex
        while bytes.endIndex - position >= TLSRecord.headerLength {
            let header = bytes[position..<position + TLSRecord.headerLength]
            if TLSRecord.isPlausibleHeader(header, maxLength: configuration.maxRecordBytes) {
                let length = Int(header[position + 3]) << 8 | Int(header[position + 4])
                guard bytes.endIndex - position - TLSRecord.headerLength >= length else { return position }
                let fragment = bytes[(position + TLSRecord.headerLength)..<(position + TLSRecord.headerLength + length)]
                guard let decryptor = halves[index].decryptor else {
                    halves[index].isResynchronizing = false
                    return position
                }
                let first = decryptor.sequenceNumber
                for sequence in first...(first + UInt64(configuration.maxResynchronizationWindow)) {
                    if decryptor.open(header: header, fragment: fragment, sequence: sequence) != nil {
                        halves[index].decryptor?.skip(to: sequence)
                        halves[index].isResynchronizing = false
                        return position
                    }
                }
            }
            position += 1
        }
        return nil
    }

    /// A capture gap of `count` bytes in one direction: the record it cuts is lost. A record
    /// whose header was seen is reported at once (its plaintext size is known); bytes past it
    /// wait until the next record authenticates, which tells how many records they held.
    private func loseBytes(_ count: UInt64, side: StreamSide, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        let index = index(side)
        guard !isUndecryptable, !halves[index].isAbandoned else { return }
        if !hasReportedRecordLoss {
            hasReportedRecordLoss = true
            output(.anomaly(kind: .tlsRecordLost, detail: "\(count) bytes of TLS records from the \(side == .initiator ? "client" : "server") were not captured: the records they cut are lost, the next record is looked for", timestamp: timestamp))
        }
        let buffered = halves[index].buffer
        halves[index].buffer = []
        if halves[index].isResynchronizing {
            halves[index].lostBytes += count + UInt64(buffered.count)
        } else if halves[index].skipBytes > 0 {
            let covered = min(UInt64(halves[index].skipBytes), count)
            halves[index].skipBytes -= Int(covered)
            if count > covered { startResynchronizing(index, lost: count - covered) }
        } else if buffered.count >= TLSRecord.headerLength {
            let length = Int(buffered[3]) << 8 | Int(buffered[4])
            let missing = UInt64(TLSRecord.headerLength + length - buffered.count)
            if let decryptor = halves[index].decryptor {
                halves[index].decryptor?.skip(to: decryptor.sequenceNumber + 1)
                output(.gap(side: side, byteCount: UInt64(max(0, length - decryptor.overhead)), timestamp: timestamp))
            }
            if count < missing {
                halves[index].skipBytes = Int(missing - count)
            } else {
                startResynchronizing(index, lost: count - missing)
            }
        } else {
            startResynchronizing(index, lost: count + UInt64(buffered.count))
        }
    }

    private func startResynchronizing(_ index: Int, lost: UInt64) {
        halves[index].isResynchronizing = true
        halves[index].lostBytes = lost
        halves[index].firstLostSequence = halves[index].decryptor?.sequenceNumber ?? 0
    }

    /// The next record authenticated after lost bytes: hand on the plaintext they held as a gap.
    /// Each lost record cost a header and the AEAD overhead; the rest was plaintext (TLS 1.3
    /// padding, rarely used, would make this an overcount, never an undercount of records).
    private func reportLoss(side: StreamSide, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        let index = index(side)
        defer { halves[index].lostBytes = 0 }
        guard let decryptor = halves[index].decryptor, halves[index].lostBytes > 0 else { return }
        let records = decryptor.sequenceNumber - halves[index].firstLostSequence
        let framing = records * UInt64(TLSRecord.headerLength + decryptor.overhead)
        let plaintext = halves[index].lostBytes > framing ? halves[index].lostBytes - framing : 0
        if plaintext > 0 { output(.gap(side: side, byteCount: plaintext, timestamp: timestamp)) }
    }
}
