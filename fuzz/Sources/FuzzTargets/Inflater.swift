import WebSocketProtocol

/// `PerMessageInflater` on length-prefixed messages, with resets; the first byte picks the window
/// and context takeover.
func fuzzInflater(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let settings = input.byte()
    let windowBits = 8 + Int(settings & 0x07)  // 8…15, including RFC 7692's 8
    let noContextTakeover = settings & 0x08 != 0
    // Small caps keep each run fast; the cap logic is what is being exercised.
    let configuration = InflateConfiguration(maxMessageBytes: 1 << 16, maxInflatedBytes: 1 << 20)
    let inflater = PerMessageInflater(windowBits: windowBits, noContextTakeover: noContextTakeover, configuration: configuration)
    // Messages: a length byte then that many bytes, until the input ends.
    while !input.isAtEnd {
        let length = Int(input.byte())
        let message = Array(input.take(length))
        _ = inflater.inflate(message: message)
        if input.byte() == 0xFF { inflater.reset() }
    }
    return 0
}
