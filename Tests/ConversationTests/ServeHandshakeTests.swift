import Foundation
import Testing
@testable import Conversation
import Inspector
import Sessions
import WebSocketProtocol

/// The server role's handshake on raw bytes (`ClientRequestCheck`) and the choice of recorded
/// connection (`RecordedConnectionMatcher`), on real recordings from captures/.
@Suite struct ServeHandshakeTests {
    static func connections(_ capture: String) throws -> [SessionConnection] {
        try RecordingLoader.loadCapture(ConversationRoleTests.captures.appendingPathComponent(capture).path).session.connections
    }

    static func request(_ target: String, _ extra: [String] = []) -> [UInt8] {
        let lines = ["GET \(target) HTTP/1.1", "Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade",
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"] + extra
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
    }

    @Test func partialRequestNeedsMoreAndLeftoverBytesAreFrames() {
        let bytes = Self.request("/x")
        guard case .needMoreData = ClientRequestCheck.check(Array(bytes.dropLast(2))) else { Issue.record("a head without its blank line is incomplete"); return }
        guard case .request(let head, let key, let consumed) = ClientRequestCheck.check(bytes + [0x81, 0x80]) else {
            Issue.record("a complete upgrade request is accepted")
            return
        }
        #expect(head.target == "/x" && key == "dGhlIHNhbXBsZSBub25jZQ==" && consumed == bytes.count)
    }

    /// Bad requests by name (the bytes are built inside, so a failure does not print 64 KiB).
    static func badRequest(_ name: String) -> [UInt8] {
        let good = String(decoding: request("/"), as: UTF8.self)
        switch name {
        case "garbage": return Array("\u{16}\u{03}\u{01}junk\r\n\r\n".utf8)
        case "plain GET": return Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        case "version 8": return Array(good.replacingOccurrences(of: "Version: 13", with: "Version: 8").utf8)
        case "short key": return Array(good.replacingOccurrences(of: "dGhlIHNhbXBsZSBub25jZQ==", with: "abc=").utf8)
        default: return Array("GET / HTTP/1.1\r\nX: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: HTTPHeadParser.defaultMaxHeadBytes + 10)
        }
    }

    @Test(arguments: [("garbage", 400), ("plain GET", 400), ("version 8", 426), ("short key", 400), ("endless head", 431)])
    func badRequestsAreRefusedWithAStatus(_ name: String, _ status: Int) {
        guard case .refused(let answered, let reason) = ClientRequestCheck.check(Self.badRequest(name)) else {
            Issue.record("\(name) must be refused")
            return
        }
        #expect(answered == status, "\(name): \(reason)")
        let response = String(decoding: ClientRequestCheck.refusal(status: answered, reason: reason), as: UTF8.self)
        #expect(response.hasPrefix("HTTP/1.1 \(status) ") && response.hasSuffix(reason + "\n"))
    }

    /// The 101's accept value is RFC 6455's worked example, and deflate-small-window.pcap's
    /// parameters (server 10 bits, client 12) are answered when the client says it can limit its window.
    @Test func acceptCarriesTheRecordedDeflateParametersAsFarAsOffered() throws {
        let connection = try #require(try Self.connections("deflate-small-window.pcap").first)
        let head = try #require({ if case .request(let head, _, _) = ClientRequestCheck.check(Self.request("/", ["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"])) { return head }; return nil }())
        let accepted = ClientRequestCheck.accept(head, key: "dGhlIHNhbXBsZSBub25jZQ==", as: connection)
        let text = String(decoding: accepted.bytes, as: UTF8.self)
        #expect(text.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"))
        #expect(accepted.upgrade.compression?.serverMaxWindowBits == 10)
        #expect(accepted.upgrade.compression?.clientMaxWindowBits == 12)
        #expect(text.contains("server_max_window_bits=10") && text.contains("client_max_window_bits=12"))
        // Without client_max_window_bits in the offer the client's window stays 15 and is not named.
        let bare = try #require({ if case .request(let head, _, _) = ClientRequestCheck.check(Self.request("/", ["Sec-WebSocket-Extensions: permessage-deflate"])) { return head }; return nil }())
        let plain = ClientRequestCheck.accept(bare, key: "dGhlIHNhbXBsZSBub25jZQ==", as: connection)
        #expect(plain.upgrade.compression?.clientMaxWindowBits == 15)
        #expect(!String(decoding: plain.bytes, as: UTF8.self).contains("client_max_window_bits"))
        // No offer: no compression, and the recorded compressed messages go out plain.
        let none = try #require({ if case .request(let head, _, _) = ClientRequestCheck.check(Self.request("/")) { return head }; return nil }())
        #expect(ClientRequestCheck.accept(none, key: "dGhlIHNhbXBsZSBub25jZQ==", as: connection).upgrade.compression == nil)
    }

    @Test func offersWithUnknownOrBadParametersAreSkipped() throws {
        let recorded = PerMessageDeflateParameters()
        let offers = WebSocketExtensionHeader.parse(["permessage-deflate; foo=1, permessage-deflate; server_max_window_bits=99, permessage-deflate; server_max_window_bits=9"])
        let (parameters, text) = try #require(ClientRequestCheck.negotiateDeflate(recorded: recorded, offers: offers))
        #expect(parameters.serverMaxWindowBits == 9 && text == "permessage-deflate; server_max_window_bits=9")
        #expect(ClientRequestCheck.negotiateDeflate(recorded: recorded, offers: WebSocketExtensionHeader.parse(["x-webkit-deflate-frame"])) == nil)
    }

    /// concurrent.pcap holds several connections; clients on the same path get them in turn, an
    /// unknown path gets the list of recorded paths.
    @Test func clientsAreMatchedByPathInTurnAndUnknownPathsListTheRecordedOnes() async throws {
        let connections = try Self.connections("concurrent.pcap")
        #expect(connections.count >= 2)
        let matcher = RecordedConnectionMatcher(connections: connections)
        let target = try #require(connections.first?.request?.target)
        let sameTarget = connections.filter { $0.request?.target == target }.map(\.id)
        var served: [Int] = []
        for _ in sameTarget {
            guard case .connection(let connection) = await matcher.match(target: target, subprotocols: []) else { Issue.record("matches"); return }
            served.append(connection.id)
        }
        #expect(served == sameTarget, "each recorded connection once, in recording order")
        guard case .noMatch(let reason) = await matcher.match(target: "/nothing\u{1b}[2J", subprotocols: []) else { Issue.record("no match"); return }
        #expect(reason.contains("/nothing\\u{1b}[2J") && reason.contains(target))
    }
}

/// The recorded 101's headers sent again (`RecordedResponseHeaders`): auth-headers.pcap was
/// recorded from a Python `websockets` server that set a cookie.
@Suite struct RecordedResponseHeadersTests {
    static func head() throws -> HTTPRequestHead {
        guard case .request(let head, _, _) = ClientRequestCheck.check(ServeHandshakeTests.request("/feed?room=42&user=alice", ["Sec-WebSocket-Protocol: chat.v1"])) else {
            throw CancellationError()
        }
        return head
    }

    @Test func setCookieIsSentAgainAndHandshakeHeadersAreComputedAnew() throws {
        let connection = try #require(try ServeHandshakeTests.connections("auth-headers.pcap").first)
        let accepted = ClientRequestCheck.accept(try Self.head(), key: "dGhlIHNhbXBsZSBub25jZQ==", as: connection)
        let lines = String(decoding: accepted.bytes, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.contains("Set-Cookie: sid=s3cr3t-set-cookie-value; Path=/; HttpOnly"))
        #expect(lines.contains { $0.hasPrefix("Server: Python/") })
        // One of each handshake header, and the accept value is this key's, not the recorded one.
        for name in ["Upgrade", "Connection", "Sec-WebSocket-Accept", "Sec-WebSocket-Protocol"] {
            #expect(lines.filter { $0.lowercased().hasPrefix(name.lowercased() + ":") }.count == 1, "\(name)")
        }
        #expect(lines.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
        #expect(accepted.notes.isEmpty, "\(accepted.notes)")
    }

    /// A hand-edited session file: CR LF in a value, a name that is not a token, a pseudo-header,
    /// hop-by-hop headers and a flood of headers. Nothing unsafe reaches the wire; notes say why.
    @Test func hostileRecordedHeadersAreSkippedWithANote() throws {
        var connection = try #require(try ServeHandshakeTests.connections("auth-headers.pcap").first)
        var headers = [
            SessionHeader(name: "X-Smuggle", value: "a\r\nSet-Cookie: evil=1"),
            SessionHeader(name: "Bad Name", value: "x"),
            SessionHeader(name: ":status", value: "101"),
            SessionHeader(name: "Transfer-Encoding", value: "chunked"),
            SessionHeader(name: "X-Nul", value: "a\u{0}b"),
            SessionHeader(name: "X-Fine", value: "kept"),
        ]
        headers += (0..<500).map { SessionHeader(name: "X-Many-\($0)", value: String(repeating: "v", count: 100)) }
        connection.response?.headers = headers
        let accepted = ClientRequestCheck.accept(try Self.head(), key: "dGhlIHNhbXBsZSBub25jZQ==", as: connection)
        let text = String(decoding: accepted.bytes, as: UTF8.self)
        #expect(!text.contains("evil") && !text.contains("Bad Name") && !text.contains(":status") && !text.contains("Transfer-Encoding"))
        #expect(!accepted.bytes.contains(0))
        #expect(text.contains("X-Fine: kept\r\n"))
        #expect(text.hasSuffix("\r\n\r\n") && text.components(separatedBy: "\r\n\r\n").count == 2, "one head, nothing after it")
        let sent = text.components(separatedBy: "\r\n").filter { $0.hasPrefix("X-Many-") }.count
        #expect(sent > 0 && sent < RecordedResponseHeaders.maxRecordedHeaderCount)
        #expect(text.utf8.count < RecordedResponseHeaders.maxRecordedHeaderBytes + 1024)
        #expect(accepted.notes.count == 4, "\(accepted.notes)")
        #expect(accepted.notes.contains { $0.contains("\"X-Smuggle\"") && $0.contains("CR, LF or NUL") })
        #expect(accepted.notes.contains { $0.contains("not an HTTP token") })
        #expect(accepted.notes.contains { $0.contains("RecordedResponseHeaders limits") })
    }
}
