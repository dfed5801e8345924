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
        if !text.unicodeScalars.contains(where: { isUnsafe($0) || $0 == "\\" }) { return String(text) }
        var result = ""
        for scalar in text.unicodeScalars { append(scalar, quoting: false, to: &result) }
        return result
    }

    /// `text` in double quotes with unsafe characters, backslashes and quotes escaped; after
    /// `maxCharacters` characters (Unicode scalars of the original) the rest is cut and `…` shown.
    public static func quoted(_ text: some StringProtocol, maxCharacters: Int = .max) -> String {
        var result = "\""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= maxCharacters { result += "…"; break }
            append(scalar, quoting: true, to: &result)
            count += 1
        }
        return result + "\""
    }

    /// JSON text (already JSON-escaped, e.g. a pretty-printed payload or a JSON diff value) with the
    /// unsafe characters JSON leaves raw escaped as JSON `\uHHHH`, so it stays valid JSON; its
    /// backslashes are JSON's own escapes and are kept.
    public static func json(_ text: some StringProtocol) -> String {
        if !text.unicodeScalars.contains(where: isUnsafe) { return String(text) }
        var result = ""
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                result += "\\u" + hex(scalar.value, digits: 4)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func append(_ scalar: Unicode.Scalar, quoting: Bool, to result: inout String) {
        switch scalar {
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case "\\": result += "\\\\"
        case "\"" where quoting: result += "\\\""
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                result += "\\x" + hex(scalar.value, digits: 2)
            } else if isUnsafe(scalar) {
                result += "\\u{" + hex(scalar.value, digits: 2) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }

    /// Lower-case hex, zero-padded to at least `digits`.
    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return text.count >= digits ? text : String(repeating: "0", count: digits - text.count) + text
    }
}
