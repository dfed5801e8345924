import WebSocketProtocol

/// `HTTPHeadParser` request and response parsing, with the default cap and small ones.
func fuzzHTTPHead(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    // Small caps too, so the limit paths are reached with short inputs.
    let maxHeadBytes = input.byte() < 128 ? HTTPHeadParser.defaultMaxHeadBytes : Int(input.uint16()) + 1
    let head = Array(input.rest())
    _ = HTTPHeadParser.parseRequest(head, maxHeadBytes: maxHeadBytes)
    _ = HTTPHeadParser.parseResponse(head, maxHeadBytes: maxHeadBytes)
    _ = HTTPHeadParser.parseRequest(head[...].dropFirst(head.count / 2), maxHeadBytes: maxHeadBytes)
    return 0
}
