import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Sessions
import Output
import WebSocketProtocol

/// Replays one recorded connection against the target: handshake, client messages paced as asked,
/// then compares what the server answered with what it answered in the recording.
struct ConnectionReplayer {
    let connection: SessionConnection
    let configuration: ReplayConfiguration
    let sslContext: NIOSSLContext?
    let group: any EventLoopGroup

    /// With `--pace asap`, frames are written in batches of at most this many messages…
    static let maxBatchMessages = 256
    /// …or this many bytes (a larger message goes out alone): 64 KiB, about what one `write`
    /// hands to a loopback socket, small enough that the server sees traffic at once.
    static let maxBatchBytes = 64 << 10

    /// A client message to send and how many server messages preceded it in the recording.
    struct Step {
        var message: ReplayMessage
        var serverMessagesBefore: Int
    }

    func run() async -> ConnectionReport {
        let started = Date()
        var report = ConnectionReport(
            id: connection.id, recordedClient: connection.client, recordedServer: connection.server,
            path: connection.request?.target ?? "/", recordedSubprotocol: connection.subprotocol)
        defer { report.durationSeconds = Date().timeIntervalSince(started) }
        var steps: [Step] = []
        var expected: [ReplayMessage] = []
        for (index, message) in connection.messages.enumerated() {
            let converted: ReplayMessage
            do {
                converted = try ReplayMessage(message)
            } catch {
                if message.direction == .clientToServer {
                    report.failure = .unreplayable("recorded client message \(index) \(error.description)")
                    return report
                }
                // A server message the recording does not hold exactly is still compared by position.
                converted = ReplayMessage(opcode: message.opcodeValue ?? .binary, payload: message.payloadBytes ?? [], time: message.time)
                report.notes.append("recorded server message \(expected.count) \(error.description); its comparison is approximate")
            }
            if message.direction == .clientToServer {
                steps.append(Step(message: converted, serverMessagesBefore: expected.count))
            } else {
                expected.append(converted)
            }
        }
        report.recordedClientMessages = steps.count
        if connection.request == nil {
            report.notes.append("the recording has no handshake (mid-stream capture): replaying to / without recorded headers")
        }
        let request = HandshakeRequest(
            recorded: connection, replayTarget: configuration.target, overrides: configuration.headers, key: HandshakeRequest.randomKey())
        let inbox = ReplayInbox(expectedAccept: request.expectedAccept, maxMessageBytes: configuration.maxMessageBytes)
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await connect()
        } catch {
            report.failure = .connect("\(configuration.target): \(Self.describe(error))")
            return report
        }
        do {
            try await channel.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask {
                        do {
                            for try await buffer in inbound { await inbox.receive(Array(buffer.readableBytesView)) }
                            await inbox.end(error: nil)
                        } catch {
                            await inbox.end(error: Self.describe(error))
                        }
                    }
                    defer { channel.channel.close(promise: nil) }
                    try await converse(request: request, steps: steps, expectedCount: expected.count, inbox: inbox, outbound: outbound, report: &report)
                    channel.channel.close(promise: nil)
                    try await tasks.waitForAll()
                }
            }
        } catch {
            if report.failure == nil { report.failure = .send(Self.describe(error)) }
        }
        if report.failure == nil {
            let received = await inbox.messages
            report.answers = AnswerComparator(ignoring: configuration.ignore).compare(expected: expected, actual: received)
            for anomaly in await inbox.anomalies { report.notes.append("server: \(anomaly)") }
            if let error = await inbox.readError { report.notes.append("reading ended with an error: \(error)") }
        }
        return report
    }

    private func converse(
        request: HandshakeRequest, steps: [Step], expectedCount: Int, inbox: ReplayInbox,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, report: inout ConnectionReport
    ) async throws {
        try await outbound.write(ByteBuffer(bytes: request.bytes))
        _ = await inbox.wait(timeout: configuration.connectTimeout) { $0.handshakeDone }
        let compression: PerMessageDeflateParameters?
        switch await inbox.handshake {
        case .pending:
            report.failure = .handshake("the server did not answer the handshake within \(configuration.connectTimeout) s (--connect-timeout)")
            return
        case .refused(let reason):
            report.failure = .handshake(reason)
            return
        case .upgraded(let head, let negotiated):
            report.statusLine = "\(head.version) \(head.status) \(head.reason)"
            report.subprotocol = head.headers.first("Sec-WebSocket-Protocol")
            report.extensions = head.headers.all("Sec-WebSocket-Extensions")
            compression = negotiated
        }
        if report.subprotocol != connection.subprotocol {
            report.notes.append("subprotocol is \(report.subprotocol ?? "none") now, \(connection.subprotocol ?? "none") in the recording")
        }
        if compression == nil, steps.contains(where: { $0.message.compressed }) {
            report.notes.append("the server did not accept permessage-deflate: recorded compressed messages are sent uncompressed")
        }
        let encoder: FrameEncoder
        do {
            encoder = try FrameEncoder(compression: compression)
        } catch {
            report.failure = .unreplayable("could not set up compression: \(error)")
            return
        }
        let start = Date()
        let allocator = ByteBufferAllocator()
        // With --pace asap nothing waits between messages, so their frames are gathered into one
        // buffer and written (and flushed: one syscall, one async hand-off) per batch instead of per
        // frame; other pacings write each message when its time comes.
        var isAsap = false
        if case .asap = configuration.pacing { isAsap = true }
        var batch = allocator.buffer(capacity: 0)
        var batched = 0
        for (index, step) in steps.enumerated() {
            switch configuration.pacing {
            case .asap:
                break
            case .reactive:
                let needed = step.serverMessagesBefore
                let arrived = await inbox.wait(timeout: configuration.answerTimeout) { $0.messageCount >= needed }
                if !arrived, !(await inbox.ended) {
                    report.notes.append("client message \(index): waited \(configuration.answerTimeout) s (--answer-timeout) for server message \(needed) and sent anyway")
                }
            case .recorded:
                let offset = max(step.message.time - connection.start, 0) / configuration.speed
                let delay = offset - Date().timeIntervalSince(start)
                if delay > 0 { try await Task.sleep(nanoseconds: UInt64(delay * 1e9)) }
            }
            if batched == 0, await inbox.ended {
                report.notes.append("the server closed the connection before client message \(index); \(steps.count - index) not sent")
                break
            }
            for frame in try encoder.frames(for: step.message) {
                FrameEncoder.encode(frame, into: &batch)
            }
            batched += 1
            if !isAsap || batched >= Self.maxBatchMessages || batch.readableBytes >= Self.maxBatchBytes {
                try await outbound.write(batch)
                report.sent += batched
                batched = 0
                batch = allocator.buffer(capacity: Self.maxBatchBytes)
            }
        }
        if batched > 0 {
            try await outbound.write(batch)
            report.sent += batched
        }
        // Collect the remaining answers, then give the server a moment to close or send more.
        let answered = await inbox.wait(timeout: configuration.answerTimeout) { $0.messageCount >= expectedCount }
        if !answered, !(await inbox.ended) {
            report.notes.append("waited \(configuration.answerTimeout) s (--answer-timeout) for the last answers")
        }
        _ = await inbox.wait(timeout: configuration.closeTimeout) { $0.ended }
    }

    private func connect() async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        let sslContext = self.sslContext
        let serverHostname = configuration.target.hostIsIPAddress ? nil : configuration.target.host
        let timeout = TimeAmount.nanoseconds(Int64(configuration.connectTimeout * 1e9))
        return try await ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connect(host: configuration.target.host, port: configuration.target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        let handler = try NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            let reasons = error.connectionErrors.map { describe($0.error) }
            return reasons.isEmpty ? (error.dnsAError.map(describe) ?? "no address to connect to") : Set(reasons).sorted().joined(separator: "; ")
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        if error is ChannelError, case .connectTimeout = error as! ChannelError { return "connect timed out (--connect-timeout)" }
        if let error = error as? NIOSSLError { return "TLS: \(error)" }
        if let error = error as? BoringSSLError { return "TLS: \(error)" }
        return String(describing: error)
    }
}
