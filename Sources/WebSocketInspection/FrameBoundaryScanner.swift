/// Finds where WebSocket frames start in bytes that begin at an unknown point: a capture that started
/// mid-stream, or a stream after lost data.
///
/// A candidate offset is accepted only when its header is plausible (a known opcode, the masking the
/// sender's role requires, no reserved bits except RSV1 when compression may be on, control frames
/// short and unfragmented, a minimal length encoding) *and* the header that follows the frame is
/// plausible too. Two headers in a row at the right distance are very unlikely by chance.
public struct FrameBoundaryScanner: Sendable {
    /// Whether frames are expected to be masked: true for a client, false for a server, nil if unknown.
    public var expectMasked: Bool?
    /// Whether RSV1 may be set (permessage-deflate negotiated or unknown).
    public var allowCompression: Bool
    /// Largest frame payload believed (a longer length is taken as a false boundary).
    public var maxPlausibleFrameLength: UInt64

    public init(expectMasked: Bool?, allowCompression: Bool, maxPlausibleFrameLength: UInt64) {
        self.expectMasked = expectMasked
        self.allowCompression = allowCompression
        self.maxPlausibleFrameLength = maxPlausibleFrameLength
    }

    /// The outcome of a scan.
    public enum Result: Sendable, Equatable {
        /// Frames start at this offset; `chained` is how many consecutive plausible headers were seen.
        case boundary(offset: Int, chained: Int, masked: Bool)
        /// No boundary can be decided yet: more bytes are needed. Bytes before `discardable` can never
        /// start a frame and may be dropped.
        case needMoreBytes(discardable: Int)
    }

    /// Scans `bytes`. With `isFinal`, a single frame that ends exactly at the end of the bytes counts.
    public func scan(_ bytes: UnsafeRawBufferPointer, isFinal: Bool) -> Result {
        var offset = 0
        while offset < bytes.count {
            switch check(bytes, at: offset, masked: expectMasked) {
            case .no:
                offset += 1
                continue
            case .needMore:
                return .needMoreBytes(discardable: offset)
            case .yes(let end, let masked):
                // A second plausible header right after the frame confirms the boundary.
                var chained = 1
                var position = end
                while chained < 3 && position < bytes.count {
                    guard case .yes(let next, _) = check(bytes, at: position, masked: masked) else { break }
                    chained += 1
                    position = next
                }
                if chained >= 2 { return .boundary(offset: offset, chained: chained, masked: masked) }
                if position == bytes.count {
                    if isFinal { return .boundary(offset: offset, chained: 1, masked: masked) }
                    return .needMoreBytes(discardable: offset)
                }
                if position < bytes.count, case .needMore = check(bytes, at: position, masked: masked) {
                    if isFinal { return .boundary(offset: offset, chained: 1, masked: masked) }
                    return .needMoreBytes(discardable: offset)
                }
                offset += 1
            }
        }
        return .needMoreBytes(discardable: offset)
    }

    private enum Check { case no, needMore, yes(end: Int, masked: Bool) }

    private func check(_ bytes: UnsafeRawBufferPointer, at offset: Int, masked expected: Bool?) -> Check {
        let view = UnsafeRawBufferPointer(rebasing: bytes[offset...])
        switch WebSocketFrameHeader.parse(view) {
        case .invalid:
            return .no
        case .needMoreBytes:
            // Judge what is there: the first byte alone can already rule the offset out.
            let first = view[0]
            let opcode = WebSocketOpcode(rawValue: first & 0x0f)
            if !opcode.isKnown || first & 0x30 != 0 || (first & 0x40 != 0 && !allowCompression) { return .no }
            if view.count >= 2, let expected, (view[1] & 0x80 != 0) != expected { return .no }
            return .needMore
        case .header(let header):
            let masked = header.maskKey != nil
            if let expected, masked != expected { return .no }
            if !header.opcode.isKnown || header.reservedBits & 0b011 != 0 { return .no }
            if header.rsv1 && (!allowCompression || header.opcode.isControl || header.opcode == .continuation) { return .no }
            if header.opcode.isControl && (!header.fin || header.payloadLength > 125) { return .no }
            if header.usesNonMinimalLength || header.payloadLength > maxPlausibleFrameLength { return .no }
            let end = UInt64(offset) + UInt64(header.headerLength) + header.payloadLength
            guard end <= UInt64(bytes.count) else { return .needMore }
            return .yes(end: Int(end), masked: masked)
        }
    }
}
