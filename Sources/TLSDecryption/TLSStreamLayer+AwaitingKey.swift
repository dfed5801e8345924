import PacketDecoding
import TCPReassembly
import WebSocketInspection

extension TLSStreamLayer {
    /// A connection whose secrets the live key log (`sniff --keylog`) does not hold yet: its
    /// records wait, in arrival order, until the file gives them or a limit says stop.
    struct AwaitingKey {
        struct HeldRecord {
            var type: UInt8
            var bytes: [UInt8]
            var side: StreamSide
            var timestamp: Timestamp
        }

        var since: Timestamp
        var held: [HeldRecord] = []
        var heldBytes = 0
    }

    /// Keeps a record while the key is awaited and looks for the key again (the key log file is
    /// read again only when due: `TLSKeyLogFile.minimumRereadInterval`).
    func holdWhileAwaitingKey(_ record: TLSRecord, side: StreamSide, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
        guard var waiting = awaitingKey else { return }
        let bytes = Array(record.header) + Array(record.fragment)
        waiting.held.append(AwaitingKey.HeldRecord(type: record.type, bytes: bytes, side: side, timestamp: timestamp))
        waiting.heldBytes += bytes.count
        awaitingKey = waiting
        retryKeyLookup(at: timestamp, force: false, output)
    }

    /// Asks the live key log again; on success derives the keys and runs the held records
    /// through as if they had just arrived. Gives up (`no_key`) past the byte or time limit, or
    /// when `force` (the connection ended) finds nothing.
    func retryKeyLookup(at timestamp: Timestamp, force: Bool, _ output: (StreamLayerOutput) -> Void) {
        guard let waiting = awaitingKey, let random = clientHello?.random else { return }
        let found = configuration.liveKeyLog?.secrets(for: random, force: force, isComplete: hasAllSecrets)
        if let secrets = found, hasAllSecrets(secrets) {
            awaitingKey = nil
            install(secrets, at: timestamp, output)
            for held in waiting.held where !isUndecryptable {
                let record = TLSRecord(type: held.type, header: held.bytes[0..<TLSRecord.headerLength],
                                       fragment: held.bytes[TLSRecord.headerLength...])
                process(record, side: held.side, at: held.timestamp, output)
            }
            return
        }
        if force || waiting.heldBytes > configuration.maxBytesHeldAwaitingKey
            || timestamp.seconds(since: waiting.since) > configuration.maxKeyWaitSeconds {
            awaitingKey = nil
            // Part of the secrets (a TLS 1.3 entry without its traffic secrets) is named as such.
            if let found { install(found, at: timestamp, output) } else { reportNoKeyLogEntry(at: timestamp, output) }
        }
    }

    public var isWaiting: Bool { awaitingKey != nil }

    /// The capture is quiet: look for the key again (a connection idle after its handshake would
    /// otherwise wait for its next record).
    public func poll(_ output: (StreamLayerOutput) -> Void) {
        if awaitingKey != nil { retryKeyLookup(at: lastTimestamp, force: false, output) }
    }
}
