import Foundation
import NIOCore
import Sessions
import WebSocketInspection
import WebSocketProtocol

/// The server role's transport for one accepted client: reads its upgrade request from raw bytes
/// (`ClientRequestCheck`), matches it to a recorded connection (`RecordedConnectionMatcher`),
/// answers 101 (or 400/404 and closes), and hands the upgraded connection to the
/// `ConversationEngine` playing the server side of that recording. Everything after the upgrade —
/// pacing, framing, compression, comparison — is the engine's, as for replay.
///
/// A client is cut off, with one line in its report, when it breaks the protocol (any anomaly the
/// decoder finds in its frames: RFC 6455 requires a server to fail such a connection), announces a
/// message over `maxMessageBytes`, sends no complete request within `handshakeTimeout`, or does
/// not read for `maxWriteStallSeconds`. Other clients run in their own tasks and are not affected.
struct ServedClient: Sendable {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    let configuration: ServeConfiguration
    let matcher: RecordedConnectionMatcher
    /// `--record`: where this client's live conversation is kept (nil: not recording).
    let recording: ServeRecording?

    enum Outcome: Sendable {
        case played(ConnectionReport)
        /// The handshake was refused (or never completed): the client and the one-line reason.
        case refused(client: String, status: Int?, reason: String)
    }

    struct WriteStalled: Error {}

    /// How long a cut-off client's further bytes are read and dropped before the connection is
    /// closed (1 s): long enough for the close frame to reach a client still sending, short
    /// enough that a client which never stops cannot hold its slot.
    static let cutOffLingerSeconds: Double = 1

    var peer: String {
        guard let address = channel.channel.remoteAddress, let ip = address.ipAddress, let port = address.port else { return "?" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    func run() async -> Outcome {
        let peer = self.peer
        do {
            return try await channel.executeThenClose { inbound, outbound in
                var iterator = inbound.makeAsyncIterator()
                let raw = channel.channel
                let timeout = configuration.handshakeTimeout
                let watchdog = Task {
                    try await ConversationClock.sleep(seconds: timeout)
                    raw.close(promise: nil)
                }
                var received: [UInt8] = []
                var step = ClientRequestCheck.Step.needMoreData
                while case .needMoreData = step, let buffer = try await iterator.next() {
                    received.append(contentsOf: buffer.readableBytesView)
                    step = ClientRequestCheck.check(received)
                }
                watchdog.cancel()
                switch step {
                case .needMoreData:
                    return .refused(client: peer, status: nil, reason: "sent no complete upgrade request within \(timeout) s (--handshake-timeout), \(received.count) bytes")
                case .refused(let status, let reason):
                    try? await outbound.write(ByteBuffer(bytes: ClientRequestCheck.refusal(status: status, reason: reason)))
                    return .refused(client: peer, status: status, reason: reason)
                case .request(let head, let key, let consumed):
                    let subprotocols = ClientRequestCheck.requestedSubprotocols(head)
                    switch await matcher.match(target: head.target, subprotocols: subprotocols) {
                    case .noMatch(let reason):
                        try? await outbound.write(ByteBuffer(bytes: ClientRequestCheck.refusal(status: 404, reason: reason)))
                        return .refused(client: peer, status: 404, reason: reason)
                    case .connection(let connection):
                        let rest = Array(received[consumed...])
                        received = []
                        return try await converse(
                            connection, head: head, key: key, rest: rest, peer: peer, iterator: &iterator, outbound: outbound)
                    }
                }
            }
        } catch {
            return .refused(client: peer, status: nil, reason: "the connection failed during the handshake: \(ConnectionReplayer.describe(error))")
        }
    }

    /// Plays `connection` to the client once its request matched.
    private func converse(
        _ connection: SessionConnection, head: HTTPRequestHead, key: String, rest: [UInt8], peer: String,
        iterator: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async throws -> Outcome {
        let started = Date()
        var report = ConnectionReport(
            id: connection.id, recordedClient: connection.client, recordedServer: connection.server,
            path: head.target, recordedSubprotocol: connection.subprotocol)
        report.role = .server
        report.peer = peer
        let script: ConversationScript
        do {
            script = try ConversationScript(connection: connection, role: .server, maxMessageBytes: configuration.playback.maxMessageBytes)
        } catch {
            let reason = "recorded connection \(connection.id) cannot be served: \(error.description)"
            try? await outbound.write(ByteBuffer(bytes: ClientRequestCheck.refusal(status: 500, reason: reason)))
            return .refused(client: peer, status: 500, reason: reason)
        }
        let accepted = ClientRequestCheck.accept(head, key: key, as: connection)
        report.notes = script.notes + accepted.notes
        report.recordedClientMessages = script.steps.count
        report.statusLine = accepted.upgrade.statusLine
        report.subprotocol = accepted.upgrade.subprotocol
        report.extensions = accepted.upgrade.extensions
        try await outbound.write(ByteBuffer(bytes: accepted.bytes))

        var playback = configuration.playback
        playback.paceOpeningAsRecorded = true
        let engine = ConversationEngine(script: script, playback: playback)
        let inbox = engine.makeInbox(upgraded: accepted.upgrade)
        let local = channel.channel.localAddress
        let transcript = recording?.open(
            client: peer, server: local.flatMap { address in address.ipAddress.map { MockServer.hostPort($0, address.port ?? 0) } } ?? "?",
            request: head, response: accepted.bytes, upgrade: accepted.upgrade)
        if let transcript { await inbox.record(into: transcript) }
        let raw = channel.channel
        let stall = configuration.maxWriteStallSeconds
        let write: @Sendable (ByteBuffer) async throws -> Void = { buffer in
            let watchdog = Task { () -> Bool in
                do { try await ConversationClock.sleep(seconds: stall) } catch { return false }
                raw.close(promise: nil)
                return true
            }
            do {
                try await outbound.write(buffer)
                watchdog.cancel()
            } catch {
                watchdog.cancel()
                if await watchdog.value { throw WriteStalled() }
                throw error
            }
        }
        let opening = report
        let cutting = CutOffFlag()
        var cutOff: String?
        report = try await withThrowingTaskGroup(of: ConnectionReport.self) { tasks in
            tasks.addTask {
                var report = opening
                do {
                    try await engine.play(
                        compression: accepted.upgrade.compression, inbox: inbox, report: &report, transcript: transcript, write: write)
                } catch is WriteStalled {
                    report.failure = .cutOff("the client did not read for \(stall) s (--max-write-stall)")
                } catch {
                    if !(await inbox.ended) { report.notes.append("sending ended: \(ConnectionReplayer.describe(error))") }
                }
                // A cut-off closes the connection itself, after its close frame and linger.
                if !(await cutting.isSet) { raw.close(promise: nil) }
                return report
            }
            var watch = ClientFrameWatch(maxMessageBytes: configuration.playback.maxMessageBytes)
            do {
                var next: [UInt8]? = rest
                while let bytes = next {
                    if !bytes.isEmpty {
                        if let reason = watch.check(bytes[...]) {
                            cutOff = reason
                            break
                        }
                        await inbox.receive(bytes)
                        if let first = await inbox.firstAnomalyByKind.min(by: { $0.key < $1.key }) {
                            cutOff = "\(first.key): \(first.value)"
                            break
                        }
                        // Every ping is answered at once, whether or not the recording holds a pong
                        // for it (a recorded pong is still sent in its place; RFC 6455 allows an
                        // unsolicited pong). Whole frames, so they never split the engine's frames.
                        for payload in await inbox.takePendingPongs() {
                            let pong = FrameEncoder.Frame(fin: true, rsv1: false, opcode: .pong, payload: payload)
                            try? await outbound.write(FrameEncoder.encode(pong, masked: false, allocator: ByteBufferAllocator()))
                        }
                    }
                    next = try await iterator.next().map { Array($0.readableBytesView) }
                }
            } catch {
                await inbox.end(error: ConnectionReplayer.describe(error))
            }
            if cutOff != nil { await cutting.set() }
            await inbox.end(error: nil)
            if let cutOff {
                // 1002 protocol error (1009 for a message too big), then the TCP connection goes —
                // after reading (and dropping) what the client still sends for at most
                // `cutOffLingerSeconds`: closing a socket with unread bytes resets it, and the
                // client would lose the close frame that says why.
                let code: UInt16 = cutOff.contains("--max-message-bytes") ? 1009 : 1002
                try? await outbound.write(ByteBuffer(bytes: [0x88, 0x02, UInt8(code >> 8), UInt8(code & 0xff)]))
                let linger = Task {
                    try await ConversationClock.sleep(seconds: Self.cutOffLingerSeconds)
                    raw.close(promise: nil)
                }
                while (try? await iterator.next()) ?? nil != nil {}
                linger.cancel()
                raw.close(promise: nil)
            }
            var played = try await tasks.next() ?? opening
            if let cutOff, played.failure == nil { played.failure = .cutOff(cutOff) }
            return played
        }
        await ConversationEngine.conclude(&report, from: inbox)
        report.durationSeconds = Date().timeIntervalSince(started)
        return .played(report)
    }
}

/// Set when the reading side cuts a client off, so the sending side leaves the closing to it.
private actor CutOffFlag {
    private(set) var isSet = false
    func set() { isSet = true }
}
