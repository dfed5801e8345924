/// One header line as it appeared on the wire (after unfolding and trimming the value).
public struct HTTPField: Sendable, Equatable {
    /// The name with its original spelling, so an inspector can show `Upgrade: WebSocket` as sent.
    public var name: String
    /// The value without leading or trailing whitespace; folded lines joined by one space.
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// An ordered list of header fields with case-insensitive lookup.
///
/// Why not a dictionary: a capture must be shown as it was sent — original order, original name
/// spelling, and duplicates (two `Sec-WebSocket-Extensions` lines are legal and mean one list).
public struct HTTPHeaders: Sendable, Equatable {
    /// The fields in wire order.
    public var fields: [HTTPField]

    public init(_ fields: [HTTPField] = []) {
        self.fields = fields
    }

    /// The value of the first field named `name` (ASCII case-insensitive), if any.
    public func first(_ name: String) -> String? {
        fields.first { asciiCaseInsensitiveEquals($0.name, name) }?.value
    }

    /// The values of every field named `name` (ASCII case-insensitive), in wire order.
    public func all(_ name: String) -> [String] {
        fields.filter { asciiCaseInsensitiveEquals($0.name, name) }.map(\.value)
    }

    /// Whether any field named `name` lists `token` among its comma-separated elements.
    ///
    /// Comparison ignores ASCII case and surrounding whitespace, so `Connection: keep-alive, Upgrade`
    /// contains `upgrade`. Used for the `Connection` and `Upgrade` checks of the WebSocket handshake.
    public func containsToken(_ name: String, _ token: String) -> Bool {
        for value in all(name) {
            for element in value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true)
            where asciiCaseInsensitiveEquals(trimmingWhitespace(element), token.utf8) {
                return true
            }
        }
        return false
    }

    /// Comma-separated elements of every field named `name`, trimmed, empty ones dropped.
    ///
    /// For list-valued headers such as `Sec-WebSocket-Protocol` that may also be split over lines.
    public func listElements(_ name: String) -> [String] {
        var elements: [String] = []
        for value in all(name) {
            for element in value.split(separator: ",") {
                let trimmed = String(decoding: trimmingWhitespace(element.utf8), as: UTF8.self)
                if !trimmed.isEmpty { elements.append(trimmed) }
            }
        }
        return elements
    }
}

/// ASCII case-insensitive comparison; header names and tokens are ASCII by grammar, and comparing
/// bytes avoids Unicode case folding, which would treat some non-ASCII look-alikes as equal.
func asciiCaseInsensitiveEquals(_ lhs: String, _ rhs: String) -> Bool {
    asciiCaseInsensitiveEquals(lhs.utf8, rhs.utf8)
}

func asciiCaseInsensitiveEquals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
    guard lhs.count == rhs.count else { return false }
    return zip(lhs, rhs).allSatisfy { asciiLowercased($0) == asciiLowercased($1) }
}

@inline(__always)
func asciiLowercased(_ byte: UInt8) -> UInt8 {
    (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) ? byte | 0x20 : byte
}

/// Drops leading and trailing spaces and horizontal tabs (HTTP "OWS").
func trimmingWhitespace<Bytes: BidirectionalCollection<UInt8>>(_ bytes: Bytes) -> Bytes.SubSequence {
    var start = bytes.startIndex
    var end = bytes.endIndex
    while start < end, isWhitespace(bytes[start]) { start = bytes.index(after: start) }
    while end > start, isWhitespace(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
    return bytes[start..<end]
}

@inline(__always)
func isWhitespace(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
}

/// RFC 9110 `tchar`: the characters allowed in methods, header names and extension tokens.
@inline(__always)
func isTokenCharacter(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
        UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
        UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        return true
    default:
        return false
    }
}
