import Sessions

/// The recorded 101's own headers that `wstap serve` sends again (`Set-Cookie`, `Server`,
/// application headers an app may read), and which it leaves out.
///
/// Left out, because they belong to this connection and not the recorded one: the handshake headers
/// the server computes anew for this client (`Upgrade`, `Connection`, `Sec-WebSocket-Accept`,
/// `Sec-WebSocket-Protocol`, `Sec-WebSocket-Extensions`, `Sec-WebSocket-Version`), the hop-by-hop
/// and framing headers of RFC 9110 §7.6.1 and RFC 9112 §6 (`Keep-Alive`, `Transfer-Encoding`,
/// `Content-Length`, `TE`, `Trailer`, `Proxy-…`), and HTTP/2 pseudo-headers of a HAR.
///
/// A recording is hostile input (a session or HAR file is text anyone can edit): a header whose
/// name is not an HTTP token or whose value holds CR, LF or NUL would, written verbatim, end the
/// head early and smuggle headers or frames to the client. Such a header is skipped with a note,
/// and so is everything past `maxRecordedHeaderCount` headers or `maxRecordedHeaderBytes` bytes.
public enum RecordedResponseHeaders {
    /// Recorded response headers sent again at most (default 100): more than any real 101 holds.
    public static let maxRecordedHeaderCount = 100
    /// Bytes of recorded response headers sent again at most (default 16 KiB, names and values):
    /// a session file may hold a megabyte of headers that no client would accept.
    public static let maxRecordedHeaderBytes = 16 << 10

    /// Names (lowercased) the server writes itself or that must not cross a hop.
    static let computedOrHopByHop: Set<String> = [
        "upgrade", "connection", "sec-websocket-accept", "sec-websocket-protocol", "sec-websocket-extensions",
        "sec-websocket-version", "keep-alive", "transfer-encoding", "content-length", "te", "trailer",
        "proxy-connection", "proxy-authenticate", "proxy-authorization",
    ]

    /// The `Name: value` lines to add to the 101 for `connection`, and a note per header skipped.
    public static func lines(for connection: SessionConnection) -> (lines: [String], notes: [String]) {
        guard let response = connection.response else { return ([], []) }
        var lines: [String] = []
        var notes: [String] = []
        var bytes = 0
        for (index, header) in response.headers.enumerated() {
            let name = header.name
            if HTTPFieldSyntax.isPseudoHeader(name) || computedOrHopByHop.contains(name.lowercased()) { continue }
            guard HTTPFieldSyntax.isToken(name) else {
                notes.append("recorded response header \(index) not sent again: its name \(shown(name)) is not an HTTP token")
                continue
            }
            guard HTTPFieldSyntax.isSafeValue(header.value) else {
                notes.append("recorded response header \(shown(name)) not sent again: its value has a CR, LF or NUL")
                continue
            }
            let size = name.utf8.count + header.value.utf8.count + 4
            guard lines.count < maxRecordedHeaderCount, bytes + size <= maxRecordedHeaderBytes else {
                notes.append("recorded response headers from \(shown(name)) on not sent again: over \(maxRecordedHeaderCount) headers or \(maxRecordedHeaderBytes) bytes (RecordedResponseHeaders limits)")
                break
            }
            bytes += size
            lines.append("\(name): \(header.value)")
        }
        return (lines, notes)
    }

    /// A name for a note: quoted, escaped, at most 64 characters, so a hostile name cannot write
    /// to the terminal or bury the report.
    static func shown(_ name: String) -> String {
        HTTPFieldSyntax.shown(name.count > 64 ? String(name.prefix(64)) + "…" : name)
    }
}
