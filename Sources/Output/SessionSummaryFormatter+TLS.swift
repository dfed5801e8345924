import WebSocketInspection

extension SessionSummaryFormatter {
    /// One JSON object for a TLS connection that was not decrypted (`"kind":"tls"`): what its
    /// hellos said, why it stays closed, and its bytes each way (TCP payload, records included).
    public func json(_ connection: UndecryptedConnection) -> String {
        var out: [UInt8] = []
        rowStart("tls", connection.connection, connection.client.description, connection.server.description, &out)
        JSONEncoding.appendKey("start", to: &out)
        JSONEncoding.appendRaw(connection.start.description, to: &out)
        JSONEncoding.appendKey("end", to: &out)
        JSONEncoding.appendRaw(connection.timestamp.description, to: &out)
        JSONEncoding.appendNotDecrypted(connection, to: &out)
        JSONEncoding.appendKey("from_client", to: &out)
        out.append(contentsOf: #"{"wire_bytes":"#.utf8)
        JSONEncoding.appendInteger(connection.bytesFromClient, to: &out)
        out.append(UInt8(ascii: "}"))
        JSONEncoding.appendKey("from_server", to: &out)
        out.append(contentsOf: #"{"wire_bytes":"#.utf8)
        JSONEncoding.appendInteger(connection.bytesFromServer, to: &out)
        out.append(UInt8(ascii: "}"))
        JSONEncoding.appendKey("detail", to: &out)
        JSONEncoding.appendString(connection.detail, to: &out)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// The table's line for a TLS connection that was not decrypted.
    func undecryptedLine(_ connection: UndecryptedConnection) -> String {
        var text = style.problem("#\(connection.connection) TLS not decrypted (\(connection.reason))")
        text += " \(connection.client) → \(connection.server)"
        if let tls = connection.tls {
            text += " \(tls.version)"
            if let name = tls.serverName { text += " SNI \(TerminalSafeText(name))" }
            if !tls.protocols.isEmpty { text += " ALPN \(TerminalSafeText(tls.protocols.joined(separator: ",")))" }
        }
        text += " \(TextFormatter.size(connection.bytesFromClient)) from client, \(TextFormatter.size(connection.bytesFromServer)) from server"
        return text + "\n"
    }
}
