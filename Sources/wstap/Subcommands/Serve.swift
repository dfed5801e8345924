import ArgumentParser
import Conversation
import Dispatch
import Foundation
import Inspector
import Output
import Sessions
import WebSocketInspection

extension MessageMatch: ExpressibleByArgument {}

/// `wstap serve SOURCE`: a mock WebSocket server that plays the recorded server side of a
/// capture, session file or HAR to live clients and reports where each client's messages differ
/// from the recording. Parsing and wiring only; the server is `Conversation.MockServer`.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the recorded server side of WebSocket sessions to live clients and report what they sent differently.",
        discussion: """
            SOURCE is a pcap/pcapng capture, a session file or a HAR file. Each client is matched to
            a recorded connection by request path and query (then subprotocol), in turn when several
            match; a path that matches nothing is refused with 404 and the recorded paths. Each
            recorded connection is played once and serving then ends; --loop plays them again
            until --max-clients or Ctrl-C.
            Listens on 127.0.0.1 (another address only with --listen); port 0 picks a free port and
            the URL is printed on standard error.

            Examples:
              wstap serve bug.pcap --listen 127.0.0.1:8080
              wstap serve session.json --max-clients 1 --ignore '$.ts' --format jsonl

            Serving ends when every recorded connection was played (without --loop), after
            --max-clients clients, or on Ctrl-C/SIGTERM. Exit status: 0 when every client matched
            its recording, 1 when any diverged (or was refused or cut off), 2 when serving could
            not start (unreadable source, address in use, bad --tls-cert/--tls-key), 64 for a
            usage error.
            """
    )

    @Argument(help: "A pcap/pcapng capture, a wstap session file or a HAR file.")
    var source: String

    @Option(name: .long, help: "Address to listen on, HOST:PORT ([::1]:PORT for IPv6; port 0 picks one).")
    var listen = "127.0.0.1:0"

    @Option(name: .customLong("conn"), help: "Serve only this recorded connection (the number `wstap read` shows); repeatable.")
    var connections: [Int] = []

    @Option(name: .long, help: "When to send the next server message: reactive (after the recorded client messages), recorded (original gaps), asap.")
    var pace: ReplayPacing = .reactive

    @Option(name: .long, help: "Speed factor for recorded gaps (2 = twice as fast).")
    var speed: Double = 1

    @Option(name: .long, help: "A JSONPath ($.ts, $.items[*].id, $..ts) to leave out of JSON comparisons; repeatable.")
    var ignore: [String] = []

    @Option(name: .long, help: "What counts as the same client message: exact (bytes), json (bytes, or the same JSON outside --ignore paths), opcode (message type only).")
    var match: MessageMatch = .json

    @Option(name: .long, help: "Recorded client messages ahead of and behind the next one that a differing client message is also compared with (0: by position only).")
    var maxMatchLookahead = ServeConfiguration.defaultMaxMatchLookahead

    @Option(name: .long, help: "Stop after this many clients (refused ones count).")
    var maxClients: Int?

    @Flag(name: .long, help: "Play recorded connections again to further clients, until --max-clients or Ctrl-C (default: each once, then stop).")
    var loop = false

    @Option(name: .long, help: "Serve wss:// with this PEM certificate (chain); needs --tls-key.")
    var tlsCert: String?

    @Option(name: .long, help: "The PEM private key (unencrypted) of --tls-cert.")
    var tlsKey: String?

    @Option(name: .long, help: "Write the live conversations (what each client sent, what was sent to it) to this session file when serving ends.")
    var record: String?

    @Option(name: .long, help: "Most payload bytes --record keeps over all clients; later messages are counted, not written.")
    var maxRecordBytes = ServeRecording.defaultMaxRecordBytes

    @Option(name: .long, help: "Output format: text or jsonl (one JSON object per comparison).")
    var format: ReplayReportFormatter.Format = .text

    @Option(name: .long, help: "Seconds a client has to send its complete upgrade request.")
    var handshakeTimeout: Double = 5

    @Option(name: .long, help: "Seconds to wait for each recorded client message before sending on.")
    var answerTimeout: Double = 5

    @Option(name: .long, help: "Seconds to wait at the end for the client to close.")
    var closeTimeout: Double = 1

    @Option(name: .long, help: "Seconds a write may wait for a client that does not read before it is cut off.")
    var maxWriteStall: Double = 10

    @Option(name: .long, help: "Clients served at the same time; more wait to be accepted.")
    var maxConcurrentClients = 64

    @Option(name: .long, help: "Longest wait in seconds between two messages with --pace recorded; longer recorded gaps are cut.")
    var maxRecordedGap: Double = ReplayConfiguration.defaultMaxRecordedGapSeconds

    @Option(name: .long, help: "Most payload bytes kept from the recording over the connections served.")
    var maxRecordingBytes: Int = RecordingLoader.defaultMaxRecordingBytes

    @Option(name: .long, help: "Largest message kept, in bytes, from the recording and from a client.")
    var maxMessageBytes: Int = InspectionConfiguration().maxMessageBytes

    @Option(name: .long, help: "A capture SOURCE: a BPF filter in tcpdump syntax, applied before decoding.")
    var filter: String?

    @Option(name: .long, help: KeyLogOption.helpText)
    var keylog: String?

    func validate() throws {
        try PlaybackTimingOptions.validate(speed: speed, durations: [
            ("--handshake-timeout", handshakeTimeout), ("--answer-timeout", answerTimeout), ("--close-timeout", closeTimeout),
            ("--max-write-stall", maxWriteStall), ("--max-recorded-gap", maxRecordedGap),
        ])
        if let maxClients, maxClients < 1 { throw ValidationError("--max-clients must be at least 1") }
        guard maxConcurrentClients >= 1 else { throw ValidationError("--max-concurrent-clients must be at least 1") }
        guard (0...ServeConfiguration.maxMatchLookaheadLimit).contains(maxMatchLookahead) else {
            throw ValidationError("--max-match-lookahead must be between 0 and \(ServeConfiguration.maxMatchLookaheadLimit), not \(maxMatchLookahead)")
        }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if !ignore.isEmpty, match != .json { throw ValidationError("--ignore applies to --match json only") }
        guard maxMessageBytes > 0 else { throw ValidationError("--max-message-bytes must be positive") }
        guard maxRecordBytes > 0 else { throw ValidationError("--max-record-bytes must be positive") }
        guard maxRecordingBytes > 0 else { throw ValidationError("--max-recording-bytes must be positive") }
        _ = try listenAddress()
        try KeyLogOption.validate(flag: keylog)
        try KeyLogOption.requireSecrets(flag: keylog)
    }

    /// `--listen` as host and port: `HOST:PORT`, `[IPv6]:PORT`.
    func listenAddress() throws -> (host: String, port: Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen must be HOST:PORT with a port from 0 to 65535, not '\(listen)'")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("--listen '\(listen)' has no host (127.0.0.1 for this machine only)") }
        return (host, port)
    }

    func run() async throws {
        let (host, port) = try listenAddress()
        var patterns: [JSONPathPattern] = []
        for text in ignore {
            do {
                patterns.append(try JSONPathPattern(text))
            } catch {
                throw ValidationError("--ignore: \(String(describing: error))")
            }
        }
        let selected = try RecordingSource.connections(
            of: source, filter: filter, keylog: keylog, maxMessageBytes: maxMessageBytes, connections: connections,
            maxRecordingBytes: maxRecordingBytes, purpose: "serve")

        var playback = ConversationPlayback(
            pacing: pace, speed: speed, maxRecordedGap: maxRecordedGap, answerTimeout: answerTimeout, closeTimeout: closeTimeout,
            maxMessageBytes: maxMessageBytes, ignore: patterns)
        playback.match = match
        playback.maxMatchLookahead = maxMatchLookahead
        let configuration = ServeConfiguration(
            host: host, port: port, playback: playback, maxClients: maxClients, handshakeTimeout: handshakeTimeout,
            maxWriteStallSeconds: maxWriteStall, maxConcurrentClients: maxConcurrentClients, loop: loop,
            tls: tlsCert.flatMap { certificate in tlsKey.map { ServeTLS(certificatePath: certificate, privateKeyPath: $0) } })
        // --record's file is created now, so a path that cannot be written stops serving before
        // any client is served rather than losing their conversations at the end.
        if let record, !FileManager.default.createFile(atPath: record, contents: nil) {
            Diagnostics.error("--record \(record): cannot create the file")
            throw ExitCode(2)
        }
        let recording = record.map { _ in ServeRecording(maxRecordBytes: maxRecordBytes) }
        let server = MockServer(configuration: configuration, connections: selected, recording: recording)
        let control = ServeControl()
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { Task { await control.stop() } }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        let formatter = ReplayReportFormatter(format: format)
        let printer = ServePrinter()
        let paths = RecordedConnectionMatcher(connections: selected, loop: loop).recordedPaths
        let outcome: MockServer.Outcome
        do {
            outcome = try await server.run(control: control) { event in
                switch event {
                case .listening(let url):
                    let shown = paths.prefix(ServeConfiguration.maxListedPaths).joined(separator: ", ")
                    Diagnostics.note("serving \(selected.count) recorded connection(s) on \(url)" + (shown.isEmpty ? "" : " (paths: \(shown))"))
                case .served(let report):
                    printer.print(formatter.servedLines(for: report))
                    if let failure = report.failure { Diagnostics.error("client \(report.peer ?? "?"): \(failure.description)") }
                case .refused(let client, let status, let reason):
                    printer.print(formatter.refusedLines(client: client, status: status, reason: reason))
                }
            }
        } catch {
            Diagnostics.error(String(describing: error))
            throw ExitCode(2)
        }
        printer.print(formatter.servedSummary(outcome.reports, refused: outcome.refused))
        if let record, let recording {
            let file = recording.sessionFile
            do {
                try file.encoded().write(to: URL(fileURLWithPath: record), options: .atomic)
            } catch {
                Diagnostics.error("--record \(record): \(error.localizedDescription)")
                throw ExitCode(2)
            }
            Diagnostics.note("recorded \(file.connections.count) client conversation(s) to \(record)")
            if let note = recording.note { Diagnostics.warning(note) }
        }
        if !outcome.allMatched { throw ExitCode(1) }
    }
}

/// Writes report lines to standard output whole and in order, from whichever client task finished.
private final class ServePrinter: Sendable {
    private let queue = DispatchQueue(label: "wstap.serve.output")

    func print(_ lines: [String]) {
        queue.sync {
            FileHandle.standardOutput.write(Data(lines.map { $0 + "\n" }.joined().utf8))
        }
    }
}
