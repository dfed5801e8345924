import Sessions
import Output

/// Prints replay reports: a readable summary per connection, or one JSON object per comparison.
public struct ReplayReportFormatter: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case text
        case jsonl
    }

    public var format: Format
    /// Differing answers shown per connection in text (default 5); `jsonl` reports every one.
    public var maxShownDifferences: Int
    /// JSON differences shown per answer in text (default 5).
    public var maxShownPaths: Int

    public init(format: Format, maxShownDifferences: Int = 5, maxShownPaths: Int = 5) {
        self.format = format
        self.maxShownDifferences = maxShownDifferences
        self.maxShownPaths = maxShownPaths
    }

    /// The lines for one connection's report (each without its newline).
    public func lines(for report: ConnectionReport, target: ReplayTarget) -> [String] {
        format == .text ? textLines(report, target) : jsonLines(report, target)
    }

    /// The closing summary over all connections.
    public func summary(_ reports: [ConnectionReport]) -> [String] {
        let matched = reports.reduce(0) { $0 + $1.count(.matched) }
        let differing = reports.reduce(0) { $0 + $1.count(.differing) }
        let missing = reports.reduce(0) { $0 + $1.count(.missing) }
        let extra = reports.reduce(0) { $0 + $1.count(.extra) }
        let failed = reports.filter { $0.failure != nil }.count
        let sent = reports.reduce(0) { $0 + $1.sent }
        if format == .text {
            return ["replayed \(reports.count) connection(s): \(sent) messages sent; answers \(matched) matched, \(differing) differing, \(missing) missing, \(extra) extra" + (failed > 0 ? "; \(failed) connection(s) failed" : "")]
        }
        var object = JSONObjectBuilder()
        object.string("event", "summary")
        object.integer("connections", reports.count)
        object.integer("sent", sent)
        object.integer("matched", matched)
        object.integer("differing", differing)
        object.integer("missing", missing)
        object.integer("extra", extra)
        object.integer("failed", failed)
        return [object.text]
    }

    private func textLines(_ report: ConnectionReport, _ target: ReplayTarget) -> [String] {
        var lines = ["connection \(report.id) (recorded \(report.recordedClient) → \(report.recordedServer)) replayed to \(target)\(report.path)"]
        if let failure = report.failure {
            lines.append("  error: \(failure.description)")
            return lines
        }
        var handshake = "  handshake: \(report.statusLine ?? "?")"
        if let subprotocol = report.subprotocol { handshake += "; subprotocol \(subprotocol)" }
        if !report.extensions.isEmpty { handshake += "; extensions \(report.extensions.joined(separator: ", "))" }
        lines.append(handshake)
        lines.append("  sent \(report.sent) of \(report.recordedClientMessages) client messages; answers: \(report.count(.matched)) matched, \(report.count(.differing)) differing, \(report.count(.missing)) missing, \(report.count(.extra)) extra")
        let divergent = report.answers.filter { $0.outcome != .matched }
        for answer in divergent.prefix(maxShownDifferences) {
            switch answer.outcome {
            case .missing:
                lines.append("  answer \(answer.index) missing: recorded \(answer.expectedOpcode?.description ?? "?") \(quote(answer.expectedPreview))")
            case .extra:
                lines.append("  answer \(answer.index) extra: \(answer.actualOpcode?.description ?? "?") \(quote(answer.actualPreview))")
            case .differing:
                lines.append("  answer \(answer.index) differs (\(answer.expectedOpcode?.description ?? "?")):")
                if answer.comparedAsJSON {
                    for difference in answer.jsonDifferences.prefix(maxShownPaths) {
                        lines.append("    \(difference.path): recorded \(difference.expected ?? "(absent)"), now \(difference.actual ?? "(absent)")")
                    }
                    if answer.jsonDifferences.count > maxShownPaths {
                        lines.append("    … \(answer.jsonDifferences.count - maxShownPaths) more")
                    }
                } else {
                    if let detail = answer.detail { lines.append("    \(detail)") }
                    lines.append("    recorded: \(quote(answer.expectedPreview))")
                    lines.append("    now:      \(quote(answer.actualPreview))")
                }
            case .matched:
                break
            }
        }
        let divergentCount = report.count(.differing) + report.count(.missing) + report.count(.extra)
        if divergentCount > maxShownDifferences {
            lines.append("  … \(divergentCount - maxShownDifferences) more divergent answers (--format jsonl lists all)")
        }
        for note in report.notes { lines.append("  note: \(note)") }
        return lines
    }

    /// Quoted with escapes so control characters and trailing spaces stay visible in a terminal.
    private func quote(_ preview: String?) -> String { (preview ?? "").debugDescription }

    private func jsonLines(_ report: ConnectionReport, _ target: ReplayTarget) -> [String] {
        var lines: [String] = []
        var header = JSONObjectBuilder()
        header.string("event", "connection")
        header.integer("connection", report.id)
        header.string("target", target.description)
        header.string("path", report.path)
        header.string("recorded_client", report.recordedClient)
        header.string("recorded_server", report.recordedServer)
        if let failure = report.failure { header.string("error", failure.description) }
        if let status = report.statusLine { header.string("status", status) }
        if let subprotocol = report.subprotocol { header.string("subprotocol", subprotocol) }
        if !report.extensions.isEmpty { header.string("extensions", report.extensions.joined(separator: ", ")) }
        lines.append(header.text)
        for answer in report.answers {
            var object = JSONObjectBuilder()
            object.string("event", "answer")
            object.integer("connection", report.id)
            object.integer("index", answer.index)
            object.string("result", answer.outcome.rawValue)
            if let opcode = answer.expectedOpcode { object.string("recorded_opcode", opcode.description) }
            if let opcode = answer.actualOpcode { object.string("opcode", opcode.description) }
            if let length = answer.expectedLength { object.integer("recorded_length", length) }
            if let length = answer.actualLength { object.integer("length", length) }
            if answer.outcome != .matched {
                if let preview = answer.expectedPreview { object.string("recorded_preview", preview) }
                if let preview = answer.actualPreview { object.string("preview", preview) }
                if let detail = answer.detail { object.string("detail", detail) }
            }
            if answer.comparedAsJSON {
                object.raw("json", "true")
                if !answer.jsonDifferences.isEmpty {
                    let items = answer.jsonDifferences.map { difference in
                        var item = JSONObjectBuilder()
                        item.string("path", difference.path)
                        if let expected = difference.expected { item.raw("recorded", expected) }
                        if let actual = difference.actual { item.raw("now", actual) }
                        return item.text
                    }
                    object.raw("differences", "[" + items.joined(separator: ",") + "]")
                }
            }
            lines.append(object.text)
        }
        var done = JSONObjectBuilder()
        done.string("event", "connection_done")
        done.integer("connection", report.id)
        done.integer("sent", report.sent)
        done.integer("recorded_client_messages", report.recordedClientMessages)
        for outcome in [AnswerOutcome.matched, .differing, .missing, .extra] { done.integer(outcome.rawValue, report.count(outcome)) }
        if !report.notes.isEmpty {
            done.raw("notes", "[" + report.notes.map(JSONValue.quoted).joined(separator: ",") + "]")
        }
        lines.append(done.text)
        return lines
    }
}

/// Builds one JSON object line with keys in insertion order.
struct JSONObjectBuilder {
    private var parts: [String] = []

    mutating func string(_ key: String, _ value: String) { parts.append(JSONValue.quoted(key) + ":" + JSONValue.quoted(value)) }
    mutating func integer(_ key: String, _ value: Int) { parts.append(JSONValue.quoted(key) + ":" + String(value)) }
    /// `value` must already be JSON text.
    mutating func raw(_ key: String, _ value: String) { parts.append(JSONValue.quoted(key) + ":" + value) }

    var text: String { "{" + parts.joined(separator: ",") + "}" }
}
