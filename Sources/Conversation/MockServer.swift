import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Sessions

/// `wstap serve`'s listener: accepts clients on one address and plays each the server side of the
/// recorded connection its request matches (`ServedClient`), many at once, each in its own task
/// with its own conversation state, until `maxClients` have been served, every recorded connection
/// was played (without `loop`) or `ServeControl.stop()`.
public struct MockServer: Sendable {
    public let configuration: ServeConfiguration
    public let connections: [SessionConnection]
    /// `--record`: the live conversations are kept here (nil: not recorded).
    public let recording: ServeRecording?

    /// What happens while serving, in the order it happens (reports as each client finishes).
    public enum Event: Sendable {
        case listening(url: String)
        case served(ConnectionReport)
        case refused(client: String, status: Int?, reason: String)
    }

    /// Serving could not start (exit status 2).
    public struct StartFailure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// How serving went: clients played (their reports) and clients refused.
    public struct Outcome: Sendable {
        public var reports: [ConnectionReport] = []
        public var refused = 0
        /// Every client matched a recorded connection and reproduced it.
        public var allMatched: Bool { refused == 0 && reports.allSatisfy(\.allMatched) }
    }

    public init(configuration: ServeConfiguration, connections: [SessionConnection], recording: ServeRecording? = nil) {
        self.configuration = configuration
        self.connections = connections
        self.recording = recording
    }

    public func run(control: ServeControl, onEvent: @escaping @Sendable (Event) -> Void) async throws(StartFailure) -> Outcome {
        let configuration = self.configuration
        let recording = self.recording
        let asyncConfiguration = NIOAsyncChannel<ByteBuffer, ByteBuffer>.Configuration(
            backPressureStrategy: .init(lowWatermark: ServeConfiguration.maxBufferedReads / 4, highWatermark: ServeConfiguration.maxBufferedReads))
        let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        let tlsContext = try configuration.tls?.makeContext()
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(ChannelOptions.backlog, value: 256)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(
                    ChannelOptions.recvAllocator,
                    value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: ServeConfiguration.maxReadBytes))
                .bind(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tlsContext {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext))
                        }
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel, configuration: asyncConfiguration)
                    }
                }
        } catch {
            throw StartFailure(description: "cannot listen on \(Self.hostPort(configuration.host, configuration.port)): \(ConnectionReplayer.describe(error))")
        }
        let port = server.channel.localAddress?.port ?? configuration.port
        await control.attach(server: server.channel)
        onEvent(.listening(url: "\(tlsContext == nil ? "ws" : "wss")://\(Self.hostPort(configuration.host, port))"))
        let matcher = RecordedConnectionMatcher(connections: connections, loop: configuration.loop)
        var outcome = Outcome()
        let limit = max(configuration.maxConcurrentClients, 1)
        do {
            try await server.executeThenClose { inbound in
                try await withThrowingTaskGroup(of: ServedClient.Outcome.self) { tasks in
                    var accepted = 0
                    var running = 0
                    func collect(_ result: ServedClient.Outcome) {
                        running -= 1
                        if case .played(let report) = result { outcome.reports.append(report) } else { outcome.refused += 1 }
                    }
                    // The listening socket closed under the loop (SIGINT) ends accepting, not the
                    // clients already being served: they are still collected below.
                    do {
                    for try await client in inbound {
                        if running >= limit, let result = try await tasks.next() { collect(result) }
                        accepted += 1
                        running += 1
                        guard await control.admit(client.channel) else {
                            client.channel.close(promise: nil)
                            running -= 1
                            break
                        }
                        tasks.addTask {
                            let result = await ServedClient(channel: client, configuration: configuration, matcher: matcher, recording: recording).run()
                            await control.release(client.channel)
                            // Without --loop, serving ends once every recorded connection was played:
                            // no new clients; those still being served finish.
                            if await matcher.allPlayed { await control.stopAccepting() }
                            switch result {
                            case .played(let report): onEvent(.served(report))
                            case .refused(let client, let status, let reason): onEvent(.refused(client: client, status: status, reason: reason))
                            }
                            return result
                        }
                        if let maximum = configuration.maxClients, accepted >= maximum { break }
                    }
                    } catch {}
                    server.channel.close(promise: nil)
                    while let result = try await tasks.next() { collect(result) }
                }
            }
        } catch {
            // Accepting ended with an error (the listening socket was closed under it): the clients
            // already served are still reported.
        }
        return outcome
    }

    static func hostPort(_ host: String, _ port: Int) -> String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Stops a running `MockServer` from outside (SIGINT): no more clients are accepted and the
/// connections of those being served are closed, so their reports end at once.
public actor ServeControl {
    private var server: (any Channel)?
    private var clients: [ObjectIdentifier: any Channel] = [:]
    private var stopped = false

    public init() {}

    func attach(server: any Channel) {
        self.server = server
        if stopped { server.close(promise: nil) }
    }

    /// Registers a client; false once stopped.
    func admit(_ channel: any Channel) -> Bool {
        guard !stopped else { return false }
        clients[ObjectIdentifier(channel)] = channel
        return true
    }

    func release(_ channel: any Channel) {
        clients[ObjectIdentifier(channel)] = nil
    }

    /// Closes the listening socket only: clients being served go on to their end.
    func stopAccepting() {
        server?.close(promise: nil)
    }

    public func stop() {
        guard !stopped else { return }
        stopped = true
        server?.close(promise: nil)
        for client in clients.values { client.close(promise: nil) }
    }
}
