import TestSupport
import Testing

@testable import WebSocketProtocol

/// The resumable head parse gives, after every piece of a growing buffer, exactly what the
/// stateless parse of the same bytes gives, while examining each byte about once.
@Suite struct HTTPHeadScanTests {
    static let samples: [String] = [
        "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n\u{81}\u{05}hello",
        "\r\n\r\nGET / HTTP/1.1\nHost: x\n\nrest",
        "GET / HTTP/1.1\r\nX-Folded: a\r\n  b\r\n\r\n",
        "GET / HTTP/1.1\r\nbad header\r\n\r\n",
        "GET / FTP/1.1\r\nHost: x\r\n\r\n",
        "\u{82}\u{7e}binary frame bytes\n\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\u{81}\u{00}",
        "HTTP/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r",
        "\n\r\n\r\r\n",
        "GET /" + String(repeating: "a", count: 300) + " HTTP/1.1\r\n" + String(repeating: "H: v\r\n", count: 40) + "\r\n",
    ]

    /// Feeds `bytes` in pieces; after each one both parses must agree.
    static func checkAgreement(_ bytes: [UInt8], pieceSizes: inout SplitMix64, maxHeadBytes: Int) {
        var requestScan = HTTPHeadScan()
        var responseScan = HTTPHeadScan()
        var end = 0
        while end < bytes.count {
            end = min(bytes.count, end + 1 + Int(pieceSizes.next() % 7))
            let buffer = Array(bytes[..<end])
            let request = HTTPHeadParser.parseRequest(buffer, maxHeadBytes: maxHeadBytes, resuming: &requestScan)
            #expect(request == HTTPHeadParser.parseRequest(buffer, maxHeadBytes: maxHeadBytes), "request, \(end) bytes of \(bytes)")
            let response = HTTPHeadParser.parseResponse(buffer, maxHeadBytes: maxHeadBytes, resuming: &responseScan)
            #expect(response == HTTPHeadParser.parseResponse(buffer, maxHeadBytes: maxHeadBytes), "response, \(end) bytes of \(bytes)")
            if case .needMoreData = request {} else { requestScan = HTTPHeadScan() }
            if case .needMoreData = response {} else { responseScan = HTTPHeadScan() }
        }
    }

    @Test(arguments: 0..<samples.count)
    func resumedParsesAgreeWithStatelessOnes(_ index: Int) {
        var generator = SplitMix64(seed: UInt64(index))
        for maxHeadBytes in [HTTPHeadParser.defaultMaxHeadBytes, 40] {
            Self.checkAgreement(Array(Self.samples[index].utf8), pieceSizes: &generator, maxHeadBytes: maxHeadBytes)
        }
    }

    @Test func randomBytesAgreeToo() {
        var generator = SplitMix64(seed: 42)
        let alphabet = Array("GET HTTP/1.1 \r\n:ab\t".utf8)
        for _ in 0..<300 {
            let length = Int(generator.next() % 80)
            let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            Self.checkAgreement(Array("GET / HTTP/1.1\r\n".utf8) + bytes, pieceSizes: &generator, maxHeadBytes: 64)
        }
    }

    @Test func aHeadGrowingOneByteAtATimeIsExaminedAboutOnce() {
        let head = Array(("GET / HTTP/1.1\r\n" + String(repeating: "X-Header: value\r\n", count: 3000) + "\r\n").utf8)
        var scan = HTTPHeadScan()
        var examined = 0
        for end in 1...head.count {
            let result = HTTPHeadParser.parseRequest(head[..<end], maxHeadBytes: 1 << 20, resuming: &scan)
            examined = max(examined, scan.bytesExamined)
            if end < head.count {
                #expect(result == .needMoreData)
            } else if case .head(_, let consumed) = result {
                #expect(consumed == head.count)
            } else {
                Issue.record("no head at the end: \(result)")
            }
        }
        #expect(examined <= 2 * head.count, "examined \(examined) bytes for a \(head.count)-byte head")
    }

    @Test func aScanFromALongerBufferStartsOverOnAShorterOne() {
        var scan = HTTPHeadScan()
        _ = HTTPHeadParser.parseRequest(Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8), resuming: &scan)
        let result = HTTPHeadParser.parseRequest(Array("GET /b HTTP/1.1\r\n\r\n".utf8), resuming: &scan)
        guard case .head(let head, _) = result else {
            Issue.record("expected a head, got \(result)")
            return
        }
        #expect(head.target == "/b")
    }
}
