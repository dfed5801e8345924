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
        format == .text ? textLines(report, target.description) : jsonLines(report, target.description)
    }

    /// The lines for one client of `serve` (the report's role is `.server`, its `peer` the client).
    public func servedLines(for report: ConnectionReport) -> [String] {
        format == .text ? textLines(report, report.peer ?? "?") : jsonLines(report, report.peer ?? "?")
    }

    /// The line for a client of `serve` whose handshake was refused (no matching path, not an
    /// upgrade request) or never completed; `status` is the HTTP status answered, if any.
    public func refusedLines(client: String, status: Int?, reason: String) -> [String] {
        // The reason is prose that quotes what the client sent, some of it already escaped: what
        // acts on the terminal is escaped, backslashes are left alone (as in wstap's diagnostics).
        if format == .text {
            return ["client \(TerminalSafeText(client)) refused" + (status.map { " (\($0))" } ?? "") + ": " + TerminalSafeText.controlsEscaped(reason)]
        }
        var object = JSONObjectBuilder()
        object.string("event", "refused")
        object.string("client", client)
        if let status { object.integer("status", status) }
        object.string("reason", reason)
        return [object.text]
    }

    /// The closing summary over all connections.
    public func summary(_ reports: [ConnectionReport]) -> [String] {
        summary(reports, serving: false, refused: 0)
    }

    /// `serve`'s closing summary: the clients played and those refused.
    public func servedSummary(_ reports: [ConnectionReport], refused: Int) -> [String] {
        summary(reports, serving: true, refused: refused)
    }

    private func summary(_ reports: [ConnectionReport], serving: Bool, refused: Int) -> [String] {
        let matched = reports.reduce(0) { $0 + $1.count(.matched) }
        let differing = reports.reduce(0) { $0 + $1.count(.differing) }
        let missing = reports.reduce(0) { $0 + $1.count(.missing) }
        let extra = reports.reduce(0) { $0 + $1.count(.extra) }
        let outOfOrder = reports.reduce(0) { $0 + $1.count(.outOfOrder) }
        let reordered = outOfOrder > 0 ? ", \(outOfOrder) out of order" : ""
        let failed = reports.filter { $0.failure != nil }.count
        let sent = reports.reduce(0) { $0 + $1.sent }
        if format == .text, serving {
            return ["served \(reports.count) client(s): \(sent) server messages sent; client messages \(matched) matched, \(differing) differing, \(missing) missing, \(extra) extra\(reordered)" + (failed > 0 ? "; \(failed) cut off" : "") + (refused > 0 ? "; \(refused) refused" : "")]
        }
        if format == .text {
            return ["replayed \(reports.count) connection(s): \(sent) messages sent; answers \(matched) matched, \(differing) differing, \(missing) missing, \(extra) extra\(reordered)" + (failed > 0 ? "; \(failed) connection(s) failed" : "")]
        }
        var object = JSONObjectBuilder()
        object.string("event", "summary")
        if serving { object.string("role", "server") }
        object.integer(serving ? "clients" : "connections", reports.count)
        object.integer("sent", sent)
        object.integer("matched", matched)
        object.integer("differing", differing)
        object.integer("missing", missing)
        object.integer("extra", extra)
        object.integer("out_of_order", outOfOrder)
        object.integer("failed", failed)
        if serving { object.integer("refused", refused) }
        return [object.text]
    }

    private func textLines(_ report: ConnectionReport, _ target: String) -> [String] {
        let serving = report.role == .server
        // Everything from the recording or the peer is escaped (TerminalSafeText): either may be hostile.
        let recorded = "\(TerminalSafeText(report.recordedClient)) → \(TerminalSafeText(report.recordedServer))"
        let (peer, path) = (TerminalSafeText(target), TerminalSafeText(report.path))
        var lines = serving
            ? ["client \(peer) played connection \(report.id) (recorded \(recorded)) at \(path)"]
            : ["connection \(report.id) (recorded \(recorded)) replayed to \(peer)\(path)"]
        if let failure = report.failure {
            lines.append("  error: \(TerminalSafeText(failure.description))")
            return lines
        }
        var handshake = "  handshake: \(TerminalSafeText(report.statusLine ?? "?"))"
        if let subprotocol = report.subprotocol { handshake += "; subprotocol \(TerminalSafeText(subprotocol))" }
        if !report.extensions.isEmpty { handshake += "; extensions \(TerminalSafeText(report.extensions.joined(separator: ", ")))" }
        lines.append(handshake)
        lines.append("  sent \(report.sent) of \(report.recordedClientMessages) \(report.role.name) messages; \(serving ? "client messages" : "answers"): \(report.count(.matched)) matched, \(report.count(.differing)) differing, \(report.count(.missing)) missing, \(report.count(.extra)) extra"
            + (report.count(.outOfOrder) > 0 ? ", \(report.count(.outOfOrder)) out of order" : ""))
        let divergent = report.answers.filter { $0.outcome != .matched }
        let noun = serving ? "client message" : "answer"
        for answer in divergent.prefix(maxShownDifferences) {
            switch answer.outcome {
            case .missing:
                lines.append("  \(noun) \(answer.index) missing: recorded \(answer.expectedOpcode?.description ?? "?") \(quote(answer.expectedPreview))")
            case .extra:
                lines.append("  \(noun) \(answer.index) extra: \(answer.actualOpcode?.description ?? "?") \(quote(answer.actualPreview))")
            case .differing:
                lines.append("  \(noun) \(answer.index) differs (\(answer.expectedOpcode?.description ?? "?")):")
                if answer.comparedAsJSON {
                    for difference in answer.jsonDifferences.prefix(maxShownPaths) {
                        // Paths and values are JSON text: escaped the JSON way so they stay JSON.
                        let expected = difference.expected.map(TerminalSafeText.json) ?? "(absent)"
                        let actual = difference.actual.map(TerminalSafeText.json) ?? "(absent)"
                        lines.append("    \(TerminalSafeText.json(difference.path)): recorded \(expected), now \(actual)")
                    }
                    if answer.jsonDifferences.count > maxShownPaths {
                        lines.append("    … \(answer.jsonDifferences.count - maxShownPaths) more")
                    }
                } else {
                    if let detail = answer.detail { lines.append("    \(TerminalSafeText(detail))") }
                    lines.append("    recorded: \(quote(answer.expectedPreview))")
                    lines.append("    now:      \(quote(answer.actualPreview))")
                }
            case .outOfOrder:
                lines.append("  \(noun) \(answer.index) came out of order (sent as \(role(report)) message \(answer.receivedIndex.map(String.init) ?? "?")): \(quote(answer.actualPreview))")
            case .matched:
                break
            }
        }
        let divergentCount = report.count(.differing) + report.count(.missing) + report.count(.extra) + report.count(.outOfOrder)
        if divergentCount > maxShownDifferences {
            lines.append("  … \(divergentCount - maxShownDifferences) more divergent answers (--format jsonl lists all)")
        }
        for note in report.notes { lines.append("  note: \(TerminalSafeText(note))") }
        return lines
    }

    /// The live peer's name in a report line ("client" when serving, "server" when replaying).
    private func role(_ report: ConnectionReport) -> String { report.role.peerName }

    /// Quoted with escapes so control characters and trailing spaces stay visible in a terminal.
    private func quote(_ preview: String?) -> String { TerminalSafeText.quoted(preview ?? "") }

    private func jsonLines(_ report: ConnectionReport, _ target: String) -> [String] {
        let serving = report.role == .server
        var lines: [String] = []
        var header = JSONObjectBuilder()
        header.string("event", "connection")
        header.integer("connection", report.id)
        if serving {
            header.string("role", "server")
            header.string("client", target)
        } else {
            header.string("target", target)
        }
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
            if let received = answer.receivedIndex { object.integer("received_index", received) }
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
        done.integer(serving ? "recorded_server_messages" : "recorded_client_messages", report.recordedClientMessages)
        for outcome in [AnswerOutcome.matched, .differing, .missing, .extra, .outOfOrder] { done.integer(outcome.rawValue, report.count(outcome)) }
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
