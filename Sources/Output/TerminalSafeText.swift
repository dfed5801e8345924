/// Text that came off the wire, made safe to print in a human view (a terminal, a pager, a log).
///
/// Why one type: every string the text views print from a capture or a live peer — request path,
/// Host, subprotocol, extensions, status lines and reasons, close reasons, anomaly details, payload
/// previews — was chosen by whoever made the traffic. Printed raw, `ESC [2J` clears the screen,
/// `ESC ]0;… BEL` retitles the window, a carriage return overwrites the start of the line, a C1
/// control does the same as an ESC sequence in one character (U+009B is CSI), and a bidi override
/// (U+202E) makes a line read differently from the bytes it holds. Reading an untrusted capture must
/// never act on the user's terminal, so every text formatter (read, sniff, sessions, replay reports,
/// diagnostics that quote the wire) passes wire text through here, and nowhere else decides what is
/// safe. JSON Lines output does not: JSON escaping already keeps C0 controls out, and the other
/// characters are valid JSON that a consumer decodes rather than displays.
///
/// The escapes are visible and unambiguous, in the style payload previews have always used:
/// `\n` `\r` `\t`; `\xHH` (two hex digits) for the other C0 controls and DEL; `\u{HHHH}` for C1
/// controls, bidi controls and the Unicode line and paragraph separators; `\\` for a backslash, so a
/// wire string that spells `\x1b` shows as `\\x1b` and cannot pass for an escape; `\"` inside quotes.
/// Every other character — accents, CJK, emoji, combining marks, zero-width joiners — prints as
/// itself.
public struct TerminalSafeText: CustomStringConvertible, Sendable {
    /// The text as received, unescaped.
    public var text: String

    public init(_ text: some StringProtocol) {
        self.text = String(text)
    }

    /// The text escaped for use bare inside a line (`GET /path`, `host=…`).
    public var description: String { Self.escaped(text) }

    /// Characters that act on a terminal or reorder what it shows instead of being shown: C0
    /// controls, DEL, C1 controls, the bidi embedding/override/isolate/mark characters and the
    /// Unicode line and paragraph separators (which break a line in some viewers).
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        case 0x2028, 0x2029: return true
        default: return false
        }
    }

    /// `text` for use bare inside a line: unsafe characters and backslashes escaped.
    public static func escaped(_ text: some StringProtocol) -> String {
        transform(text, style: .bare, maxCharacters: .max) ?? String(text)
    }

    /// `text` in double quotes with unsafe characters, backslashes and quotes escaped; after
    /// `maxCharacters` characters (Unicode scalars of the original) the rest is cut and `…` shown.
    public static func quoted(_ text: some StringProtocol, maxCharacters: Int = .max) -> String {
        "\"" + (transform(text, style: .quoted, maxCharacters: maxCharacters) ?? String(text)) + "\""
    }

    /// JSON text (already JSON-escaped, e.g. a pretty-printed payload or a JSON diff value) with the
    /// unsafe characters JSON leaves raw escaped as JSON `\uHHHH`, so it stays valid JSON; its
    /// backslashes are JSON's own escapes and are kept.
    public static func json(_ text: some StringProtocol) -> String {
        transform(text, style: .json, maxCharacters: .max) ?? String(text)
    }

    /// `text` with only the unsafe characters escaped (`\x1b`, `\u{9b}`), backslashes and quotes
    /// left alone: for prose that may already quote values with escapes of its own (wstap's
    /// diagnostics quote with Swift's `debugDescription` in places), which escaping backslashes
    /// again would double. What acts on the terminal is still escaped.
    public static func controlsEscaped(_ text: some StringProtocol) -> String {
        transform(text, style: .controls, maxCharacters: .max) ?? String(text)
    }

    private enum Style { case bare, quoted, json, controls }

    /// The escaped text, or nil when it equals `text` (nothing to escape, nothing cut).
    ///
    /// Works on the UTF-8 bytes and copies runs of safe bytes at once: previews are formatted for
    /// every message `read` prints, and a scalar-by-scalar loop made text output markedly slower.
    /// The byte patterns below are exactly the UTF-8 forms of the scalars `isUnsafe` names.
    private static func transform(_ text: some StringProtocol, style: Style, maxCharacters: Int) -> String? {
        if let result = text.utf8.withContiguousStorageIfAvailable({ transform($0, style: style, maxCharacters: maxCharacters) }) {
            return result
        }
        return Array(text.utf8).withUnsafeBufferPointer { transform($0, style: style, maxCharacters: maxCharacters) }
    }

    private static func transform(_ bytes: UnsafeBufferPointer<UInt8>, style: Style, maxCharacters: Int) -> String? {
        var output: [UInt8] = []
        var copied = 0  // bytes[..<copied] are already in output
        var characters = 0
        // A string has at most as many scalars as bytes: only count when a cut is possible.
        let counting = maxCharacters < bytes.count
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if counting, byte & 0xC0 != 0x80 {  // the first byte of a scalar
                if characters >= maxCharacters {
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<index]))
                    output.append(contentsOf: "…".utf8)
                    return String(decoding: output, as: UTF8.self)
                }
                characters += 1
            }
            // Printable ASCII other than `\` and `"`: the common case, decided without a call.
            if byte >= 0x20, byte < 0x7F, byte != 0x5C, byte != 0x22 {
                index += 1
                continue
            }
            let (scalar, length) = unsafeScalar(bytes, at: index, style: style)
            guard let scalar else {
                index += 1
                continue
            }
            if output.isEmpty { output.reserveCapacity(bytes.count + 16) }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<index]))
            appendEscape(scalar, style: style, to: &output)
            index += length
            copied = index
        }
        guard copied > 0 else { return nil }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied...]))
        return String(decoding: output, as: UTF8.self)
    }

    /// The scalar starting at `index` and its UTF-8 length when it must be escaped in `style`.
    @inline(__always)
    private static func unsafeScalar(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, style: Style) -> (UInt32?, Int) {
        let byte = bytes[index]
        if byte < 0x20 || byte == 0x7F { return (UInt32(byte), 1) }
        if byte == UInt8(ascii: "\\") { return (style == .bare || style == .quoted ? UInt32(byte) : nil, 1) }
        if byte == UInt8(ascii: "\"") { return (style == .quoted ? UInt32(byte) : nil, 1) }
        guard byte >= 0xC2, index + 1 < bytes.count else { return (nil, 1) }
        let second = bytes[index + 1]
        switch byte {
        case 0xC2 where (0x80...0x9F).contains(second): return (UInt32(second), 2)  // C1 controls
        case 0xD8 where second == 0x9C: return (0x061C, 2)  // arabic letter mark
        case 0xE2 where index + 2 < bytes.count:
            let third = bytes[index + 2]
            let value = 0x2000 | UInt32(second & 0x3F) << 6 | UInt32(third & 0x3F)
            switch value {
            case 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069: return (value, 3)
            default: return (nil, 1)
            }
        default: return (nil, 1)
        }
    }

    private static func appendEscape(_ value: UInt32, style: Style, to output: inout [UInt8]) {
        switch (value, style) {
        case (_, .json): output.append(contentsOf: "\\u\(hex(value, digits: 4))".utf8)
        case (0x0A, _), (0x0D, _), (0x09, _), (0x5C, _), (0x22, _):
            output.append(UInt8(ascii: "\\"))
            output.append(value == 0x0A ? UInt8(ascii: "n") : value == 0x0D ? UInt8(ascii: "r") : value == 0x09 ? UInt8(ascii: "t") : UInt8(value))
        case (0..<0x20, _), (0x7F, _): output.append(contentsOf: "\\x\(hex(value, digits: 2))".utf8)
        default: output.append(contentsOf: "\\u{\(hex(value, digits: 2))}".utf8)
        }
    }

    /// Lower-case hex, zero-padded to at least `digits`.
    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return text.count >= digits ? text : String(repeating: "0", count: digits - text.count) + text
    }
}
