import ArgumentParser
import Inspector
import PacketCapture
import SessionFormats
import WebSocketInspection

/// The decoding options `read` and `sniff` share.
struct InspectionOptions: ParsableArguments {
    @Option(name: .long, help: "A BPF filter in tcpdump syntax, applied before decoding.")
    var filter: String?

    @Option(name: .long, help: "Output format: text (for people) or jsonl (one JSON object per event).")
    var format: OutputFormat = .text

    @Option(name: .long, help: "Largest message payload kept, in bytes (after decompression); longer messages are reported truncated.")
    var maxMessageBytes: Int = InspectionConfiguration().maxMessageBytes

    @Flag(name: .long, help: "Do not look for WebSocket frames in connections whose handshake was not captured.")
    var noMidstream = false

    func validate() throws {
        guard maxMessageBytes > 0 else { throw ValidationError("--max-message-bytes must be positive") }
    }

    var configuration: InspectorConfiguration {
        var configuration = InspectorConfiguration()
        configuration.inspection.maxMessageBytes = maxMessageBytes
        configuration.inspection.detectMidstream = !noMidstream
        return configuration
    }

    func applyFilter(to source: PacketSource) throws {
        guard let filter else { return }
        do {
            try source.setFilter(filter)
        } catch {
            throw Diagnostics.fail(error.description)
        }
    }

    func warnAboutStatistics(_ statistics: InspectorStatistics, snapshotLength: Int) {
        if statistics.cutBySnapshotLength > 0 {
            Diagnostics.warning("\(statistics.cutBySnapshotLength) packets were cut by the capture's snapshot length (\(snapshotLength) bytes): \(statistics.bytesCutBySnapshotLength) payload bytes are missing and reported as gaps")
        }
        if statistics.fragments > 0 {
            Diagnostics.warning("\(statistics.fragments) IP fragments were skipped (IP reassembly is not supported)")
        }
        if statistics.malformed > 0 {
            Diagnostics.warning("\(statistics.malformed) packets could not be decoded (first: \(statistics.firstMalformedReason ?? "?"))")
        }
    }
}
