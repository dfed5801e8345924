import PacketDecoding
import WebSocketInspection
import WebSocketProtocol

/// What the live peer sends during a conversation: first its handshake (checked by the role's
/// `ConversationHandshake`), then its frames, decoded by the same `WebSocketStreamDecoder` that
/// decodes captures — so recorded and live messages are compared after identical processing
/// (unmasking, reassembly, inflation, limits) — and compared with the recording as they arrive.
///
/// Role-independent: the role decides which direction is decoded (the peer's) and hence which
/// masking and permessage-deflate parameters the decoder expects. Nothing the peer sends is kept
/// beyond what the report needs (`AnswerTally`), the handshake head (at most
/// `HTTPHeadParser.defaultMaxHeadBytes`) and the one message being decoded (at most
/// `maxMessageBytes`), so a peer that never stops sending cannot grow it.
///
/// An actor because the reading task fills it while the sending task waits on it; waits are
/// bounded by a timeout so a silent peer cannot hang the engine.
actor ConversationInbox {
    enum HandshakeState: Sendable {
        case pending
        case upgraded(NegotiatedUpgrade)
        case refused(String)
    }

    /// Protocol anomalies of the peer listed in the report (default 20); the rest are counted.
    static let maxListedAnomalies = 20

    let role: ConversationRole
    private let handshakeCheck: (any ConversationHandshake)?
    private let configuration: InspectionConfiguration
    private(set) var handshake = HandshakeState.pending
    private var headBuffer: [UInt8] = []
    private var decoder: WebSocketStreamDecoder?
    private var tally: AnswerTally
    private(set) var anomalies: [String] = []
    private(set) var unlistedAnomalies = 0
    /// The first anomaly of each kind the peer caused, counted or listed: a server transport cuts
    /// off a client whose frames break the protocol (`ServedClient.cutOffKinds`).
    private(set) var firstAnomalyByKind: [AnomalyKind: String] = [:]
    /// The peer closed the TCP connection (or reading failed).
    private(set) var ended = false
    private(set) var readError: String?
    private(set) var receivedClose = false

    /// Pings from the peer still to be answered (RFC 6455 §5.5.2), at most `maxPendingPongs`: a
    /// peer that pings faster than its pongs are written loses the oldest answers, not memory.
    private var pendingPongs: [[UInt8]] = []
    static let maxPendingPongs = 16

    /// Where `serve --record` keeps what the peer sent (nil: not recording).
    private var transcript: ConversationTranscript?

    private var waiters: [Int: (condition: @Sendable (Snapshot) -> Bool, continuation: CheckedContinuation<Bool, Never>)] = [:]
    private var nextWaiter = 0

    struct Snapshot: Sendable {
        var handshakeDone: Bool
        /// The recorded position the peer's messages have reached (`AnswerTally.position`): with
        /// messages in recorded order, how many it has sent.
        var position: Int
        /// Recorded peer messages paired with a live one so far.
        var paired: Int
        var ended: Bool
        var receivedClose: Bool
    }

    /// An inbox that first checks the peer's handshake with `handshake`.
    init(
        role: ConversationRole, script: ConversationScript, comparator: AnswerComparator, maxMessageBytes: Int, maxMatchLookahead: Int = 0,
        handshake: any ConversationHandshake
    ) {
        self.role = role
        handshakeCheck = handshake
        var configuration = InspectionConfiguration()
        configuration.maxMessageBytes = maxMessageBytes
        self.configuration = configuration
        tally = AnswerTally(expected: script.expected, comparator: comparator, maxMatchLookahead: maxMatchLookahead)
    }

    /// An inbox for a connection whose upgrade the transport already completed: every byte is a frame.
    init(
        role: ConversationRole, script: ConversationScript, comparator: AnswerComparator, maxMessageBytes: Int, maxMatchLookahead: Int = 0,
        upgraded: NegotiatedUpgrade
    ) {
        self.role = role
        handshakeCheck = nil
        var configuration = InspectionConfiguration()
        configuration.maxMessageBytes = maxMessageBytes
        self.configuration = configuration
        tally = AnswerTally(expected: script.expected, comparator: comparator, maxMatchLookahead: maxMatchLookahead)
        handshake = .upgraded(upgraded)
        decoder = WebSocketStreamDecoder(connection: 0, direction: role.expectedDirection, configuration: configuration, compression: upgraded.compression)
    }

    func record(into transcript: ConversationTranscript) {
        self.transcript = transcript
    }

    var snapshot: Snapshot {
        let done: Bool
        if case .pending = handshake { done = false } else { done = true }
        return Snapshot(handshakeDone: done, position: tally.position, paired: tally.paired, ended: ended, receivedClose: receivedClose)
    }

    func receive(_ bytes: [UInt8]) {
        let now = ConversationClock.now()
        if var decoder {
            decoder.receive(bytes[...], at: now) { handle($0) }
            self.decoder = decoder
        } else if case .pending = handshake {
            headBuffer.append(contentsOf: bytes)
            checkHandshake(at: now)
        }
        notify()
    }

    func end(error: String?) {
        if !ended {
            ended = true
            readError = error
            if case .pending = handshake {
                handshake = .refused(error.map { "the connection failed during the handshake: \($0)" } ?? "the \(role.peerName) closed the connection without answering the handshake")
            }
            if var decoder {
                decoder.finish(at: ConversationClock.now()) { handle($0) }
                self.decoder = decoder
            }
        }
        notify()
    }

    /// The comparison of everything the peer sent with the recording; recorded messages it did not
    /// send count as missing from here on.
    func finishedTally() -> AnswerTally {
        tally.finish()
        return tally
    }

    /// Waits until `condition` holds, the connection ends, or `timeout` seconds pass; returns
    /// whether the condition holds.
    func wait(timeout: Double, until condition: @escaping @Sendable (Snapshot) -> Bool) async -> Bool {
        if condition(snapshot) { return true }
        if ended { return false }
        let id = nextWaiter
        nextWaiter += 1
        return await withCheckedContinuation { continuation in
            waiters[id] = (condition, continuation)
            Task { [weak self] in
                try? await ConversationClock.sleep(seconds: timeout)
                await self?.expire(id)
            }
        }
    }

    /// The payloads of the pings received since the last call, to be answered with pongs.
    func takePendingPongs() -> [[UInt8]] {
        defer { pendingPongs = [] }
        return pendingPongs
    }

    private func expire(_ id: Int) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        waiter.continuation.resume(returning: waiter.condition(snapshot))
    }

    private func notify() {
        guard !waiters.isEmpty else { return }
        let current = snapshot
        for (id, waiter) in waiters where waiter.condition(current) || ended {
            waiters[id] = nil
            waiter.continuation.resume(returning: waiter.condition(current))
        }
    }

    private func checkHandshake(at now: Timestamp) {
        guard let handshakeCheck else { return }
        switch handshakeCheck.check(headBuffer) {
        case .needMoreData:
            return
        case .refused(let reason):
            handshake = .refused(reason)
            headBuffer = []
        case .upgraded(let upgrade, let consumed):
            handshake = .upgraded(upgrade)
            var decoder = WebSocketStreamDecoder(
                connection: 0, direction: role.expectedDirection, configuration: configuration, compression: upgrade.compression)
            let rest = headBuffer[consumed...]
            if !rest.isEmpty { decoder.receive(rest, at: now) { handle($0) } }
            headBuffer = []
            self.decoder = decoder
        }
    }

    private func handle(_ event: InspectorEvent) {
        switch event {
        case .message(let message):
            if message.opcode == .close { receivedClose = true }
            if message.opcode == .ping, !message.truncated {
                if pendingPongs.count == Self.maxPendingPongs { pendingPongs.removeFirst() }
                pendingPongs.append(message.payload)
            }
            transcript?.record(received: message)
            tally.record(ReplayMessage(received: message))
        case .anomaly(let anomaly):
            if firstAnomalyByKind[anomaly.kind] == nil { firstAnomalyByKind[anomaly.kind] = anomaly.detail }
            if anomalies.count < Self.maxListedAnomalies {
                anomalies.append("\(anomaly.kind): \(anomaly.detail)")
            } else {
                unlistedAnomalies += 1
            }
        default:
            break
        }
    }
}
