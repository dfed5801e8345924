import WebSocketInspection

extension JSONEncoding {
    /// What the TLS hellos said, `{"version","cipher","sni","alpn"}`: one shape for `read`'s
    /// events and `sessions`' rows (docs/jsonl.md), so the two cannot drift apart.
    static func appendTLS(_ tls: TLSSessionInfo, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "{"))
        appendKey("version", to: &output, first: true)
        appendString(tls.version, to: &output)
        appendOptionalString("cipher", tls.cipher, to: &output)
        appendOptionalString("sni", tls.serverName, to: &output)
        appendOptionalString("alpn", tls.protocols.isEmpty ? nil : tls.protocols.joined(separator: ","), to: &output)
        output.append(UInt8(ascii: "}"))
    }

    /// `,"decrypted":false,"reason":…,"tls":{…}|null`: why a TLS connection stays closed and
    /// what its hellos said, the same in `read`'s `tls` events and `sessions`' `tls` rows.
    static func appendNotDecrypted(_ connection: UndecryptedConnection, to output: inout [UInt8]) {
        appendKey("decrypted", to: &output)
        appendBool(false, to: &output)
        appendKey("reason", to: &output)
        appendString(connection.reason.name, to: &output)
        appendKey("tls", to: &output)
        if let tls = connection.tls { appendTLS(tls, to: &output) } else { appendRaw("null", to: &output) }
    }
}
