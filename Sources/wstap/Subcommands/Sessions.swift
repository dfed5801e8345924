import ArgumentParser
import Sessions
import Output
import WebSocketInspection
import WebSocketProtocol

/// `wstap sessions FILE`: one row per WebSocket connection, the overview to start from.
struct Sessions: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the WebSocket connections in a capture: endpoints, traffic, round trips, close, anomalies.",
        discussion: """
            Examples:
              wstap sessions big.pcap
              wstap sessions big.pcap --details --conn 17
              wstap sessions big.pcap --format jsonl | jq 'select(.close.browser_code == 1006)'
              wstap sessions big.pcap --format jsonl | jq -s 'sort_by(-.from_server.bytes) | .[0].conn'

            Then look at one connection in full:   wstap read big.pcap --conn 17

            The table shows, per connection: #N (the number read --conn takes), endpoints, path, start time (UTC), duration, messages and bytes each way (after decompression), the average ping→pong round trip, the close code a browser would report (and who closed first), and anomaly counts by kind. --details adds the negotiated subprotocol and extensions, wire bytes and compression, min/avg/max round trips, both close frames, the browser readyState timeline (CONNECTING → OPEN → CLOSING → CLOSED) and where a browser would fire `error`, then the application view of decoded connections (messages by type, top events/topics/methods with bytes and answer latency p50/p95/max, unanswered requests). Upgrades the server refused are listed after the table.

            Exit status: 0 when the file was read, 1 when it could not be read, 64 for a usage error.
            """
    )

    @Argument(help: "A pcap or pcapng file, or - for standard input.")
    var file: String

    @OptionGroup var options: DecodingOptions
    @OptionGroup var output: FormatOption

    @Option(name: .long, help: ArgumentHelp("Show only this connection; repeat for more.", valueName: "N"))
    var conn: [Int] = []

    @Flag(name: .long, help: "Text output: a block of details for each connection after the table.")
    var details = false

    @OptionGroup var terminal: TerminalOptions

    func run() throws {
        // Totals only: memory grows with the number of connections, not with the traffic.
        let recorder = SessionRecorder(keepsMessages: false)
        let selected = Set(conn)
        // The application view (decoded messages by type, top names, latencies), per connection.
        var activities: [Int: ApplicationActivity] = [:]
        try CaptureFileReader.inspect(file, options: options) { event in
            if !selected.isEmpty, let connection = event.connectionNumber, !selected.contains(connection) { return }
            recorder.record(event)
            switch event {
            case .message(let message) where message.annotation != nil: activities[message.connection, default: ApplicationActivity()].record(message)
            case .anomaly(let anomaly):
                if let connection = anomaly.connection, [.unansweredRequests, .undecodableAppMessage].contains(anomaly.kind) {
                    activities[connection, default: ApplicationActivity()].record(anomaly)
                }
            default: break
            }
        }
        recorder.finish()
        let writer = OutputStreamWriter()
        switch output.format {
        case .jsonl:
            let formatter = SessionSummaryFormatter()
            var lines: [(Int, String)] = recorder.connections.map { ($0.info.connection, formatter.json($0, application: activities[$0.info.connection])) }
            lines += recorder.refused.map { ($0.connection, formatter.json($0)) }
            lines += recorder.undecrypted.map { ($0.connection, formatter.json($0)) }
            for (_, line) in lines.sorted(by: { $0.0 < $1.0 }) {
                writer.append(line)
                writer.append("\n")
                writer.endRecord()
            }
        case .text:
            let formatter = SessionSummaryFormatter(style: terminal.style)
            writer.append(formatter.table(recorder.connections, refused: recorder.refused, undecrypted: recorder.undecrypted))
            if details {
                for connection in recorder.connections {
                    writer.append("\n")
                    writer.append(formatter.details(connection))
                    if let activity = activities[connection.info.connection] {
                        for line in formatter.applicationDetails(activity) { writer.append(line + "\n") }
                    }
                }
            }
        }
        writer.flush()
    }
}

extension InspectorEvent {
    /// The connection an event belongs to (nil for global anomalies).
    var connectionNumber: Int? {
        switch self {
        case .open(let info): return info.connection
        case .refused(let refusal): return refusal.connection
        case .message(let message): return message.connection
        case .gap(let connection, _, _, _): return connection
        case .anomaly(let anomaly): return anomaly.connection
        case .close(let close): return close.connection
        case .undecrypted(let connection): return connection.connection
        }
    }
}
