import ArgumentParser
import Foundation
import Sessions
import Output

/// What `export` can write.
enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    /// HAR 1.2 with Chrome DevTools' WebSocket fields.
    case har
    /// The wstap session file that `wstap replay` reads (format documented in docs/formats.md).
    case session
}

/// `wstap export FILE --format har|session -o OUT`: move a capture into the tools people already use,
/// or into a session file for `wstap replay`.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export the WebSocket connections of a capture to HAR or to a replayable session file.",
        discussion: """
            Examples:
              wstap export capture.pcap --format har -o capture.har
              wstap export capture.pcap --format har --redact -o shareable.har
              wstap export capture.pcap --format har | jq '.log.entries[]._webSocketMessages | length'
              wstap export bug.pcap --format session -o bug.session.json
              wstap replay bug.session.json --target ws://127.0.0.1:8080

            har: one entry per WebSocket connection with the handshake request and response, and its text and binary messages in `_webSocketMessages` (Chrome DevTools' format: open it with Network → Import HAR). Ping, pong and close frames are not listed, as in Chrome's exports. --redact replaces the values of Cookie, Authorization, Proxy-Authorization and Set-Cookie headers, and of the cookies arrays, with "[redacted]" (message payloads are not changed).

            session: every connection with its handshake heads and every message (direction, opcode, time, payload, fragment lengths, compression), for `wstap replay`.

            Exit status: 0 when the file was exported, 1 when it could not be read or written, 64 for a usage error.
            """
    )

    @Argument(help: "A pcap or pcapng file, or - for standard input.")
    var file: String

    @Option(name: .long, help: "Output format: har or session.")
    var format: ExportFormat = .har

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Where to write (default: standard output).", valueName: "PATH"))
    var output: String?

    @Flag(name: .long, help: "har: replace credentials (Cookie, Authorization, Set-Cookie) with \"[redacted]\".")
    var redact = false

    @OptionGroup var options: DecodingOptions

    func run() throws {
        let data: Data
        switch format {
        case .har:
            data = try exportHAR()
        case .session:
            data = try sessionFile()
        }
        try write(data)
    }

    private func exportHAR() throws -> Data {
        let recorder = SessionRecorder(keepsMessages: true)
        try CaptureFileReader.inspect(file, options: options, emit: recorder.record)
        recorder.finish()
        do {
            return try HARWriter(redact: redact).encode(recorder.connections)
        } catch {
            throw Diagnostics.fail("cannot encode the HAR: \(error)")
        }
    }

    private func sessionFile() throws -> Data {
        let recorder = SessionRecorder(keepsMessages: true)
        try CaptureFileReader.inspect(file, options: options, emit: recorder.record)
        return try SessionFile(recorder: recorder).encoded()
    }

    private func write(_ data: Data) throws {
        guard let output, output != "-" else {
            let writer = OutputStreamWriter()
            writer.append(data)
            writer.append("\n")
            writer.flush()
            return
        }
        do {
            try data.write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            throw Diagnostics.fail("cannot write '\(output)': \(error.localizedDescription)")
        }
    }
}
