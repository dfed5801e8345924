import Foundation
import NIOCore
import WebSocketProtocol

/// How the engine paces, waits and compares, whatever the role: the part of `ReplayConfiguration`
/// `ServeConfiguration` shares.
public struct ConversationPlayback: Sendable {
    public var pacing: ReplayPacing
    /// Divides recorded gaps (`ReplayConfiguration.speedRange`).
    public var speed: Double
    /// No wait between two sent messages is longer than this, in seconds (`--max-recorded-gap`).
    public var maxRecordedGap: Double
    /// Longest wait for the peer's recorded messages before sending on or finishing.
    public var answerTimeout: Double
    /// After the last message and all answers, how long to wait for the peer to close.
    public var closeTimeout: Double
    /// Largest message taken from the recording or accepted from the peer, after decompression.
    public var maxMessageBytes: Int
    public var ignore: [JSONPathPattern]
    /// What counts as the same message (`--match`; default json: exact bytes or the same JSON).
    public var match: MessageMatch = .json
    /// How far ahead of (and behind) the next recorded peer message a differing live one is looked
    /// for (`AnswerTally`; `--max-match-lookahead`). 0, replay's default, compares by position;
    /// serve's default is `ServeConfiguration.defaultMaxMatchLookahead`.
    public var maxMatchLookahead = 0
    /// With reactive pacing, send the messages recorded before the peer's first message at their
    /// recorded offsets from the upgrade (scaled by `speed`) instead of at once: a server's opening
    /// pushes (a greeting, a snapshot) keep their timing; and send each message recorded after a
    /// peer message at its recorded offset from that peer message, counted from when the live
    /// peer reached it (scaled by `speed`, cut at `maxRecordedGap`): pushes on a timer after a
    /// subscription keep their rhythm. `serve` sets it; replay's first client message has nothing
    /// to wait for, so replay leaves it off.
    public var paceOpeningAsRecorded = false

    public init(
        pacing: ReplayPacing = .reactive, speed: Double = 1, maxRecordedGap: Double = ReplayConfiguration.defaultMaxRecordedGapSeconds,
        answerTimeout: Double = 5, closeTimeout: Double = 1, maxMessageBytes: Int = 16 << 20, ignore: [JSONPathPattern] = []
    ) {
        self.pacing = pacing
        self.speed = speed
        self.maxRecordedGap = maxRecordedGap
        self.answerTimeout = answerTimeout
        self.closeTimeout = closeTimeout
        self.maxMessageBytes = maxMessageBytes
        self.ignore = ignore
    }
}

/// Plays one side of a recorded conversation over a connection whose WebSocket upgrade is done.
///
/// Contract: the transport (a NIO client for `replay`, a NIO server for `serve`) connects, runs the
/// opening handshake through the `ConversationInbox` (or completes it itself), feeds the inbox every
/// byte the peer sends and closes its end of the inbox when the peer closes; the engine then sends
/// the script's messages through `write` — framed, compressed and masked as the role requires,
/// paced as `playback` says — waits for the remaining answers and for the peer to close, and fills
/// in the report. The engine never touches a socket: `write` is the transport's.
public struct ConversationEngine: Sendable {
    public let script: ConversationScript
    public let playback: ConversationPlayback

    /// With `--pace asap`, frames are written in batches of at most this many messages…
    public static let maxBatchMessages = 256
    /// …or this many bytes (a larger message goes out alone): 64 KiB, about what one `write`
    /// hands to a loopback socket, small enough that the peer sees traffic at once.
    public static let maxBatchBytes = 64 << 10

    public init(script: ConversationScript, playback: ConversationPlayback) {
        self.script = script
        self.playback = playback
    }

    /// A new inbox for this script whose handshake the role's `handshake` check settles.
    func makeInbox(handshake: any ConversationHandshake) -> ConversationInbox {
        ConversationInbox(
            role: script.role, script: script, comparator: AnswerComparator(ignoring: playback.ignore, mode: playback.match),
            maxMessageBytes: playback.maxMessageBytes, maxMatchLookahead: playback.maxMatchLookahead, handshake: handshake)
    }

    /// A new inbox for this script on a connection the transport already upgraded.
    func makeInbox(upgraded: NegotiatedUpgrade) -> ConversationInbox {
        ConversationInbox(
            role: script.role, script: script, comparator: AnswerComparator(ignoring: playback.ignore, mode: playback.match),
            maxMessageBytes: playback.maxMessageBytes, maxMatchLookahead: playback.maxMatchLookahead, upgraded: upgraded)
    }

    /// Sends the script and waits for the answers (see the type's contract). Throws what `write` throws.
    func play(
        compression: PerMessageDeflateParameters?, inbox: ConversationInbox, report: inout ConnectionReport,
        transcript: ConversationTranscript? = nil, write: (ByteBuffer) async throws -> Void
    ) async throws {
        let role = script.role
        let steps = script.steps
        if compression == nil, script.sendsCompressedMessages {
            report.notes.append(role.compressionDeclinedNote)
        }
        let encoder: FrameEncoder
        do {
            encoder = try FrameEncoder(compression: compression, role: role)
        } catch {
            report.failure = .unreplayable("could not set up compression: \(error)")
            return
        }
        let start = Date()
        var schedule = RecordedSchedule(start: script.start, speed: playback.speed, maxGap: playback.maxRecordedGap)
        defer { if let note = schedule.note { report.notes.append(note) } }
        let allocator = ByteBufferAllocator()
        // With --pace asap nothing waits between messages, so their frames are gathered into one
        // buffer and written (and flushed: one syscall, one async hand-off) per batch instead of per
        // frame; other pacings write each message when its time comes.
        var isAsap = false
        if case .asap = playback.pacing { isAsap = true }
        var batch = allocator.buffer(capacity: 0)
        var batched = 0
        // Reactive pacing with recorded follow-up offsets: the peer message the current messages
        // followed, and when the live peer reached it.
        var anchor: (needed: Int, at: Date)?
        for (index, step) in steps.enumerated() {
            switch playback.pacing {
            case .asap:
                break
            case .reactive:
                let needed = step.peerMessagesBefore
                if needed == 0, playback.paceOpeningAsRecorded {
                    let offset = schedule.offset(forRecorded: step.message.time)
                    try await ConversationClock.sleep(seconds: offset - Date().timeIntervalSince(start))
                }
                // The peer reached the recorded message this one followed (or went past it).
                let arrived = await inbox.wait(timeout: playback.answerTimeout) { $0.position >= needed }
                if !arrived, !(await inbox.ended) {
                    report.notes.append("\(role.name) message \(index): waited \(playback.answerTimeout) s (--answer-timeout) for \(role.peerName) message \(needed) and sent anyway")
                }
                if needed > 0, playback.paceOpeningAsRecorded, needed <= script.expected.count {
                    // The first message after a newly reached peer message anchors the clock.
                    if anchor?.needed != needed { anchor = (needed, Date()) }
                    let recordedGap = (step.message.time - script.expected[needed - 1].time) / playback.speed
                    let wait = min(max(recordedGap, 0), playback.maxRecordedGap) - Date().timeIntervalSince(anchor?.at ?? Date())
                    try await ConversationClock.sleep(seconds: wait)
                }
            case .recorded:
                let offset = schedule.offset(forRecorded: step.message.time)
                try await ConversationClock.sleep(seconds: offset - Date().timeIntervalSince(start))
            }
            if batched == 0, await inbox.ended {
                report.notes.append("the \(role.peerName) closed the connection before \(role.name) message \(index); \(steps.count - index) not sent")
                break
            }
            let frames = try encoder.frames(for: step.message)
            for frame in frames {
                FrameEncoder.encode(frame, masked: encoder.masksFrames, into: &batch)
            }
            transcript?.record(sent: step.message, from: role, frames: frames)
            batched += 1
            if !isAsap || batched >= Self.maxBatchMessages || batch.readableBytes >= Self.maxBatchBytes {
                try await write(batch)
                report.sent += batched
                batched = 0
                batch = allocator.buffer(capacity: Self.maxBatchBytes)
            }
        }
        if batched > 0 {
            try await write(batch)
            report.sent += batched
        }
        // Collect the remaining answers, then give the peer a moment to close or send more.
        let expectedCount = script.expected.count
        let answered = await inbox.wait(timeout: playback.answerTimeout) { $0.paired >= expectedCount }
        if !answered, !(await inbox.ended) {
            report.notes.append("waited \(playback.answerTimeout) s (--answer-timeout) for the last answers")
        }
        // A server closes the TCP connection once both close frames are exchanged (RFC 6455 §7.1.1);
        // a client waits for the server to do so.
        let closesFirst = role == .server
        _ = await inbox.wait(timeout: playback.closeTimeout) { $0.ended || (closesFirst && $0.receivedClose) }
    }

    /// Copies what the inbox learnt into the report once the connection is over: the comparison of
    /// every answer, the peer's protocol anomalies and how reading ended.
    static func conclude(_ report: inout ConnectionReport, from inbox: ConversationInbox) async {
        let tally = await inbox.finishedTally()
        report.answers = tally.listed
        report.answerCounts = tally.counts
        if let note = tally.note { report.notes.append(note) }
        let role = inbox.role
        for anomaly in await inbox.anomalies { report.notes.append("\(role.peerName): \(anomaly)") }
        let unlisted = await inbox.unlistedAnomalies
        if unlisted > 0 { report.notes.append("\(role.peerName): \(unlisted) more protocol anomalies") }
        if let error = await inbox.readError { report.notes.append("reading ended with an error: \(error)") }
    }
}
