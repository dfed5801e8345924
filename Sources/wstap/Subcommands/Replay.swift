import ArgumentParser
import Inspector
import Conversation
import Sessions
import Output
import WebSocketInspection

extension ReplayPacing: ExpressibleByArgument {}
extension ReplayReportFormatter.Format: ExpressibleByArgument {}

/// `wstap replay SOURCE --target URL`: send recorded sessions to a live server again and report
/// where its answers differ from the recording.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-send recorded WebSocket sessions to a live server and report what changed.",
        discussion: """
            SOURCE is a pcap/pcapng file (every WebSocket connection in it, or those picked with --conn)
            or a session file written by `wstap export FILE --format session -o S.json`.
            Replay connects only to --target, never to the address in the recording.

            Examples:
              wstap replay bug.pcap --target ws://127.0.0.1:8080
              wstap replay session.json --target wss://staging:8443 --insecure --ignore '$.ts' --ignore '$..id'
              wstap replay bug.pcap --target ws://localhost:8080 --conn 3 --pace recorded --speed 2 --format jsonl

            Exit status: 0 when every answer matched, 1 when any differed (or was missing or extra),
            2 when replay could not run (unreadable source, refused connection, rejected handshake)
            or its report could not be written (a full disk: the cause is printed),
            64 for a usage error.
            """
    )

    @Argument(help: "A pcap/pcapng capture or a wstap session file.")
    var source: String

    @Option(name: .long, help: "The server to replay to: ws://HOST:PORT or wss://HOST:PORT.")
    var target: String

    @Option(name: .customLong("conn"), help: "Replay only this connection (the number `wstap read` shows); repeatable.")
    var connections: [Int] = []

    @Option(name: .long, help: "When to send the next client message: reactive (after the recorded number of answers), recorded (original gaps), asap.")
    var pace: ReplayPacing = .reactive

    @Option(name: .long, help: "Speed factor for recorded gaps and start offsets (2 = twice as fast).")
    var speed: Double = 1

    @Option(name: .long, help: "A request header 'Name: value' to add or override (an empty value removes it); repeatable.")
    var header: [String] = []

    @Option(name: .long, help: "A JSONPath ($.ts, $.items[*].id, $..ts) to leave out of JSON comparisons; repeatable.")
    var ignore: [String] = []

    @Option(name: .long, help: "Connections replayed at once, keeping their relative start times.")
    var concurrency: Int = 1

    @Flag(name: .long, help: "Accept any TLS certificate (self-signed test servers).")
    var insecure = false

    @Option(name: .long, help: "Output format: text or jsonl (one JSON object per comparison).")
    var format: ReplayReportFormatter.Format = .text

    @Option(name: .long, help: "Seconds allowed for connecting, TLS and the WebSocket handshake.")
    var connectTimeout: Double = 5

    @Option(name: .long, help: "Seconds to wait for the server's recorded answers before going on.")
    var answerTimeout: Double = 5

    @Option(name: .long, help: "Seconds to wait at the end for the server to close (extra messages are reported).")
    var closeTimeout: Double = 1

    @Option(name: .long, help: "Longest wait in seconds between two messages with --pace recorded, and between connection starts; longer recorded gaps are cut and reported.")
    var maxRecordedGap: Double = ReplayConfiguration.defaultMaxRecordedGapSeconds

    @Option(name: .long, help: "Most payload bytes kept from the recording over the connections replayed (a session or HAR file may be twice this size).")
    var maxRecordingBytes: Int = RecordingLoader.defaultMaxRecordingBytes

    @Option(name: .long, help: "Largest message kept, in bytes, from the recording and from the server.")
    var maxMessageBytes: Int = InspectionConfiguration().maxMessageBytes

    @Option(name: .long, help: "A capture SOURCE: a BPF filter in tcpdump syntax, applied before decoding.")
    var filter: String?

    @Option(name: .long, help: KeyLogOption.helpText)
    var keylog: String?

    func validate() throws {
        try PlaybackTimingOptions.validate(speed: speed, durations: [
            ("--connect-timeout", connectTimeout), ("--answer-timeout", answerTimeout), ("--close-timeout", closeTimeout),
            ("--max-recorded-gap", maxRecordedGap),
        ])
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard maxMessageBytes > 0 else { throw ValidationError("--max-message-bytes must be positive") }
        guard maxRecordingBytes > 0 else { throw ValidationError("--max-recording-bytes must be positive") }
        _ = try parsedHeaders()
        try KeyLogOption.validate(flag: keylog)
        try KeyLogOption.requireSecrets(flag: keylog)
    }

    /// `--header` values as (name, value), refusing what would break the request head: a name that
    /// is not an HTTP token, a value with CR, LF or NUL (it would smuggle headers to the server).
    func parsedHeaders() throws -> [(name: String, value: String)] {
        try header.map { line in
            guard let colon = line.firstIndex(of: ":"), !line[..<colon].trimmingCharacters().isEmpty else {
                throw ValidationError("--header must look like 'Name: value', not \(HTTPFieldSyntax.shown(line))")
            }
            let name = String(line[..<colon]).trimmingCharacters()
            let value = String(line[line.index(after: colon)...]).trimmingCharacters()
            guard HTTPFieldSyntax.isToken(name) else {
                throw ValidationError("--header name \(HTTPFieldSyntax.shown(name)) is not an HTTP token (letters, digits and !#$%&'*+-.^_`|~)")
            }
            guard HTTPFieldSyntax.isSafeValue(value) else {
                throw ValidationError("--header \(HTTPFieldSyntax.shown(name)): the value must not contain CR, LF or NUL")
            }
            return (name, value)
        }
    }

    func run() async throws {
        let replayTarget: ReplayTarget
        let headers = try parsedHeaders()
        var patterns: [JSONPathPattern] = []
        do {
            replayTarget = try ReplayTarget(parsing: target)
            for text in ignore { patterns.append(try JSONPathPattern(text)) }
        } catch let error as ReplayTarget.ParseError {
            throw ValidationError(error.description)
        } catch let error as JSONPathPattern.ParseError {
            throw ValidationError("--ignore: \(error.description)")
        }

        let selected = try RecordingSource.connections(
            of: source, filter: filter, keylog: keylog, maxMessageBytes: maxMessageBytes, connections: connections,
            maxRecordingBytes: maxRecordingBytes, purpose: "replay")

        let configuration = ReplayConfiguration(
            target: replayTarget, pacing: pace, speed: speed, headers: headers, ignore: patterns, concurrency: concurrency,
            insecure: insecure, connectTimeout: connectTimeout, answerTimeout: answerTimeout, closeTimeout: closeTimeout,
            maxMessageBytes: maxMessageBytes, maxRecordedGap: maxRecordedGap)
        let reports: [ConnectionReport]
        do {
            reports = try await Replayer(configuration: configuration).run(selected)
        } catch {
            Diagnostics.error(error.description)
            throw ExitCode(2)
        }
        let formatter = ReplayReportFormatter(format: format)
        // Status 1 means "answers differed": a report that cannot be written is status 2.
        let writer = OutputStreamWriter(onFailure: OutputWriteFailure.endProcess(status: 2))
        for report in reports {
            for line in formatter.lines(for: report, target: replayTarget) { writer.append(line + "\n") }
            if let failure = report.failure { Diagnostics.error("connection \(report.id): \(failure.description)") }
        }
        for line in formatter.summary(reports) { writer.append(line + "\n") }
        writer.flush()
        if reports.contains(where: { $0.failure != nil }) { throw ExitCode(2) }
        if !reports.allSatisfy(\.allMatched) { throw ExitCode(1) }
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
