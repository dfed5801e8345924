import Inspector
import Output
import WebSocketInspection

/// What `read` and `sniff` print, as an `EventRendering`: the filter (`--conn`, `--grep`, `--from`,
/// `--event`…) and the formatter run on the threads that decode, so that with `--threads N` the
/// one thread that writes only copies finished lines out in capture order.
enum PrintedEvents {
    /// `filtering` makes each thread a filter of its own: a compiled `Regex` is not `Sendable`.
    static func rendering(format: OutputFormat, text: TextFormatter, filtering: MessageFilterOptions) -> EventRendering {
        .bytes {
            var renderer = EventRenderer(format: format, text: text)
            let filter = filtering.filter
            return { event, output in
                if filter.isEmpty || filter.accepts(event) { renderer.render(event, into: &output) }
            }
        }
    }
}
