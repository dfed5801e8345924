import WebSocketProtocol
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
    /// The bytes start at a TCP segment boundary where a frame probably starts too (the first data of
    /// a direction in a mid-stream capture): one plausible frame at offset 0 that fills the bytes
    /// exactly is then enough.
    public var trustsStart: Bool

    public init(expectMasked: Bool?, allowCompression: Bool, maxPlausibleFrameLength: UInt64, trustsStart: Bool = false) {
        self.expectMasked = expectMasked
        self.allowCompression = allowCompression
        self.maxPlausibleFrameLength = maxPlausibleFrameLength
        self.trustsStart = trustsStart
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
        if trustsStart, let masked = longFrameAtStart(bytes) {
            return .boundary(offset: 0, chained: 1, masked: masked)
        }
        var offset = 0
        while offset < bytes.count {
            switch check(bytes, at: offset, masked: expectMasked) {
            case .no:
                offset += 1
                continue
            case .needMore:
                // At the end of the stream a frame that does not fit never will: look further on
                // (a final close frame after the tail of a long payload is still found).
                if isFinal {
                    offset += 1
                    continue
                }
                return .needMoreBytes(discardable: offset)
            case .yes(let end, let masked, let first):
                // Further plausible headers right after the frame, consistent in masking and in
                // fragmentation, confirm the boundary.
                var chained = 1
                var position = end
                var fragmented = !first.fin && !first.opcode.isControl
                var consistent = true
                while chained < 3 && position < bytes.count {
                    guard case .yes(let next, _, let header) = check(bytes, at: position, masked: masked) else { break }
                    if !header.opcode.isControl {
                        if (header.opcode == .continuation) != fragmented { consistent = false; break }
                        fragmented = !header.fin
                    }
                    chained += 1
                    position = next
                }
                if consistent {
                    if chained >= 2 { return .boundary(offset: offset, chained: chained, masked: masked) }
                    let atEnd = position == bytes.count
                    var headerCutShort = false
                    if !atEnd, case .needMore = check(bytes, at: position, masked: masked) { headerCutShort = true }
                    if atEnd && offset == 0 && trustsStart && expectMasked != nil {
                        return .boundary(offset: 0, chained: 1, masked: masked)
                    }
                    if atEnd || headerCutShort {
                        if isFinal { return .boundary(offset: offset, chained: 1, masked: masked) }
                        return .needMoreBytes(discardable: offset)
                    }
                }
                offset += 1
            }
        }
        return .needMoreBytes(discardable: offset)
    }

    /// With `trustsStart`: whether the bytes open with the header of a data frame longer than they
    /// are (a 16- or 64-bit length, the sender's masking), and its masking. Such a frame's next
    /// header can be a megabyte away, past what the search may hold (`maxResynchronizationBytes`):
    /// waiting for it would drop a real frame at a segment start. The frames after it are on
    /// probation all the same (WebSocketStreamDecoder+Probation.swift).
    private func longFrameAtStart(_ bytes: UnsafeRawBufferPointer) -> Bool? {
        guard let expectMasked, case .header(let header) = WebSocketFrameHeader.parse(bytes) else { return nil }
        guard (header.maskKey != nil) == expectMasked, header.opcode.isData, header.reservedBits & 0b011 == 0,
              !header.rsv1 || allowCompression, !header.usesNonMinimalLength, header.payloadLength > 125,
              header.payloadLength <= maxPlausibleFrameLength,
              UInt64(header.headerLength) + header.payloadLength > UInt64(bytes.count)
        else { return nil }
        if header.opcode == .text && !header.rsv1 {
            var payload = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[header.headerLength...]))
            if let key = header.maskKey { payload = WebSocketMasking.unmasked(payload, maskKey: key) }
            if !UTF8Validation.isValidPrefix(payload, complete: false) { return nil }
        }
        return expectMasked
    }

    private enum Check { case no, needMore, yes(end: Int, masked: Bool, header: WebSocketFrameHeader) }

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
            // Uncompressed text must be UTF-8: a cheap and strong test against chance matches.
            if header.opcode == .text && !header.rsv1 {
                let start = offset + header.headerLength
                var payload = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<Int(end)]))
                if let key = header.maskKey { payload = WebSocketMasking.unmasked(payload, maskKey: key) }
                if !UTF8Validation.isValidPrefix(payload, complete: header.fin) { return .no }
            }
            return .yes(end: Int(end), masked: masked, header: header)
        }
    }
}
