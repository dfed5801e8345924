import FuzzSupport
import WebSocketProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    // Small caps too, so the limit paths are reached with short inputs.
    let maxHeadBytes = input.byte() < 128 ? HTTPHeadParser.defaultMaxHeadBytes : Int(input.uint16()) + 1
    let head = Array(input.rest())
    _ = HTTPHeadParser.parseRequest(head, maxHeadBytes: maxHeadBytes)
    _ = HTTPHeadParser.parseResponse(head, maxHeadBytes: maxHeadBytes)
    _ = HTTPHeadParser.parseRequest(head[...].dropFirst(head.count / 2), maxHeadBytes: maxHeadBytes)
    return 0
}

/// The program's entry point (see `runFuzzer`).
@_cdecl("FuzzHTTPHead_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
