import PacketDecoding
import WebSocketProtocol
import WebSocketInspection
import Sessions

extension SessionSummaryFormatter {
    /// The overview table: one row per WebSocket connection, then one line per refused upgrade and
    /// per TLS connection that was not decrypted.
    /// Column widths follow the content (the connections are in memory anyway). Strings from the
    /// traffic are escaped (`TerminalSafeText`) before widths are measured.
    public func table(_ connections: [RecordedConnection], refused: [RefusedUpgrade], undecrypted: [UndecryptedConnection] = []) -> String {
        let header = ["#", "CLIENT → SERVER", "PATH", "START", "DURATION", "C→S", "S→C", "RTT avg", "CLOSE", "ISSUES"]
        var rows: [[String]] = []
        for connection in connections {
            let info = connection.info
            rows.append([
                "\(info.connection)",
                "\(info.client) → \(info.server)",
                info.path.map(TerminalSafeText.escaped) ?? (info.handshake ? "?" : "(mid-stream)"),
                TextFormatter.time(info.timestamp),
                HumanReadable.duration(connection.duration),
                Self.traffic(connection.fromClient),
                Self.traffic(connection.fromServer),
                connection.roundTrips.average.map(HumanReadable.duration) ?? "-",
                Self.closeSummary(connection),
                Self.issues(connection),
            ])
        }
        var widths = header.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        func line(_ cells: [String]) -> [String] {
            cells.enumerated().map { column, cell in
                column == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }
        }
        var output = connections.isEmpty ? "(no WebSocket connections)\n" : style.bold(line(header).joined(separator: "  ")) + "\n"
        for (row, connection) in zip(rows, connections) {
            var cells = line(row)
            if connection.browserError != nil || connection.anomalyCounts.values.reduce(0, +) > 0 || row[9] != "-" {
                cells[9] = style.problem(cells[9])
            }
            if connection.browserCloseCode == 1006 { cells[8] = style.problem(cells[8]) }
            cells[3] = style.dim(cells[3])
            output += cells.joined(separator: "  ") + "\n"
        }
        for refusal in refused {
            output += style.problem("#\(refusal.connection) upgrade refused") + " \(refusal.client) → \(refusal.server) GET \(TerminalSafeText(refusal.path)): \(refusal.status) \(TerminalSafeText(refusal.reason))\n"
        }
        for connection in undecrypted.sorted(by: { $0.connection < $1.connection }) { output += undecryptedLine(connection) }
        return output
    }

    /// Everything known about one connection, for `wstap sessions FILE --details`.
    public func details(_ connection: RecordedConnection) -> String {
        let info = connection.info
        var lines: [String] = []
        var title = "#\(info.connection) \(info.client) → \(info.server)"
        title += info.handshake ? " GET \(TerminalSafeText(info.path ?? "?"))" : " (mid-stream, confidence \(info.confidence?.rawValue ?? "low"))"
        lines.append(style.bold(title))
        var negotiated: [String] = []
        if let host = info.host { negotiated.append("host \(TerminalSafeText(host))") }
        negotiated.append("subprotocol " + (info.subprotocol.map(TerminalSafeText.escaped) ?? "none"))
        negotiated.append("extensions " + (info.extensions.isEmpty ? "none" : TerminalSafeText.escaped(info.extensions.joined(separator: ", "))))
        if let ratio = connection.compressionRatio {
            negotiated.append("compressed to \(SessionSummaryFormatter.decimal(ratio * 100, places: 1))% on the wire")
        }
        lines.append("  " + negotiated.joined(separator: "; "))
        for direction in WebSocketDirection.allCases {
            let totals = connection.totals(direction)
            var text = "\(totals.messages) messages (\(totals.dataMessages) data), \(HumanReadable.size(totals.payloadBytes))"
            if totals.compressedMessages > 0 { text += " (\(HumanReadable.size(totals.wireBytes)) on the wire, \(totals.compressedMessages) compressed)" }
            if totals.gaps > 0 { text += ", \(totals.gaps) gaps (\(HumanReadable.size(totals.gapBytes)) lost)" }
            lines.append("  " + style.direction(direction == .clientToServer ? "C→S" : "S→C", direction) + " " + text)
        }
        let rtt = connection.roundTrips
        if rtt.count > 0 {
            lines.append("  ping→pong: \(rtt.count) answered, min \(HumanReadable.duration(rtt.minimum)) avg \(HumanReadable.duration(rtt.average ?? 0)) max \(HumanReadable.duration(rtt.maximum))" + (rtt.unanswered > 0 ? ", \(rtt.unanswered) unanswered" : ""))
        } else if rtt.unanswered > 0 {
            lines.append("  ping→pong: \(rtt.unanswered) pings never answered")
        }
        var close = "  close: "
        if let first = connection.closeFrames.first {
            close += "\(first.direction.senderName) closed first with \(Self.codeAndReason(first))"
            if connection.closeFrames.count > 1 { close += ", \(connection.closeFrames[1].direction.senderName) answered \(Self.codeAndReason(connection.closeFrames[1]))" }
        } else {
            close += "no close frame"
        }
        close += "; TCP " + (connection.close?.reason.name ?? "still open")
        if let code = connection.browserCloseCode {
            close += "; browser CloseEvent code \(code), wasClean \(connection.closedCleanly)"
        }
        lines.append(close)
        var previous: Timestamp?
        let steps = connection.browserTimeline.map { step -> String in
            guard let time = step.timestamp else { return step.state.rawValue }
            defer { previous = time }
            let delta = previous.map { " (+\(HumanReadable.duration(time.seconds(since: $0))))" } ?? ""
            return "\(step.state.rawValue) \(TextFormatter.time(time))\(delta)"
        }
        lines.append("  timeline: " + steps.joined(separator: " → "))
        if let error = connection.browserError {
            lines.append("  " + style.problem("error event at \(TextFormatter.time(error.timestamp)): \(error.cause)"))
        }
        if !connection.anomalyCounts.isEmpty {
            lines.append("  anomalies: " + style.problem(Self.anomalyList(Dictionary(uniqueKeysWithValues: connection.anomalyCounts.map { ($0.key.name, $0.value) }))))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func traffic(_ totals: DirectionTotals) -> String {
        "\(totals.messages) msg \(HumanReadable.size(totals.payloadBytes))"
    }

    static func closeSummary(_ connection: RecordedConnection) -> String {
        guard let code = connection.browserCloseCode else { return "open" }
        var text = "\(code)"
        if let first = connection.closedFirstBy { text += " by \(first.senderName)" } else if let close = connection.close { text += " (\(close.reason.name))" }
        return text
    }

    static func issues(_ connection: RecordedConnection) -> String {
        var counts = Dictionary(uniqueKeysWithValues: connection.anomalyCounts.map { ($0.key.name, $0.value) })
        let gaps = connection.fromClient.gaps + connection.fromServer.gaps
        if gaps > 0 { counts["tcp_gap", default: 0] += gaps }
        return counts.isEmpty ? "-" : anomalyList(counts)
    }

    static func anomalyList(_ counts: [String: Int]) -> String {
        counts.keys.sorted().map { "\($0)×\(counts[$0] ?? 0)" }.joined(separator: " ")
    }

    static func codeAndReason(_ frame: CloseFrameRecord) -> String {
        guard let code = frame.code else { return "an empty close frame" }
        return frame.reason.isEmpty ? "\(code)" : "\(code) " + TerminalSafeText.quoted(frame.reason)
    }
}
