import WebSocketProtocol
extension WebSocketStreamDecoder {
    /// The most capacity reserved ahead of the bytes that arrived: a frame header can claim any
    /// length, so it never reserves more than this before the bytes come.
    static let maxBytesReservedAhead = 256 << 10

    /// At the start of a data frame, makes room for its payload at once (the header says how long
    /// it is), instead of letting the message buffer double its way up from a few bytes and copy
    /// the payload each time. Never past `limit`, never more than `maxBytesReservedAhead` ahead,
    /// and at least doubling, so many small fragments still grow geometrically.
    static func reserveForFrame(_ header: WebSocketFrameHeader, in payload: inout [UInt8], limit: Int) {
        let claimed = Int(clamping: header.payloadLength)
        let wanted = min(limit, payload.count + min(claimed, maxBytesReservedAhead))
        guard wanted > payload.capacity else { return }
        payload.reserveCapacity(max(wanted, min(limit, payload.capacity * 2)))
    }
}
