/// The HTTP syntax a request head must keep when replay writes it again (RFC 9110 §5.1, §5.5 and
/// RFC 9112 §3.2.1): header names are tokens, values hold no CR, LF or NUL, and the target is an
/// origin-form path. Session files, HAR files and `--header` flags are text anyone can edit; a CR LF
/// in any of them, written verbatim, would end the header early and let the file smuggle headers or
/// a whole second request to the server. So they are checked before anything is sent.
public enum HTTPFieldSyntax {
    /// RFC 9110 §5.6.2 `tchar`: `!#$%&'*+-.^_`|~`, digits and letters.
    public static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// A field name: one or more `tchar`.
    public static func isToken(_ text: String) -> Bool {
        !text.utf8.isEmpty && text.utf8.allSatisfy(isTokenCharacter)
    }

    /// A field value replay can write: no CR, LF or NUL (RFC 9110 §5.5: they must be rejected or
    /// replaced, and replaying is no place to guess a replacement).
    public static func isSafeValue(_ text: String) -> Bool {
        !text.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
    }

    /// An origin-form request target: starts with `/` and holds no space, control byte or DEL.
    public static func isOriginForm(_ target: String) -> Bool {
        target.utf8.first == UInt8(ascii: "/") && !target.utf8.contains { $0 <= 0x20 || $0 == 0x7F }
    }

    /// `text` quoted with Swift's escapes (`\r`, `\n`, `\0`, `\u{1B}`), so an error about it stays on
    /// one line and shows exactly which bytes are wrong.
    public static func shown(_ text: String) -> String { text.debugDescription }

    /// HTTP/2 pseudo-header fields (`:authority`, `:path` …, in HAR files of HTTP/2 pages) describe
    /// the request in another way; they are not HTTP/1.1 headers and are never sent.
    public static func isPseudoHeader(_ name: String) -> Bool { name.utf8.first == UInt8(ascii: ":") }
}

extension SessionConnection {
    /// Why the recorded request cannot be written on a new connection (its target or a header
    /// breaks `HTTPFieldSyntax`), nil when it can. Names the connection and the header.
    public var requestProblem: String? {
        guard let request else { return nil }
        guard HTTPFieldSyntax.isOriginForm(request.target) else {
            return "connection \(id): the request target \(HTTPFieldSyntax.shown(request.target)) is not an origin-form path ('/' then no space or control byte)"
        }
        for header in request.headers where !HTTPFieldSyntax.isPseudoHeader(header.name) {
            guard HTTPFieldSyntax.isToken(header.name) else {
                return "connection \(id): the request header name \(HTTPFieldSyntax.shown(header.name)) is not an HTTP token"
            }
            guard HTTPFieldSyntax.isSafeValue(header.value) else {
                return "connection \(id): the request header \(HTTPFieldSyntax.shown(header.name)) has a CR, LF or NUL in its value"
            }
        }
        return nil
    }
}
