import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Sessions
import WebSocketProtocol

/// The client role's transport: connects to the target (TCP, TLS), sends the recorded handshake
/// made valid for a new connection, checks the server's answer, and hands the upgraded connection
/// to the `ConversationEngine` playing the client side of the recording. Everything after the
/// upgrade — pacing, framing, masking, compression, comparison — is the engine's.
struct ConnectionReplayer {
    let connection: SessionConnection
    let configuration: ReplayConfiguration
    let sslContext: NIOSSLContext?
    let group: any EventLoopGroup

    /// Largest read from the socket (64 KiB, NIO's usual maximum)…
    static let maxReadBytes = 64 << 10
    /// …and reads buffered before NIO stops reading from the server (16): together they cap the
    /// server bytes waiting to be decoded at about 1 MiB, however fast the server sends. The inbox
    /// keeps no message once compared, so this plus one message being decoded (`maxMessageBytes`)
    /// is all a flooding server can make replay hold.
    static let maxBufferedReads = 16

    func run() async -> ConnectionReport {
        let started = Date()
        var report = ConnectionReport(
            id: connection.id, recordedClient: connection.client, recordedServer: connection.server,
            path: connection.request?.target ?? "/", recordedSubprotocol: connection.subprotocol)
        defer { report.durationSeconds = Date().timeIntervalSince(started) }
        if let problem = connection.requestProblem {
            // RecordingLoader refuses such a file before replay starts; a caller that builds
            // connections itself gets the same refusal here, before anything is sent.
            report.failure = .unreplayable(problem)
            return report
        }
        let script: ConversationScript
        do {
            script = try ConversationScript(connection: connection, role: .client, maxMessageBytes: configuration.maxMessageBytes)
        } catch {
            report.failure = .unreplayable(error.description)
            return report
        }
        report.notes = script.notes
        report.recordedClientMessages = script.steps.count
        if connection.request == nil {
            report.notes.append("the recording has no handshake (mid-stream capture): replaying to / without recorded headers")
        }
        let engine = ConversationEngine(script: script, playback: configuration.playback)
        let request = HandshakeRequest(
            recorded: connection, replayTarget: configuration.target, overrides: configuration.headers, key: HandshakeRequest.randomKey())
        let inbox = engine.makeInbox(handshake: ServerResponseCheck(expectedAccept: request.expectedAccept))
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
                    try await converse(request: request, engine: engine, inbox: inbox, outbound: outbound, report: &report)
                    channel.channel.close(promise: nil)
                    try await tasks.waitForAll()
                }
            }
        } catch {
            if report.failure == nil { report.failure = .send(Self.describe(error)) }
        }
        if report.failure == nil { await ConversationEngine.conclude(&report, from: inbox) }
        return report
    }

    /// The client side of the opening handshake, then the engine.
    private func converse(
        request: HandshakeRequest, engine: ConversationEngine, inbox: ConversationInbox,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, report: inout ConnectionReport
    ) async throws {
        try await outbound.write(ByteBuffer(bytes: request.bytes))
        _ = await inbox.wait(timeout: configuration.connectTimeout) { $0.handshakeDone }
        let upgrade: NegotiatedUpgrade
        switch await inbox.handshake {
        case .pending:
            report.failure = .handshake("the server did not answer the handshake within \(configuration.connectTimeout) s (--connect-timeout)")
            return
        case .refused(let reason):
            report.failure = .handshake(reason)
            return
        case .upgraded(let negotiated):
            upgrade = negotiated
        }
        report.statusLine = upgrade.statusLine
        report.subprotocol = upgrade.subprotocol
        report.extensions = upgrade.extensions
        if report.subprotocol != connection.subprotocol {
            report.notes.append("subprotocol is \(report.subprotocol ?? "none") now, \(connection.subprotocol ?? "none") in the recording")
        }
        try await engine.play(compression: upgrade.compression, inbox: inbox, report: &report) { try await outbound.write($0) }
    }

    private func connect() async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        let sslContext = self.sslContext
        let serverHostname = configuration.target.hostIsIPAddress ? nil : configuration.target.host
        let asyncConfiguration = NIOAsyncChannel<ByteBuffer, ByteBuffer>.Configuration(
            backPressureStrategy: .init(lowWatermark: Self.maxBufferedReads / 4, highWatermark: Self.maxBufferedReads))
        return try await ClientBootstrap(group: group)
            .connectTimeout(ConversationClock.timeAmount(configuration.connectTimeout))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelOption(ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: Self.maxReadBytes))
            .connect(host: configuration.target.host, port: configuration.target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        let handler = try NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel, configuration: asyncConfiguration)
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
