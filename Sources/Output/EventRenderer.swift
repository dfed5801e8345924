import WebSocketInspection

/// Turns one event into the bytes `read` and `sniff` print for it, in either format.
///
/// A value of its own (not tied to a writer) so that each decoding thread of a multi-threaded read
/// can format its connections' events itself: its only state, JSON Lines' endpoints per
/// connection, belongs to one connection.
public struct EventRenderer: Sendable {
    public let format: OutputFormat
    private var json = JSONLinesFormatter()
    private let text: TextFormatter

    public init(format: OutputFormat, text: TextFormatter = TextFormatter()) {
        self.format = format
        self.text = text
    }

    /// Appends the event's line (with its newline) to `output`.
    public mutating func render(_ event: InspectorEvent, into output: inout [UInt8]) {
        switch format {
        case .jsonl:
            json.format(event, into: &output)
        case .text:
            var line = text.format(event)
            line.withUTF8 { output.append(contentsOf: $0) }
            output.append(UInt8(ascii: "\n"))
        }
    }
}
