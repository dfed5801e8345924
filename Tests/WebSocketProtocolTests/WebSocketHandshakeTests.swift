import Testing

@testable import WebSocketProtocol

@Suite struct WebSocketHandshakeTests {
    private static let key = "dGhlIHNhbXBsZSBub25jZQ=="
    private static let accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    private func request(_ fields: [(String, String)], method: String = "GET") -> HTTPRequestHead {
        HTTPRequestHead(method: method, target: "/chat", version: "HTTP/1.1", headers: HTTPHeaders(fields.map { HTTPField(name: $0.0, value: $0.1) }))
    }

    private func response(_ fields: [(String, String)], status: Int = 101) -> HTTPResponseHead {
        HTTPResponseHead(version: "HTTP/1.1", status: status, reason: "Switching Protocols", headers: HTTPHeaders(fields.map { HTTPField(name: $0.0, value: $0.1) }))
    }

    private var cleanRequest: [(String, String)] {
        [("Host", "example.com"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
         ("Sec-WebSocket-Key", Self.key), ("Sec-WebSocket-Version", "13")]
    }

    private var cleanResponse: [(String, String)] {
        [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", Self.accept)]
    }

    @Test func computesTheRFC6455ExampleAcceptValue() {
        #expect(WebSocketHandshake.acceptValue(forKey: Self.key) == Self.accept)
    }

    @Test(arguments: [
        ("GET", "websocket", "Upgrade", true),
        ("GET", "WebSocket", "keep-alive, Upgrade", true),
        ("POST", "websocket", "Upgrade", false),
        ("GET", "h2c", "Upgrade", false),
        ("GET", "websocket", "keep-alive", false),
    ])
    func recognisesUpgradeRequests(method: String, upgrade: String, connection: String, expected: Bool) {
        let head = request([("Upgrade", upgrade), ("Connection", connection)], method: method)
        #expect(WebSocketHandshake.isUpgradeRequest(head) == expected)
    }

    @Test(arguments: [
        (101, [("Upgrade", "websocket"), ("Connection", "Upgrade")], true),
        (101, [("Upgrade", "WebSocket")], true),  // no Connection: tolerated, real servers do this
        (200, [("Upgrade", "websocket"), ("Connection", "Upgrade")], false),
        (101, [("Upgrade", "h2c"), ("Connection", "Upgrade")], false),
    ] as [(Int, [(String, String)], Bool)])
    func recognisesUpgradeResponses(status: Int, fields: [(String, String)], expected: Bool) {
        #expect(WebSocketHandshake.isUpgradeResponse(response(fields, status: status)) == expected)
    }

    @Test func findsNoProblemInACleanHandshake() {
        #expect(WebSocketHandshake.problems(request: request(cleanRequest), response: response(cleanResponse)).isEmpty)
    }

    @Test func reportsAWrongAcceptWithExpectedAndReceivedValues() {
        let bad = cleanResponse.map { $0.0 == "Sec-WebSocket-Accept" ? ($0.0, "AAAA") : $0 }
        let problems = WebSocketHandshake.problems(request: request(cleanRequest), response: response(bad))
        #expect(problems.map(\.kind.rawValue) == ["wrong_accept"])
        #expect(problems.first?.detail.contains(Self.accept) == true)
        #expect(problems.first?.detail.contains("AAAA") == true)
    }

    @Test func reportsAMissingKeyAndAMissingAccept() {
        let problems = WebSocketHandshake.problems(
            request: request(cleanRequest.filter { $0.0 != "Sec-WebSocket-Key" }),
            response: response(cleanResponse.filter { $0.0 != "Sec-WebSocket-Accept" })
        )
        #expect(problems.map(\.kind.rawValue) == ["missing_key", "missing_accept"])
    }

    @Test(arguments: [["8"], ["13, 8"], []] as [[String]])
    func reportsVersionsOtherThan13(versions: [String]) {
        let fields = cleanRequest.filter { $0.0 != "Sec-WebSocket-Version" } + versions.map { ("Sec-WebSocket-Version", $0) }
        let problems = WebSocketHandshake.problems(request: request(fields), response: response(cleanResponse))
        #expect(problems.map(\.kind) == [WebSocketHandshakeProblem.Kind.unsupportedVersion])
    }

    @Test func reportsExtensionsAndSubprotocolsTheRequestDidNotOffer() {
        let requestFields = cleanRequest + [
            ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
            ("Sec-WebSocket-Protocol", "chat, superchat"),
        ]
        let responseFields = cleanResponse + [
            ("Sec-WebSocket-Extensions", "PerMessage-Deflate, x-webkit-deflate-frame"),
            ("Sec-WebSocket-Protocol", "mqtt"),
        ]
        let problems = WebSocketHandshake.problems(request: request(requestFields), response: response(responseFields))
        #expect(problems.map(\.kind.rawValue) == ["unoffered_extension", "unoffered_subprotocol"])
        #expect(problems[0].detail.contains("x-webkit-deflate-frame"))
        #expect(problems[1].detail.contains("mqtt"))
    }

    @Test func acceptsAnOfferedSubprotocol() {
        let problems = WebSocketHandshake.problems(
            request: request(cleanRequest + [("Sec-WebSocket-Protocol", "chat, superchat")]),
            response: response(cleanResponse + [("Sec-WebSocket-Protocol", "superchat")])
        )
        #expect(problems.isEmpty)
    }

    @Test func checksAHandshakeParsedFromWireBytes() throws {
        let requestBytes = Array(
            "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(Self.key)\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8
        )
        let responseBytes = Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(Self.accept)\r\n\r\n".utf8)
        guard case .head(let requestHead, _) = HTTPHeadParser.parseRequest(requestBytes),
            case .head(let responseHead, _) = HTTPHeadParser.parseResponse(responseBytes)
        else {
            Issue.record("expected both heads")
            return
        }
        #expect(WebSocketHandshake.isUpgradeRequest(requestHead))
        #expect(WebSocketHandshake.isUpgradeResponse(responseHead))
        #expect(WebSocketHandshake.problems(request: requestHead, response: responseHead).isEmpty)
    }
}
