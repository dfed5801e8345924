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
    private var renderer: EventRenderer
    public private(set) var eventCount = 0

    public init(format: OutputFormat, writer: OutputStreamWriter, text: TextFormatter = TextFormatter()) {
        self.format = format
        self.writer = writer
        self.renderer = EventRenderer(format: format, text: text)
    }

    public func print(_ event: InspectorEvent) {
        eventCount += 1
        writer.withBuffer { renderer.render(event, into: &$0) }
        writer.endRecord()
    }

    /// Prints an event another thread rendered (`EventRenderer`) already.
    public func print(rendered bytes: ArraySlice<UInt8>) {
        eventCount += 1
        bytes.withUnsafeBytes { writer.append($0) }
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
