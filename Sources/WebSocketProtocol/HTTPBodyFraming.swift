/// How the body after an HTTP head is delimited (RFC 9112 §6.3).
///
/// The inspector does not show HTTP bodies; it must only know where the next head (keep-alive)
/// starts, or that nothing after this head can be framed.
public enum HTTPBodyFraming: Sendable, Equatable {
    /// No body: the next head (or the WebSocket stream after a 101) starts right after this one.
    case none
    /// Exactly this many bytes of body follow.
    case contentLength(UInt64)
    /// A chunked body follows; skip it with `HTTPChunkedBodySkipper`.
    case chunked
    /// The body runs until the connection closes. Also the answer when the framing headers are
    /// contradictory or malformed: then no later byte can be trusted to start a head.
    case untilClose
}

extension HTTPRequestHead {
    /// The body framing of this request.
    ///
    /// Transfer-Encoding wins over Content-Length (RFC 9112 §6.3 rule 3). A request without either
    /// has no body. Unframeable requests (a final coding other than chunked, a malformed or
    /// conflicting Content-Length) give `.untilClose`, since a server would reject and close them.
    public var bodyFraming: HTTPBodyFraming {
        switch headers.declaredFraming {
        case .chunked: return .chunked
        case .unframeable: return .untilClose
        case .contentLength(let length): return length == 0 ? .none : .contentLength(length)
        case .undeclared: return .none
        }
    }
}

extension HTTPResponseHead {
    /// The body framing of this response to a request with `requestMethod`.
    ///
    /// 1xx, 204 and 304 responses and answers to HEAD never have a body; a 2xx answer to CONNECT
    /// turns the connection into a tunnel. Otherwise Transfer-Encoding, then Content-Length, and
    /// without either the body runs until the connection closes.
    public func bodyFraming(requestMethod: String) -> HTTPBodyFraming {
        if (100..<200).contains(status) || status == 204 || status == 304 || requestMethod == "HEAD" {
            return .none
        }
        if requestMethod == "CONNECT", (200..<300).contains(status) { return .untilClose }
        switch headers.declaredFraming {
        case .chunked: return .chunked
        case .unframeable, .undeclared: return .untilClose
        case .contentLength(let length): return length == 0 ? .none : .contentLength(length)
        }
    }
}

/// What the framing headers say, before the message kind decides what their absence means.
enum DeclaredBodyFraming: Equatable {
    case undeclared
    case chunked
    case contentLength(UInt64)
    case unframeable
}

extension HTTPHeaders {
    var declaredFraming: DeclaredBodyFraming {
        let codings = listElements("Transfer-Encoding")
        if let last = codings.last {
            return asciiCaseInsensitiveEquals(last, "chunked") ? .chunked : .unframeable
        }
        let lengths = listElements("Content-Length")
        guard let first = lengths.first else {
            // A present but empty Content-Length is malformed, not absent.
            return all("Content-Length").isEmpty ? .undeclared : .unframeable
        }
        // Repeated identical values are allowed (RFC 9110 §8.6); differing ones are an attack vector.
        guard lengths.allSatisfy({ $0 == first }), let length = parseDecimal(first) else { return .unframeable }
        return .contentLength(length)
    }
}

/// Parses 1*DIGIT into a `UInt64`, nil on any other byte or on overflow.
func parseDecimal(_ text: String) -> UInt64? {
    guard !text.isEmpty else { return nil }
    var value: UInt64 = 0
    for byte in text.utf8 {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        let (shifted, overflowShift) = value.multipliedReportingOverflow(by: 10)
        let (sum, overflowAdd) = shifted.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
        guard !overflowShift, !overflowAdd else { return nil }
        value = sum
    }
    return value
}
