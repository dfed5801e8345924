import Testing

@testable import WebSocketProtocol

@Suite struct HTTPBodyFramingTests {
    private func headers(_ pairs: [(String, String)]) -> HTTPHeaders {
        HTTPHeaders(pairs.map { HTTPField(name: $0.0, value: $0.1) })
    }

    @Test(arguments: [
        ([], HTTPBodyFraming.none),
        ([("Content-Length", "42")], .contentLength(42)),
        ([("Content-Length", "0")], .none),
        ([("Content-Length", "42, 42")], .contentLength(42)),
        ([("Content-Length", "42"), ("Content-Length", "43")], .untilClose),
        ([("Content-Length", "-1")], .untilClose),
        ([("Content-Length", "")], .untilClose),
        ([("Content-Length", "99999999999999999999999")], .untilClose),
        ([("Transfer-Encoding", "chunked")], .chunked),
        ([("Transfer-Encoding", "gzip, Chunked"), ("Content-Length", "5")], .chunked),
        ([("Transfer-Encoding", "gzip")], .untilClose),
    ] as [([(String, String)], HTTPBodyFraming)])
    func framesRequestBodiesFromTheirHeaders(fields: [(String, String)], expected: HTTPBodyFraming) {
        let head = HTTPRequestHead(method: "POST", target: "/", version: "HTTP/1.1", headers: headers(fields))
        #expect(head.bodyFraming == expected)
    }

    @Test(arguments: [
        (101, "GET", [("Content-Length", "5")], HTTPBodyFraming.none),
        (100, "POST", [], .none),
        (204, "GET", [("Content-Length", "5")], .none),
        (304, "GET", [("Transfer-Encoding", "chunked")], .none),
        (200, "HEAD", [("Content-Length", "5")], .none),
        (200, "CONNECT", [], .untilClose),
        (200, "GET", [("Content-Length", "5")], .contentLength(5)),
        (200, "GET", [("Transfer-Encoding", "chunked")], .chunked),
        (200, "GET", [], .untilClose),
        (400, "GET", [("Content-Length", "0")], .none),
    ] as [(Int, String, [(String, String)], HTTPBodyFraming)])
    func framesResponseBodiesFromStatusMethodAndHeaders(status: Int, method: String, fields: [(String, String)], expected: HTTPBodyFraming) {
        let head = HTTPResponseHead(version: "HTTP/1.1", status: status, reason: "", headers: headers(fields))
        #expect(head.bodyFraming(requestMethod: method) == expected)
    }
}

@Suite struct HTTPChunkedBodySkipperTests {
    private let body = Array("4\r\nWiki\r\n5;name=value\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\n".utf8)

    @Test func skipsAWholeBodyAndStopsAtTheNextMessage() {
        var skipper = HTTPChunkedBodySkipper()
        let next = Array("GET / HTTP/1.1\r\n".utf8)
        let result = skipper.consume((body + next)[...])
        #expect(result.consumed == body.count)
        #expect(result.finished)
        #expect(skipper.bodyBytes == 23)
        #expect(skipper.error == nil)
    }

    @Test func givesTheSameResultFedOneByteAtATime() {
        var skipper = HTTPChunkedBodySkipper()
        var total = 0
        for (index, byte) in body.enumerated() {
            let result = skipper.consume([byte][...])
            total += result.consumed
            #expect(result.finished == (index == body.count - 1))
        }
        #expect(total == body.count)
        #expect(skipper.isFinished)
    }

    @Test func acceptsBareLineFeeds() {
        var skipper = HTTPChunkedBodySkipper()
        let result = skipper.consume(Array("3\nabc\n0\n\n".utf8)[...])
        #expect(result == (consumed: 9, finished: true))
    }

    @Test(arguments: [
        ("zz\r\n", HTTPChunkedBodyError.invalidChunkSize, 0),
        ("\r\n", .invalidChunkSize, 0),
        ("3\r\nabcX\r\n", .missingChunkTerminator, 6),
        ("11111111111111111\r\n", .chunkSizeOverflow, 16),
        ("1;" + String(repeating: "e", count: 100) + "\r\n", .lineTooLong, 64),
        ("0\r\n" + String(repeating: "t", count: 100), .lineTooLong, 67),
    ] as [(String, HTTPChunkedBodyError, Int)])
    func reportsInvalidBodiesWhereTheyBreak(text: String, error: HTTPChunkedBodyError, consumed: Int) {
        var skipper = HTTPChunkedBodySkipper(maxLineBytes: 64)
        let result = skipper.consume(Array(text.utf8)[...])
        #expect(result == (consumed: consumed, finished: false))
        #expect(skipper.error == error)
        #expect(skipper.consume(Array("0\r\n\r\n".utf8)[...]) == (consumed: 0, finished: false))
    }

    @Test func skipsHugeChunksWithoutBuffering() {
        var skipper = HTTPChunkedBodySkipper()
        #expect(skipper.consume(Array("FFFFFFFF\r\n".utf8)[...]) == (consumed: 10, finished: false))
        let block = [UInt8](repeating: 0x41, count: 1 << 16)
        for _ in 0..<4 { #expect(skipper.consume(block[...]).consumed == block.count) }
        #expect(skipper.bodyBytes == 4 << 16)
        #expect(skipper.error == nil)
    }
}
