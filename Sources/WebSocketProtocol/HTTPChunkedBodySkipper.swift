/// Why a chunked body could not be followed.
public enum HTTPChunkedBodyError: Error, Sendable, Equatable {
    /// A chunk-size line did not start with a hexadecimal digit.
    case invalidChunkSize
    /// The chunk size does not fit in 64 bits.
    case chunkSizeOverflow
    /// A chunk-size or trailer line exceeded `maxLineBytes`.
    case lineTooLong
    /// The bytes after a chunk's data were not CRLF (or LF).
    case missingChunkTerminator
}

/// Walks over a chunked HTTP body (RFC 9112 §7.1) without keeping it, to find where the next
/// head starts on a keep-alive connection before the WebSocket upgrade.
///
/// Nothing is buffered: chunk sizes are accumulated digit by digit and extensions and trailers are
/// only counted, so memory stays constant whatever the sender does; `maxLineBytes` bounds how long
/// a line may run before the stream is declared invalid.
public struct HTTPChunkedBodySkipper: Sendable {
    private enum State: Sendable, Equatable {
        case sizeDigits(digits: Int)
        case sizeRest
        case data(remaining: UInt64)
        case dataTerminator(sawCarriageReturn: Bool)
        case trailer(lineLength: Int)
        case finished
        case failed
    }

    /// The longest chunk-size or trailer line accepted. 4 KiB covers any real chunk extension or
    /// trailer field; beyond that the stream is almost certainly not a chunked body.
    public let maxLineBytes: Int

    private var state: State = .sizeDigits(digits: 0)
    private var chunkSize: UInt64 = 0
    private var lineLength = 0

    /// Why the body could not be followed, once `consume` stopped on invalid input.
    public private(set) var error: HTTPChunkedBodyError?
    /// Body bytes seen so far (chunk data only, without framing), for statistics.
    public private(set) var bodyBytes: UInt64 = 0

    /// - Parameter maxLineBytes: see `maxLineBytes`; default 4096.
    public init(maxLineBytes: Int = 4096) {
        self.maxLineBytes = max(1, maxLineBytes)
    }

    /// Whether the last chunk and the trailer section have been passed.
    public var isFinished: Bool { state == .finished }

    /// Consumes body bytes from the start of `bytes`.
    ///
    /// - Returns: how many bytes belong to the body, and whether it ended. When it ended, bytes
    ///   after `consumed` belong to the next message. When `error` becomes non-nil, `consumed` is
    ///   where the invalid byte was and later calls consume nothing.
    public mutating func consume(_ bytes: ArraySlice<UInt8>) -> (consumed: Int, finished: Bool) {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            switch state {
            case .finished:
                return (index - bytes.startIndex, true)
            case .failed:
                return (index - bytes.startIndex, false)
            case .data(let remaining):
                let available = UInt64(bytes.endIndex - index)
                let take = min(available, remaining)
                index += Int(take)
                bodyBytes &+= take
                state = take == remaining ? .dataTerminator(sawCarriageReturn: false) : .data(remaining: remaining - take)
                continue
            default:
                break
            }
            step(bytes[index])
            if state != .failed { index += 1 }
        }
        return (index - bytes.startIndex, state == .finished)
    }

    /// Advances the line-oriented states by one byte.
    private mutating func step(_ byte: UInt8) {
        switch state {
        case .sizeDigits(let digits):
            if let value = hexValue(byte) {
                guard chunkSize >> 60 == 0 else { return fail(.chunkSizeOverflow) }
                chunkSize = chunkSize << 4 | UInt64(value)
                state = .sizeDigits(digits: digits + 1)
                countLineByte()
            } else if digits == 0 {
                fail(.invalidChunkSize)
            } else if byte == UInt8(ascii: "\n") {
                endSizeLine()
            } else {
                // Extensions (`;name=value`), whitespace and CR are passed over until the LF.
                state = .sizeRest
                countLineByte()
            }
        case .sizeRest:
            if byte == UInt8(ascii: "\n") { endSizeLine() } else { countLineByte() }
        case .dataTerminator(let sawCarriageReturn):
            if byte == UInt8(ascii: "\n") {
                startSizeLine()
            } else if byte == UInt8(ascii: "\r"), !sawCarriageReturn {
                state = .dataTerminator(sawCarriageReturn: true)
            } else {
                fail(.missingChunkTerminator)
            }
        case .trailer(let length):
            if byte == UInt8(ascii: "\n") {
                state = length == 0 ? .finished : .trailer(lineLength: 0)
            } else if byte == UInt8(ascii: "\r") {
                state = .trailer(lineLength: length)
            } else if length >= maxLineBytes {
                fail(.lineTooLong)
            } else {
                state = .trailer(lineLength: length + 1)
            }
        case .data, .finished, .failed:
            break
        }
    }

    private mutating func countLineByte() {
        lineLength += 1
        if lineLength > maxLineBytes { fail(.lineTooLong) }
    }

    private mutating func endSizeLine() {
        state = chunkSize == 0 ? .trailer(lineLength: 0) : .data(remaining: chunkSize)
    }

    private mutating func startSizeLine() {
        chunkSize = 0
        lineLength = 0
        state = .sizeDigits(digits: 0)
    }

    private mutating func fail(_ error: HTTPChunkedBodyError) {
        self.error = error
        state = .failed
    }

    private func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
