import Testing

@testable import WebSocketProtocol

@Suite struct HTTPHeadParserTests {
    private let upgradeRequest = Array(
        ("GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8
    )

    private func request(_ text: String, max: Int = HTTPHeadParser.defaultMaxHeadBytes) -> HTTPHeadParseResult<HTTPRequestHead> {
        HTTPHeadParser.parseRequest(Array(text.utf8), maxHeadBytes: max)
    }

    private func response(_ text: String) -> HTTPHeadParseResult<HTTPResponseHead> {
        HTTPHeadParser.parseResponse(Array(text.utf8))
    }

    private func isInvalid<Head>(_ result: HTTPHeadParseResult<Head>) -> Bool {
        if case .invalid = result { return true }
        return false
    }

    @Test func parsesAnUpgradeRequestAndReportsTheBytesItConsumed() throws {
        let bytes = upgradeRequest + [0x81, 0x85]
        guard case .head(let head, let consumed) = HTTPHeadParser.parseRequest(bytes) else {
            Issue.record("expected a head")
            return
        }
        #expect(consumed == upgradeRequest.count)
        #expect(head.method == "GET")
        #expect(head.target == "/chat")
        #expect(head.version == "HTTP/1.1")
        #expect(head.headers.first("upgrade") == "websocket")
        #expect(head.headers.fields.count == 5)
        #expect(head.headers.fields[0] == HTTPField(name: "Host", value: "server.example.com"))
    }

    @Test func asksForMoreDataAtEveryPrefixOfAHead() {
        for length in 0..<upgradeRequest.count {
            let result = HTTPHeadParser.parseRequest(upgradeRequest[..<length])
            #expect(result == .needMoreData, "prefix of \(length) bytes")
        }
    }

    @Test func acceptsBareLineFeedLineEnds() {
        guard case .head(let head, let consumed) = response("HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n\nrest") else {
            Issue.record("expected a head")
            return
        }
        #expect(head.status == 101)
        #expect(head.reason == "Switching Protocols")
        #expect(consumed == "HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n\n".utf8.count)
    }

    @Test func joinsObsoleteFoldedLinesWithOneSpace() {
        guard case .head(let head, _) = request("GET / HTTP/1.1\r\nX-Long: first\r\n  second\r\n\tthird\r\nHost: a\r\n\r\n") else {
            Issue.record("expected a head")
            return
        }
        #expect(head.headers.first("x-long") == "first second third")
        #expect(head.headers.first("Host") == "a")
    }

    @Test func keepsDuplicateFieldsAndOriginalNameSpelling() {
        guard case .head(let head, _) = response("HTTP/1.1 101 OK\r\nUPGRADE: WebSocket\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n\r\n") else {
            Issue.record("expected a head")
            return
        }
        #expect(head.headers.fields[0].name == "UPGRADE")
        #expect(head.headers.all("Set-Cookie") == ["a=1", "b=2"])
    }

    @Test func decodesNonUTF8ValuesAsLatin1() {
        var bytes = Array("GET / HTTP/1.1\r\nX-Name: caf".utf8)
        bytes += [0xE9]  // 'é' in Latin-1, invalid alone in UTF-8
        bytes += Array("\r\nX-Utf8: caf\u{E9}\r\n\r\n".utf8)
        guard case .head(let head, _) = HTTPHeadParser.parseRequest(bytes) else {
            Issue.record("expected a head")
            return
        }
        #expect(head.headers.first("X-Name") == "caf\u{E9}")
        #expect(head.headers.first("X-Utf8") == "caf\u{E9}")
    }

    @Test func skipsEmptyLinesBeforeARequestLine() {
        guard case .head(let head, let consumed) = request("\r\n\r\nGET / HTTP/1.0\r\n\r\n") else {
            Issue.record("expected a head")
            return
        }
        #expect(head.version == "HTTP/1.0")
        #expect(consumed == 22)
    }

    @Test func parsesAStatusLineWithoutReasonPhrase() {
        guard case .head(let head, _) = response("HTTP/1.1 204\r\n\r\n") else {
            Issue.record("expected a head")
            return
        }
        #expect(head.status == 204)
        #expect(head.reason == "")
    }

    /// Binary WebSocket frames and other protocols must be recognised from their first bytes.
    @Test(arguments: [
        [0x81, 0x85, 0x37, 0xFA],  // masked text frame: mid-stream capture
        [0x16, 0x03, 0x01],  // TLS ClientHello
        Array(" GET / HTTP/1.1\r\n".utf8),
        Array("GET /\r\n\r\n".utf8),  // HTTP/0.9 style
        Array("GET / HTTP/1.1 extra\r\n\r\n".utf8),
        Array("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n".utf8),
        Array("GET / HTTP/1.1\r\nNoColon\r\n\r\n".utf8),
        Array("GET / HTTP/1.1\r\n folded-first\r\n\r\n".utf8),
        Array(String(repeating: "A", count: 40).utf8),
    ] as [[UInt8]])
    func rejectsBytesThatAreNotARequestHead(bytes: [UInt8]) {
        #expect(isInvalid(HTTPHeadParser.parseRequest(bytes)))
    }

    @Test(arguments: [
        [0x82, 0x05, 0x68],  // unmasked binary frame
        Array("HTTX/1.1 200 OK\r\n".utf8),
        Array("HTTP/1.1 20 OK\r\n\r\n".utf8),
        Array("HTTP/1.1 099 Low\r\n\r\n".utf8),
        Array("HTTP/1.1 200OK\r\n\r\n".utf8),
        Array("HTTP/11 200 OK\r\n\r\n".utf8),
        Array("GET / HTTP/1.1\r\n\r\n".utf8),
    ] as [[UInt8]])
    func rejectsBytesThatAreNotAResponseHead(bytes: [UInt8]) {
        #expect(isInvalid(HTTPHeadParser.parseResponse(bytes)))
    }

    @Test func reportsTooLargeWhenNoEndOfHeadWithinTheLimit() {
        let text = "GET / HTTP/1.1\r\nX-Filler: " + String(repeating: "x", count: 200)
        #expect(request(text, max: 100) == .tooLarge)
        #expect(request(text, max: 1000) == .needMoreData)
    }

    @Test func acceptsAHeadOfExactlyTheLimit() {
        let text = "GET / HTTP/1.1\r\n\r\n"
        #expect(request(text + "tail", max: text.utf8.count) != .tooLarge)
        #expect(request(text, max: text.utf8.count - 1) == .tooLarge)
    }

    @Test func readsNonContiguousCollections() {
        let bytes = upgradeRequest.lazy.map { $0 }
        guard case .head(_, let consumed) = HTTPHeadParser.parseRequest(bytes) else {
            Issue.record("expected a head")
            return
        }
        #expect(consumed == upgradeRequest.count)
    }

    @Test func countsConsumedBytesFromTheStartOfASlice() {
        let bytes = [0x00, 0x00] + upgradeRequest
        guard case .head(_, let consumed) = HTTPHeadParser.parseRequest(bytes[2...]) else {
            Issue.record("expected a head")
            return
        }
        #expect(consumed == upgradeRequest.count)
    }
}

@Suite struct HTTPHeadersTests {
    @Test(arguments: [
        ("keep-alive, Upgrade", "upgrade", true),
        ("Upgrade", "UPGRADE", true),
        ("  upgrade  ", "upgrade", true),
        ("keep-alive,upgrade", "upgrade", true),
        ("upgraded", "upgrade", false),
        ("keep-alive", "upgrade", false),
        ("", "upgrade", false),
    ])
    func findsCommaSeparatedTokensIgnoringCase(value: String, token: String, expected: Bool) {
        let headers = HTTPHeaders([HTTPField(name: "Connection", value: value)])
        #expect(headers.containsToken("connection", token) == expected)
    }

    @Test func findsTokensAcrossRepeatedFields() {
        let headers = HTTPHeaders([HTTPField(name: "Connection", value: "keep-alive"), HTTPField(name: "connection", value: "Upgrade")])
        #expect(headers.containsToken("Connection", "upgrade"))
        #expect(headers.first("CONNECTION") == "keep-alive")
        #expect(headers.listElements("Connection") == ["keep-alive", "Upgrade"])
    }
}
