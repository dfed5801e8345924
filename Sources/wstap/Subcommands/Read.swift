import ArgumentParser
import Inspector
import PacketCapture
import SessionFormats
import WebSocketInspection

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

            Exit status: 0 when the file was read (warnings such as a file cut mid-record do not change
            it), 1 when it could not be read at all, 64 for a usage error.
            """
    )

    @Argument(help: "A pcap or pcapng file, or - for standard input.")
    var file: String

    @OptionGroup var options: InspectionOptions

    func run() throws {
        let source: PacketSource
        do {
            source = try PacketSource.openFile(file)
        } catch {
            throw Diagnostics.fail(error.description)
        }
        try options.applyFilter(to: source)
        let printer = EventPrinter(format: options.format, writer: OutputStreamWriter())
        guard let inspector = CaptureInspector(linkType: source.linkType, configuration: options.configuration, emit: printer.print) else {
            throw Diagnostics.fail("'\(file)': unsupported link type \(source.linkType)")
        }
        let ending = CaptureLoop().run(source, into: inspector)
        inspector.finish()
        printer.flush()
        options.warnAboutStatistics(inspector.statistics, snapshotLength: source.snapshotLength)
        switch ending {
        case .endOfCapture, .stopped:
            break
        case .failed(.truncatedFile(let message)):
            Diagnostics.warning("'\(file)' ends in the middle of a packet record (\(message)); everything before it was decoded")
        case .failed(let error):
            if inspector.statistics.packets == 0 { throw Diagnostics.fail(error.description) }
            Diagnostics.warning("stopped reading '\(file)' after \(inspector.statistics.packets) packets: \(error.description)")
        }
    }
}
