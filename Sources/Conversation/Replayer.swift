import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Sessions
import Output

/// Replays the connections of a recording against one target and gathers their reports.
public struct Replayer: Sendable {
    public let configuration: ReplayConfiguration

    public init(configuration: ReplayConfiguration) {
        self.configuration = configuration
    }

    /// Replays `connections` (at most `configuration.concurrency` at once) and returns one report
    /// per connection, in recording order. With concurrency above 1, each connection starts at its
    /// recorded offset from the first one (divided by speed), so overlapping sessions overlap again.
    public func run(_ connections: [SessionConnection]) async throws(ReplayFailure) -> [ConnectionReport] {
        // The command line checks these already; a library caller gets the same refusal.
        for (name, value) in configuration.headers where !HTTPFieldSyntax.isToken(name) || !HTTPFieldSyntax.isSafeValue(value) {
            throw .unreplayable("header \(HTTPFieldSyntax.shown(name)) is not a token with a value free of CR, LF and NUL")
        }
        var sslContext: NIOSSLContext?
        if configuration.target.secure {
            var tls = TLSConfiguration.makeClientConfiguration()
            if configuration.insecure { tls.certificateVerification = .none }
            do {
                sslContext = try NIOSSLContext(configuration: tls)
            } catch {
                throw .connect("TLS setup failed: \(error)")
            }
        }
        let group = MultiThreadedEventLoopGroup.singleton
        let ordered = connections.enumerated().sorted { $0.element.start < $1.element.start }
        let firstStart = ordered.first?.element.start ?? 0
        let limit = max(configuration.concurrency, 1)
        let configuration = self.configuration
        let context = sslContext
        var reports: [Int: ConnectionReport] = [:]
        let started = Date()
        // Start offsets are recorded gaps too: cut like the gaps between messages.
        var schedule = RecordedSchedule(start: firstStart, speed: configuration.speed, maxGap: configuration.maxRecordedGap)
        await withTaskGroup(of: (Int, ConnectionReport).self) { tasks in
            var running = 0
            for (position, connection) in ordered {
                if running >= limit, let (index, report) = await tasks.next() {
                    reports[index] = report
                    running -= 1
                }
                if limit > 1 {
                    let offset = schedule.offset(forRecorded: connection.start)
                    try? await ConversationClock.sleep(seconds: offset - Date().timeIntervalSince(started))
                }
                running += 1
                tasks.addTask {
                    let replayer = ConnectionReplayer(connection: connection, configuration: configuration, sslContext: context, group: group)
                    return (position, await replayer.run())
                }
            }
            for await (index, report) in tasks { reports[index] = report }
        }
        if let note = schedule.note, let first = ordered.first?.offset {
            reports[first]?.notes.append("connection starts: " + note)
        }
        return connections.indices.compactMap { reports[$0] }
    }
}
