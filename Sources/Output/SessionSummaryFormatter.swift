import PacketDecoding
import WebSocketProtocol
import WebSocketInspection
import Sessions

/// Formats the `wstap sessions` overview: a table for people, or one JSON object per connection
/// (fields documented in docs/jsonl.md) for scripts.
public struct SessionSummaryFormatter {
    public var style: TerminalStyle

    public init(style: TerminalStyle = .plain) {
        self.style = style
    }

    // MARK: JSON Lines

    /// One JSON object for a WebSocket connection (`"kind":"websocket"`).
    public func json(_ connection: RecordedConnection) -> String {
        var out: [UInt8] = []
        let info = connection.info
        rowStart("websocket", info.connection, info.client.description, info.server.description, &out)
        optional("path", info.path, &out)
        optional("host", info.host, &out)
        optional("subprotocol", info.subprotocol, &out)
        JSONEncoding.appendKey("extensions", to: &out)
        stringArray(info.extensions, &out)
        JSONEncoding.appendKey("handshake", to: &out)
        JSONEncoding.appendBool(info.handshake, to: &out)
        JSONEncoding.appendKey("start", to: &out)
        JSONEncoding.appendRaw(info.timestamp.description, to: &out)
        JSONEncoding.appendKey("end", to: &out)
        JSONEncoding.appendRaw(connection.lastTimestamp.description, to: &out)
        JSONEncoding.appendKey("duration", to: &out)
        JSONEncoding.appendRaw(Self.decimal(connection.duration, places: 6), to: &out)
        for (key, totals) in [("from_client", connection.fromClient), ("from_server", connection.fromServer)] {
            out.append(contentsOf: ",\"\(key)\":".utf8)
            directionJSON(totals, &out)
        }
        JSONEncoding.appendKey("compression_ratio", to: &out)
        JSONEncoding.appendRaw(connection.compressionRatio.map { Self.decimal($0, places: 4) } ?? "null", to: &out)
        JSONEncoding.appendKey("rtt", to: &out)
        let rtt = connection.roundTrips
        out.append(contentsOf: #"{"count":"#.utf8)
        JSONEncoding.appendInteger(rtt.count, to: &out)
        JSONEncoding.appendKey("unanswered", to: &out)
        JSONEncoding.appendInteger(rtt.unanswered, to: &out)
        for (key, value) in [("min", rtt.count > 0 ? rtt.minimum : nil), ("avg", rtt.average), ("max", rtt.count > 0 ? rtt.maximum : nil)] {
            out.append(contentsOf: ",\"\(key)\":".utf8)
            JSONEncoding.appendRaw(value.map { Self.decimal($0, places: 6) } ?? "null", to: &out)
        }
        out.append(UInt8(ascii: "}"))
        JSONEncoding.appendKey("close", to: &out)
        closeJSON(connection, &out)
        JSONEncoding.appendKey("anomalies", to: &out)
        out.append(UInt8(ascii: "{"))
        for (index, kind) in connection.anomalyCounts.keys.sorted().enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONEncoding.appendString(kind.name, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONEncoding.appendInteger(connection.anomalyCounts[kind] ?? 0, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        JSONEncoding.appendKey("timeline", to: &out)
        out.append(UInt8(ascii: "["))
        for (index, step) in connection.browserTimeline.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"state":"#.utf8)
            JSONEncoding.appendString(step.state.rawValue, to: &out)
            JSONEncoding.appendKey("ts", to: &out)
            JSONEncoding.appendRaw(step.timestamp?.description ?? "null", to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        JSONEncoding.appendKey("browser_error", to: &out)
        if let error = connection.browserError {
            out.append(contentsOf: #"{"ts":"#.utf8)
            JSONEncoding.appendRaw(error.timestamp.description, to: &out)
            JSONEncoding.appendKey("cause", to: &out)
            JSONEncoding.appendString(error.cause.description, to: &out)
            out.append(UInt8(ascii: "}"))
        } else {
            JSONEncoding.appendRaw("null", to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// One JSON object for an Upgrade the server refused (`"kind":"refused"`).
    public func json(_ refusal: RefusedUpgrade) -> String {
        var out: [UInt8] = []
        rowStart("refused", refusal.connection, refusal.client.description, refusal.server.description, &out)
        JSONEncoding.appendKey("path", to: &out)
        JSONEncoding.appendString(refusal.path, to: &out)
        optional("host", refusal.host, &out)
        JSONEncoding.appendKey("start", to: &out)
        JSONEncoding.appendRaw(refusal.timestamp.description, to: &out)
        JSONEncoding.appendKey("status", to: &out)
        JSONEncoding.appendInteger(refusal.status, to: &out)
        JSONEncoding.appendKey("reason", to: &out)
        JSONEncoding.appendString(refusal.reason, to: &out)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    private func directionJSON(_ totals: DirectionTotals, _ out: inout [UInt8]) {
        out.append(contentsOf: #"{"messages":"#.utf8)
        JSONEncoding.appendInteger(totals.messages, to: &out)
        JSONEncoding.appendKey("data_messages", to: &out)
        JSONEncoding.appendInteger(totals.dataMessages, to: &out)
        JSONEncoding.appendKey("wire_bytes", to: &out)
        JSONEncoding.appendInteger(totals.wireBytes, to: &out)
        JSONEncoding.appendKey("bytes", to: &out)
        JSONEncoding.appendInteger(totals.payloadBytes, to: &out)
        JSONEncoding.appendKey("compressed_messages", to: &out)
        JSONEncoding.appendInteger(totals.compressedMessages, to: &out)
        JSONEncoding.appendKey("gaps", to: &out)
        JSONEncoding.appendInteger(totals.gaps, to: &out)
        JSONEncoding.appendKey("gap_bytes", to: &out)
        JSONEncoding.appendInteger(totals.gapBytes, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    private func closeJSON(_ connection: RecordedConnection, _ out: inout [UInt8]) {
        out.append(contentsOf: #"{"tcp":"#.utf8)
        JSONEncoding.appendRaw(connection.close.map { "\"\($0.reason.name)\"" } ?? "null", to: &out)
        JSONEncoding.appendKey("first_by", to: &out)
        JSONEncoding.appendRaw(connection.closedFirstBy.map { "\"\($0.senderName)\"" } ?? "null", to: &out)
        for (key, direction) in [("client", WebSocketDirection.clientToServer), ("server", .serverToClient)] {
            out.append(contentsOf: ",\"\(key)\":".utf8)
            if let frame = connection.closeFrames.first(where: { $0.direction == direction }) {
                out.append(contentsOf: #"{"code":"#.utf8)
                JSONEncoding.appendRaw(frame.code.map { String($0) } ?? "null", to: &out)
                JSONEncoding.appendKey("reason", to: &out)
                JSONEncoding.appendString(frame.reason, to: &out)
                JSONEncoding.appendKey("ts", to: &out)
                JSONEncoding.appendRaw(frame.timestamp.description, to: &out)
                out.append(UInt8(ascii: "}"))
            } else {
                JSONEncoding.appendRaw("null", to: &out)
            }
        }
        JSONEncoding.appendKey("browser_code", to: &out)
        JSONEncoding.appendRaw(connection.browserCloseCode.map { String($0) } ?? "null", to: &out)
        JSONEncoding.appendKey("clean", to: &out)
        JSONEncoding.appendBool(connection.closedCleanly, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `{"kind":…,"conn":…,"client":…,"server":…`: how every row starts, whatever its kind.
    func rowStart(_ kind: String, _ connection: some BinaryInteger, _ client: String, _ server: String, _ out: inout [UInt8]) {
        out.append(contentsOf: "{\"kind\":\"\(kind)\",\"conn\":".utf8)
        JSONEncoding.appendInteger(connection, to: &out)
        JSONEncoding.appendKey("client", to: &out)
        JSONEncoding.appendString(client, to: &out)
        JSONEncoding.appendKey("server", to: &out)
        JSONEncoding.appendString(server, to: &out)
    }

    func optional(_ key: StaticString, _ value: String?, _ out: inout [UInt8]) {
        JSONEncoding.appendOptionalString(key, value, to: &out)
    }

    private func stringArray(_ values: [String], _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONEncoding.appendString(value, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// A fixed-point decimal without exponent (JSON numbers must not be `inf` or `1e-05`).
    static func decimal(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "null" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let whole = scaled / Int64(scale)
        var fraction = String(scaled % Int64(scale))
        while fraction.count < places { fraction = "0" + fraction }
        return (value < 0 && scaled != 0 ? "-" : "") + "\(whole).\(fraction)"
    }
}
