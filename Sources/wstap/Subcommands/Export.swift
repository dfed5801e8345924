import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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

            -o writes a regular file atomically (a temporary file beside it, renamed over it when complete: after an error the old file is intact) and keeps its permissions; a symbolic link is followed; FIFOs, devices and /dev/stdout are written directly; - is standard output. Memory stays bounded: each connection is written as its messages arrive, in the order connections opened (later ones wait in memory up to --max-held-bytes, then in a temporary file).

            Exit status: 0 when the file was exported, 1 when it could not be read or written (the error names the cause, e.g. No space left on device), 64 for a usage error. A closed pipe (| head) ends wstap quietly by SIGPIPE (status 141 in a shell), as it does tcpdump and jq.
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

    @Option(name: .long, help: ArgumentHelp("Bytes of later connections held in memory while an earlier one is still open (entries follow the order connections opened); beyond it they wait in a temporary file.", valueName: "N"))
    var maxHeldBytes: Int = ExportConfiguration().maxHeldBytes

    func validate() throws {
        guard maxHeldBytes >= 0 else { throw ValidationError("--max-held-bytes must not be negative") }
    }

    /// Streams the export while the capture is read (see `StreamingExport`): memory stays bounded
    /// by one message and `--max-held-bytes`, whatever the size of the capture.
    func run() throws {
        let destination: OutputDestination
        do {
            destination = try OutputDestination.open(output)
        } catch {
            throw Diagnostics.fail(error.description)
        }
        // A write error ends the program at once (nothing is gained by decoding the rest): the
        // temporary file is removed first, so the target is left as it was.
        let writer = OutputStreamWriter(
            fileDescriptor: destination.fileDescriptor, destinationName: destination.name,
            onFailure: { error in
                destination.abandon()
                OutputWriteFailure.endProcess(error)
            })
        let layout: any ExportLayout = switch format {
        case .har: HARExportLayout(writer: HARWriter(redact: redact))
        case .session: SessionExportLayout()
        }
        let export: StreamingExport
        do {
            export = try StreamingExport(layout: layout, configuration: ExportConfiguration(maxHeldBytes: maxHeldBytes)) { writer.append($0) }
        } catch {
            throw Diagnostics.fail(error.description)
        }
        do {
            // HAR and session files keep the raw messages only: application decoding would be
            // wasted work here, whatever --decode says.
            var options = self.options
            options.decode = ["none"]
            try CaptureFileReader.inspect(file, options: options) { event in
                do throws(ExportError) {
                    try export.record(event)
                } catch {
                    stopExport(error, destination)
                }
            }
            try export.finish()
        } catch let error as ExportError {
            stopExport(error, destination)
        } catch {
            destination.abandon()
            throw error
        }
        // Standard output ends with a newline, as a line of text does; a file holds the document.
        if output == nil || output == "-" { writer.append("\n") }
        writer.flush()
        do {
            try destination.commit()
        } catch {
            throw Diagnostics.fail(error.description)
        }
    }
}

/// The export cannot go on (its temporary spool could not be written): the same ending as a write
/// error, from inside the capture loop.
private func stopExport(_ error: ExportError, _ destination: OutputDestination) -> Never {
    destination.abandon()
    Diagnostics.error(error.description)
    exit(1)
}
