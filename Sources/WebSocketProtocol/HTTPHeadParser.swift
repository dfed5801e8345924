/// Parses HTTP/1.x request and response heads from the start of a captured byte stream.
///
/// Call it with everything buffered so far; it reports `.needMoreData` until the blank line arrives.
/// Callers that feed a growing buffer pass an `HTTPHeadScan` (`resuming:`), so that each call only
/// examines the bytes added since the last one: without it a head arriving one byte per segment is
/// re-parsed per byte, which is quadratic. The results are exactly those of the stateless parse of
/// the same bytes (a test checks this after every piece of random splits).
///
/// Input is any `Collection<UInt8>`; `consumed` counts elements from its start. Contiguous inputs
/// (`[UInt8]`, `ArraySlice<UInt8>`, NIO's readable bytes view) are read in place; others are copied,
/// at most `maxHeadBytes` of them.
///
/// Tolerant where real traffic varies (bare LF line ends, obsolete line folding, empty lines before
/// a request, non-UTF-8 bytes decoded as Latin-1) and strict where it decides whether the stream is
/// HTTP at all (start line shape, header names must be tokens), because a wrong "yes" would hide
/// WebSocket frames of a mid-stream capture behind a bogus head.
public enum HTTPHeadParser {
    /// The default cap on a head: large enough for cookie-heavy browser requests, small enough that
    /// a non-HTTP stream is given up on quickly.
    public static let defaultMaxHeadBytes = 65536

    /// Methods longer than this are not believed: the longest registered method is 17 characters,
    /// and without a bound a binary stream of token-looking bytes would be waited on to the cap.
    static let maxMethodBytes = 32

    /// Parses a request head (`GET /chat HTTP/1.1` …) from the start of `bytes`.
    public static func parseRequest(
        _ bytes: some Collection<UInt8>,
        maxHeadBytes: Int = defaultMaxHeadBytes
    ) -> HTTPHeadParseResult<HTTPRequestHead> {
        withLimitedBuffer(bytes, maxHeadBytes: maxHeadBytes) { buffer in
            parse(buffer, maxHeadBytes: maxHeadBytes, checkPrefix: checkRequestLinePrefix, startLine: parseRequestLine) {
                HTTPRequestHead(method: $0.0, target: $0.1, version: $0.2, headers: $1)
            }
        }
    }

    /// Parses a response head (`HTTP/1.1 101 Switching Protocols` …) from the start of `bytes`.
    public static func parseResponse(
        _ bytes: some Collection<UInt8>,
        maxHeadBytes: Int = defaultMaxHeadBytes
    ) -> HTTPHeadParseResult<HTTPResponseHead> {
        withLimitedBuffer(bytes, maxHeadBytes: maxHeadBytes) { buffer in
            parse(buffer, maxHeadBytes: maxHeadBytes, checkPrefix: checkStatusLinePrefix, startLine: parseStatusLine) {
                HTTPResponseHead(version: $0.0, status: $0.1, reason: $0.2, headers: $1)
            }
        }
    }

    /// `parseRequest(_:maxHeadBytes:)` for a buffer that grows between calls: resumes where `scan`
    /// got to, and records how far it got. The same results as the stateless call.
    public static func parseRequest(
        _ bytes: some Collection<UInt8>,
        maxHeadBytes: Int = defaultMaxHeadBytes,
        resuming scan: inout HTTPHeadScan
    ) -> HTTPHeadParseResult<HTTPRequestHead> {
        withLimitedBuffer(bytes, maxHeadBytes: maxHeadBytes) { buffer in
            resume(buffer, maxHeadBytes: maxHeadBytes, scan: &scan, checkPrefix: checkRequestLinePrefix, startLine: parseRequestLine) {
                HTTPRequestHead(method: $0.0, target: $0.1, version: $0.2, headers: $1)
            }
        }
    }

    /// `parseResponse(_:maxHeadBytes:)` for a buffer that grows between calls (see `parseRequest`).
    public static func parseResponse(
        _ bytes: some Collection<UInt8>,
        maxHeadBytes: Int = defaultMaxHeadBytes,
        resuming scan: inout HTTPHeadScan
    ) -> HTTPHeadParseResult<HTTPResponseHead> {
        withLimitedBuffer(bytes, maxHeadBytes: maxHeadBytes) { buffer in
            resume(buffer, maxHeadBytes: maxHeadBytes, scan: &scan, checkPrefix: checkStatusLinePrefix, startLine: parseStatusLine) {
                HTTPResponseHead(version: $0.0, status: $0.1, reason: $0.2, headers: $1)
            }
        }
    }

    // MARK: - Driver

    private typealias Bytes = UnsafeBufferPointer<UInt8>
    private typealias Line = Slice<UnsafeBufferPointer<UInt8>>
    private enum StartLine<Value> { case valid(Value), invalid(String) }

    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// Runs `body` over at most the first `maxHeadBytes` bytes, in place when possible.
    private static func withLimitedBuffer<Head>(
        _ bytes: some Collection<UInt8>,
        maxHeadBytes: Int,
        _ body: (Bytes) -> HTTPHeadParseResult<Head>
    ) -> HTTPHeadParseResult<Head> {
        let limit = max(0, maxHeadBytes)
        if let result = bytes.withContiguousStorageIfAvailable({ buffer in
            body(Bytes(rebasing: buffer.prefix(limit)))
        }) {
            return result
        }
        return Array(bytes.prefix(limit)).withUnsafeBufferPointer(body)
    }

    private static func parse<StartValue, Head>(
        _ buffer: Bytes,
        maxHeadBytes: Int,
        checkPrefix: (Line) -> String?,
        startLine: (Line) -> StartLine<StartValue>,
        makeHead: (StartValue, HTTPHeaders) -> Head
    ) -> HTTPHeadParseResult<Head> {
        let reachedLimit = buffer.count >= maxHeadBytes
        // RFC 9112 §2.2: tolerate empty lines before the start line (leftovers of a previous body).
        var position = 0
        while position < buffer.count, buffer[position] == lineFeed || buffer[position] == carriageReturn {
            position += 1
        }
        guard let firstLineFeed = buffer[position...].firstIndex(of: lineFeed) else {
            if let reason = checkPrefix(buffer[position...]) { return .invalid(reason) }
            return reachedLimit ? .tooLarge : .needMoreData
        }
        let startValue: StartValue
        switch startLine(stripCarriageReturn(buffer[position..<firstLineFeed])) {
        case .invalid(let reason): return .invalid(reason)
        case .valid(let value): startValue = value
        }
        position = firstLineFeed + 1

        var headerLines: [Line] = []
        while true {
            guard let lineFeedIndex = buffer[position...].firstIndex(of: lineFeed) else {
                return reachedLimit ? .tooLarge : .needMoreData
            }
            let line = stripCarriageReturn(buffer[position..<lineFeedIndex])
            position = lineFeedIndex + 1
            if line.isEmpty { break }
            headerLines.append(line)
        }
        switch parseHeaderLines(headerLines) {
        case .invalid(let reason): return .invalid(reason)
        case .valid(let headers): return .head(makeHead(startValue, headers), consumed: position)
        }
    }

    /// Walks the lines `parse` walks, from where `scan` stopped, without building anything: the
    /// start line is checked once, when its end arrives (so a stream that is not HTTP is still
    /// recognised early), and the whole head is parsed once, when its blank line arrives.
    private static func resume<StartValue, Head>(
        _ buffer: Bytes,
        maxHeadBytes: Int,
        scan: inout HTTPHeadScan,
        checkPrefix: (Line) -> String?,
        startLine: (Line) -> StartLine<StartValue>,
        makeHead: (StartValue, HTTPHeaders) -> Head
    ) -> HTTPHeadParseResult<Head> {
        if scan.scanned > buffer.count { scan = HTTPHeadScan() }
        let reachedLimit = buffer.count >= maxHeadBytes
        let resumedAt = scan.scanned
        var position = scan.scanned
        func waitForMore() -> HTTPHeadParseResult<Head> {
            scan.scanned = buffer.count
            scan.bytesExamined += buffer.count - resumedAt
            return reachedLimit ? .tooLarge : .needMoreData
        }
        while true {
            switch scan.phase {
            case .leadingLineEnds:
                while position < buffer.count, buffer[position] == lineFeed || buffer[position] == carriageReturn {
                    position += 1
                }
                guard position < buffer.count else { return waitForMore() }
                scan.phase = .startLine(start: position)
            case .startLine(let start):
                guard let lineFeedIndex = buffer[position...].firstIndex(of: lineFeed) else {
                    if let reason = checkPrefix(buffer[start...]) { return .invalid(reason) }
                    return waitForMore()
                }
                if case .invalid(let reason) = startLine(stripCarriageReturn(buffer[start..<lineFeedIndex])) {
                    return .invalid(reason)
                }
                position = lineFeedIndex + 1
                scan.phase = .headerLines(lineStart: position)
            case .headerLines(let lineStart):
                guard let lineFeedIndex = buffer[position...].firstIndex(of: lineFeed) else { return waitForMore() }
                if stripCarriageReturn(buffer[lineStart..<lineFeedIndex]).isEmpty {
                    scan.bytesExamined += lineFeedIndex + 1 - resumedAt
                    return parse(buffer, maxHeadBytes: maxHeadBytes, checkPrefix: checkPrefix, startLine: startLine, makeHead: makeHead)
                }
                position = lineFeedIndex + 1
                scan.phase = .headerLines(lineStart: position)
            }
        }
    }

    private static func stripCarriageReturn(_ line: Line) -> Line {
        if let last = line.last, last == carriageReturn { return line.dropLast() }
        return line
    }

    // MARK: - Start lines

    /// Rejects a partial first line early when it cannot become a request line, so a binary stream
    /// is recognised from its first bytes instead of after `maxHeadBytes`.
    private static func checkRequestLinePrefix(_ prefix: Line) -> String? {
        var methodLength = 0
        for byte in prefix {
            if byte == UInt8(ascii: " ") { return methodLength == 0 ? "request line starts with a space" : nil }
            if !isTokenCharacter(byte) { return "byte \(hex(byte)) cannot start an HTTP request line" }
            methodLength += 1
            if methodLength > maxMethodBytes { return "request method longer than \(maxMethodBytes) bytes" }
        }
        return nil
    }

    private static func checkStatusLinePrefix(_ prefix: Line) -> String? {
        let expected = "HTTP/".utf8
        for (byte, wanted) in zip(prefix, expected) where byte != wanted {
            return "byte \(hex(byte)) cannot start an HTTP status line"
        }
        return nil
    }

    private static func parseRequestLine(_ line: Line) -> StartLine<(String, String, String)> {
        if let reason = checkRequestLinePrefix(line) { return .invalid(reason) }
        guard let firstSpace = line.firstIndex(of: UInt8(ascii: " ")),
            let lastSpace = line.lastIndex(of: UInt8(ascii: " ")), lastSpace > firstSpace
        else {
            return .invalid("request line has no HTTP version")
        }
        let version = line[(lastSpace + 1)...]
        guard isHTTPVersion(version) else { return .invalid("request line does not end with an HTTP version") }
        let target = trimmingWhitespace(line[(firstSpace + 1)..<lastSpace])
        guard !target.isEmpty else { return .invalid("request line has an empty target") }
        return .valid((decodeText(line[..<firstSpace]), decodeText(target), decodeText(version)))
    }

    private static func parseStatusLine(_ line: Line) -> StartLine<(String, Int, String)> {
        let versionEnd = line.startIndex + 8
        guard line.count >= 12, isHTTPVersion(line[..<versionEnd]), line[versionEnd] == UInt8(ascii: " ") else {
            return .invalid(checkStatusLinePrefix(line) ?? "status line does not start with an HTTP version")
        }
        var status = 0
        for byte in line[(versionEnd + 1)..<(versionEnd + 4)] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                return .invalid("status code is not three digits")
            }
            status = status * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard status >= 100 else { return .invalid("status code \(status) is below 100") }
        let rest = line[(versionEnd + 4)...]
        if let first = rest.first, first != UInt8(ascii: " ") {
            return .invalid("status code is not followed by a space")
        }
        return .valid((decodeText(line[..<versionEnd]), status, decodeText(trimmingWhitespace(rest))))
    }

    /// `HTTP/` DIGIT `.` DIGIT, exactly (RFC 9112 §2.3; the name is case-sensitive).
    private static func isHTTPVersion(_ bytes: Line) -> Bool {
        guard bytes.count == 8 else { return false }
        let start = bytes.startIndex
        return bytes.starts(with: "HTTP/".utf8) && isDigit(bytes[start + 5])
            && bytes[start + 6] == UInt8(ascii: ".") && isDigit(bytes[start + 7])
    }

    // MARK: - Header fields

    private static func parseHeaderLines(_ lines: [Line]) -> StartLine<HTTPHeaders> {
        var fields: [HTTPField] = []
        fields.reserveCapacity(lines.count)
        for line in lines {
            guard let first = line.first else { continue }
            if isWhitespace(first) {
                // Obsolete line folding (RFC 9112 §5.2): the line continues the previous value.
                guard !fields.isEmpty else { return .invalid("continuation line before any header field") }
                let continuation = trimmingWhitespace(line)
                if !continuation.isEmpty {
                    let joined = fields[fields.count - 1].value
                    fields[fields.count - 1].value = joined.isEmpty ? decodeText(continuation) : joined + " " + decodeText(continuation)
                }
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                return .invalid("header line without a colon")
            }
            let name = line[..<colon]
            guard !name.isEmpty, name.allSatisfy(isTokenCharacter) else {
                return .invalid("header name is not a token")
            }
            fields.append(HTTPField(name: decodeText(name), value: decodeText(trimmingWhitespace(line[(colon + 1)...]))))
        }
        return .valid(HTTPHeaders(fields))
    }

    // MARK: - Text

    /// Decodes header bytes as UTF-8 when valid, else as Latin-1 (RFC 9110 §5.5: historically
    /// ISO-8859-1), so no byte is ever lost or replaced.
    private static func decodeText(_ bytes: Line) -> String {
        if bytes.allSatisfy({ $0 < 0x80 }) || isValidUTF8(bytes) {
            return String(decoding: bytes, as: UTF8.self)
        }
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(Unicode.Scalar(byte)) }
        return String(scalars)
    }

    private static func isValidUTF8(_ bytes: Line) -> Bool {
        UTF8Validation.isValid(bytes)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return "0x" + String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
    }
}
