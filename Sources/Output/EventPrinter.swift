import WebSocketProtocol
import WebSocketInspection

/// The output formats of `read` and `sniff`.
public enum OutputFormat: String, Sendable, CaseIterable {
    case text
    case jsonl
}

/// Sends each event to the chosen formatter and the writer: the one sink `read` and `sniff` share.
public final class EventPrinter {
    private let format: OutputFormat
    private let writer: OutputStreamWriter
    private var json = JSONLinesFormatter()
    private let text: TextFormatter
    public private(set) var eventCount = 0

    public init(format: OutputFormat, writer: OutputStreamWriter, text: TextFormatter = TextFormatter()) {
        self.format = format
        self.writer = writer
        self.text = text
    }

    public func print(_ event: InspectorEvent) {
        eventCount += 1
        switch format {
        case .jsonl:
            writer.withBuffer { json.format(event, into: &$0) }
        case .text:
            writer.append(text.format(event))
            writer.append("\n")
        }
        writer.endRecord()
    }

    /// A live capture's `stats` event: JSON Lines only (the text format reports on standard error).
    public func print(_ report: LiveCaptureReport) {
        guard format == .jsonl else { return }
        writer.withBuffer { report.appendJSON(to: &$0) }
        writer.endRecord()
    }

    public func flush() { writer.flush() }
}
