import ArgumentParser
import Inspector
import PacketCapture
import Sessions
import Output
import WebSocketInspection
import WebSocketProtocol

extension OutputFormat: ExpressibleByArgument {}

/// `wstap read FILE`: decode every WebSocket message in a pcap or pcapng file.
struct Read: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode every WebSocket message in a pcap/pcapng file.",
        discussion: """
            Examples:
              wstap read capture.pcap
              wstap read capture.pcapng --format jsonl | jq 'select(.event=="message") | .text'
              tcpdump -w - -i lo port 8080 | wstap read -
              wstap read big.pcap --filter 'tcp port 443 or tcp port 8080'
              wstap read big.pcap --conn 17 --from server --pretty
              wstap read big.pcap --grep '"error"' --format jsonl

            --conn keeps the whole life of the chosen connections; --grep and --from choose among their messages (open, close, gap and anomaly lines of those connections are always kept). --grep matches text messages as UTF-8 text and every other payload as its bytes read as Latin-1 (one character per byte), so '\\x00\\x01' finds bytes in binary frames. Colours appear only on a terminal (--color, NO_COLOR).

            Exit status: 0 when the file was read (warnings such as a file cut mid-record do not change it), 1 when it could not be read at all, 64 for a usage error.
            """
    )

    @Argument(help: "A pcap or pcapng file, or - for standard input.")
    var file: String

    @OptionGroup var options: DecodingOptions
    @OptionGroup var output: FormatOption
    @OptionGroup(title: "Filters") var filtering: MessageFilterOptions
    @OptionGroup var terminal: TerminalOptions

    func run() throws {
        var text = TextFormatter(style: terminal.style, prettyJSON: filtering.pretty)
        if output.format == .jsonl { text.style = .plain }
        let printer = EventPrinter(format: output.format, writer: OutputStreamWriter(), text: text)
        let filter = filtering.filter
        if options.threadCount > 1 {
            // Filtered and formatted on the threads that decode; printed here in capture order.
            let rendering = PrintedEvents.rendering(format: output.format, text: text, filtering: filtering)
            try CaptureFileReader.inspect(file, options: options, rendering: rendering) { printer.print(rendered: $0.bytes) }
        } else {
            try CaptureFileReader.inspect(file, options: options) { event in
                if filter.isEmpty || filter.accepts(event) { printer.print(event) }
            }
        }
        printer.flush()
    }
}
