import Sessions

/// The application view of `sessions --details` (text) and the `application` object of
/// `sessions --format jsonl`: what `ApplicationActivity` gathered for one connection.
extension SessionSummaryFormatter {
    /// Names listed per connection, by message count.
    public static let topApplicationNames = 10

    /// Indented lines for the details block; none when nothing was decoded.
    public func applicationDetails(_ activity: ApplicationActivity) -> [String] {
        guard !activity.isEmpty else { return [] }
        var lines = ["  application: " + activity.protocols.map(TerminalSafeText.escaped).joined(separator: ", ")]
        let types = activity.types.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        if !types.isEmpty {
            lines.append("    messages by type: " + types.map { "\(TerminalSafeText.escaped($0.key)) \($0.value)" }.joined(separator: ", "))
        }
        let top = activity.topNames(Self.topApplicationNames)
        if !top.isEmpty {
            lines.append("    top \(activity.nameKind) (messages, bytes, answers: p50 / p95 / max):")
            for (name, tally) in top {
                var line = "      \(TerminalSafeText.quoted(name, maxCharacters: 60)) \(tally.messages), \(HumanReadable.size(tally.bytes))"
                if let summary = Self.latencySummary(tally.latencies) { line += ", " + summary }
                lines.append(line)
            }
            if activity.names.count > top.count { lines.append("      … \(activity.names.count - top.count) more") }
        }
        if let summary = Self.latencySummary(activity.latencies) { lines.append("    all answers: " + summary) }
        if activity.unanswered > 0 { lines.append("    unanswered requests: \(activity.unanswered)") }
        if activity.undecodable > 0 { lines.append("    undecodable messages: \(activity.undecodable)") }
        return lines
    }

    static func latencySummary(_ tally: ApplicationActivity.LatencyTally) -> String? {
        guard tally.count > 0, let p50 = tally.percentile(0.5), let p95 = tally.percentile(0.95) else { return nil }
        return "\(tally.count) answered in \(milliseconds(p50)) / \(milliseconds(p95)) / \(milliseconds(tally.maximum)) ms"
    }

    static func milliseconds(_ value: Double) -> String { decimal(value, places: 3) }

    /// `sessions --format jsonl`: the connection's line with an `application` object added.
    public func json(_ connection: RecordedConnection, application activity: ApplicationActivity?) -> String {
        let line = json(connection)
        guard let activity, !activity.isEmpty, line.hasSuffix("}") else { return line }
        var out: [UInt8] = Array(line.utf8.dropLast())
        JSONEncoding.appendKey("application", to: &out)
        out.append(contentsOf: #"{"protocols":["#.utf8)
        for (index, name) in activity.protocols.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONEncoding.appendString(name, to: &out)
        }
        out.append(contentsOf: #"],"types":{"#.utf8)
        for (index, entry) in activity.types.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONEncoding.appendString(entry.key, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONEncoding.appendInteger(entry.value, to: &out)
        }
        out.append(contentsOf: #"},"top":["#.utf8)
        for (index, entry) in activity.topNames(Self.topApplicationNames).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"name":"#.utf8)
            JSONEncoding.appendString(entry.name, to: &out)
            JSONEncoding.appendKey("messages", to: &out)
            JSONEncoding.appendInteger(entry.tally.messages, to: &out)
            JSONEncoding.appendKey("bytes", to: &out)
            JSONEncoding.appendInteger(entry.tally.bytes, to: &out)
            appendLatency(entry.tally.latencies, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        appendLatency(activity.latencies, to: &out)
        JSONEncoding.appendKey("unanswered", to: &out)
        JSONEncoding.appendInteger(activity.unanswered, to: &out)
        JSONEncoding.appendKey("undecodable", to: &out)
        JSONEncoding.appendInteger(activity.undecodable, to: &out)
        out.append(contentsOf: "}}".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// `,"answered":N,"latency_ms":{"p50":…,"p95":…,"max":…}` when there were answers.
    private func appendLatency(_ tally: ApplicationActivity.LatencyTally, to out: inout [UInt8]) {
        guard tally.count > 0, let p50 = tally.percentile(0.5), let p95 = tally.percentile(0.95) else { return }
        JSONEncoding.appendKey("answered", to: &out)
        JSONEncoding.appendInteger(tally.count, to: &out)
        JSONEncoding.appendKey("latency_ms", to: &out)
        out.append(contentsOf: #"{"p50":\#(Self.milliseconds(p50)),"p95":\#(Self.milliseconds(p95)),"max":\#(Self.milliseconds(tally.maximum))}"#.utf8)
    }
}
