import Foundation
import Testing

@testable import Output
@testable import WebSocketInspection
import PacketDecoding
import Sessions
import TCPReassembly
import WebSocketProtocol

/// `TerminalSafeText` (issue #17, class 3) and the text formatters that use it: nothing that acts on
/// a terminal gets through, every escape is visible and decodes back to the one original text, and
/// printable text — accents, CJK, emoji with joiners — is left as it is.
@Suite struct TerminalSafeTextTests {
    static let hostile = "\u{1b}[2J\u{1b}]0;t\u{07}\r\n\t\u{9b}1m\u{85}\u{202e}x\u{2066}\u{200f}\u{61c}\u{2029}\u{7f}\u{0}\\x1b\"é中👩‍💻"

    /// Reads the escapes back: `\n` `\r` `\t` `\\` `\"` `\xHH` `\u{H…}`. Any other backslash use is
    /// an error, so a passing round trip proves the output has exactly one reading.
    static func unescape(_ text: String) throws -> String {
        struct Malformed: Error {}
        var result = String.UnicodeScalarView()
        var scalars = Array(text.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            guard scalar == "\\" else { result.append(scalar); continue }
            switch scalars.popFirst() {
            case "n": result.append("\n")
            case "r": result.append("\r")
            case "t": result.append("\t")
            case "\\": result.append("\\")
            case "\"": result.append("\"")
            case "x":
                let digits = String(String.UnicodeScalarView(scalars.prefix(2)))
                guard digits.count == 2, let value = UInt32(digits, radix: 16), let decoded = Unicode.Scalar(value) else { throw Malformed() }
                scalars = scalars.dropFirst(2)
                result.append(decoded)
            case "u":
                guard scalars.popFirst() == "{", let end = scalars.firstIndex(of: "}") else { throw Malformed() }
                guard let value = UInt32(String(String.UnicodeScalarView(scalars[..<end])), radix: 16), let decoded = Unicode.Scalar(value) else { throw Malformed() }
                scalars = scalars[(end + 1)...]
                result.append(decoded)
            default: throw Malformed()
            }
        }
        return String(result)
    }

    static func unsafeScalars(_ text: String) -> [UInt32] {
        text.unicodeScalars.filter(TerminalSafeText.isUnsafe).map(\.value)
    }

    @Test func everyUnsafeCharacterIsEscapedAndDecodesBack() throws {
        var samples: [String] = [Self.hostile, "", "plain", "\\x1b", "\\u{9b}", "a\\"]
        for value in Array(0...0x2100) + Array(0x2000...0x2070) + [0xFEFF, 0x1F389, 0x10FFFF] {
            if let scalar = Unicode.Scalar(value) { samples.append("a" + String(Character(scalar)) + "1f") }
        }
        for sample in samples {
            let bare = TerminalSafeText.escaped(sample)
            #expect(Self.unsafeScalars(bare).isEmpty, "\(sample.debugDescription) → \(bare.debugDescription)")
            #expect(try Self.unescape(bare) == sample, "\(sample.debugDescription) → \(bare.debugDescription)")
            let quoted = TerminalSafeText.quoted(sample)
            #expect(Self.unsafeScalars(quoted).isEmpty)
            #expect(quoted.first == "\"" && quoted.last == "\"")
            #expect(try Self.unescape(String(quoted.dropFirst().dropLast())) == sample)
            #expect(!quoted.dropFirst().dropLast().replacingOccurrences(of: "\\\"", with: "").contains("\""))
        }
    }

    /// The UTF-8 byte patterns the escaper matches are exactly the scalars `isUnsafe` names.
    @Test func theByteMatcherAgreesWithIsUnsafe() {
        let values = Array(0...0x3000) + Array(stride(from: 0x3001, through: 0x10FFFF, by: 97))
        for value in values {
            guard let scalar = Unicode.Scalar(UInt32(value)) else { continue }
            let text = "a" + String(Character(scalar)) + "b"
            let changed = TerminalSafeText.escaped(text) != text
            #expect(changed == (TerminalSafeText.isUnsafe(scalar) || scalar == "\\"), "U+\(String(value, radix: 16))")
            #expect((TerminalSafeText.json(text) != text) == TerminalSafeText.isUnsafe(scalar), "U+\(String(value, radix: 16))")
            #expect((TerminalSafeText.controlsEscaped(text) != text) == TerminalSafeText.isUnsafe(scalar), "U+\(String(value, radix: 16))")
        }
    }

    @Test func previewsAreCutByCharactersOfTheOriginal() {
        #expect(TerminalSafeText.quoted("a\u{1b}bc", maxCharacters: 2) == #""a\x1b…""#)
        #expect(TerminalSafeText.quoted("é中🎉x", maxCharacters: 3) == "\"é中🎉…\"")
        #expect(TerminalSafeText.quoted("abc", maxCharacters: 3) == "\"abc\"")
        #expect(TerminalSafeText.quoted("", maxCharacters: 0) == "\"\"")
    }

    @Test func theStyleIsThePreviewStyle() {
        #expect(TerminalSafeText.escaped(Self.hostile) == #"\x1b[2J\x1b]0;t\x07\r\n\t\u{9b}1m\u{85}\u{202e}x\u{2066}\u{200f}\u{61c}\u{2029}\x7f\x00\\x1b"é中👩‍💻"#)
        #expect(TerminalSafeText.quoted("a\"b", maxCharacters: 2) == #""a\"…""#)
        #expect("\(TerminalSafeText("/p\u{1b}"))" == #"/p\x1b"#)
        // Diagnostics: only what acts on the terminal; escapes already in the prose stay single.
        #expect(TerminalSafeText.controlsEscaped("\"a\\u{1B}\"\u{1b}\u{9b}") == #""a\u{1B}"\x1b\u{9b}"#)
    }

    @Test func printableTextIsUnchanged() {
        for text in ["/chat?room=7&x=%20", "café naïve", "中文 日本語 한국어", "👩‍💻🎉🏳️‍🌈", "x\u{301}", "عربي", "\u{200d}\u{200b}", "tab-free \"quotes\""] {
            #expect(TerminalSafeText.escaped(text) == text)
        }
    }

    @Test func jsonTextStaysValidJSONWithoutRawControls() throws {
        let json = "{\"k\":\"\u{9b}\u{202e}\u{7f}\u{2028}é\\\"\\n\"}"
        let safe = TerminalSafeText.json(json)
        #expect(Self.unsafeScalars(safe).isEmpty)
        #expect(safe == #"{"k":"\u009b\u202e\u007f\u2028é\"\n"}"#)
        let original = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]
        let reparsed = try JSONSerialization.jsonObject(with: Data(safe.utf8)) as? [String: String]
        #expect(original == reparsed)
    }

    // MARK: The formatters

    static let client = Endpoint(address: IPAddress(v4: 10, 0, 0, 2), port: 40000)
    static let server = Endpoint(address: IPAddress(v4: 10, 0, 0, 1), port: 80)
    static let time = Timestamp(seconds: 1_700_000_000, nanoseconds: 0)

    static var events: [InspectorEvent] {
        let info = WebSocketConnectionInfo(
            connection: 1, timestamp: time, client: client, server: server, path: "/p" + hostile, host: "h" + hostile,
            subprotocol: "s" + hostile, extensions: ["e" + hostile, "f"], handshake: true)
        let text = WebSocketMessage(
            connection: 1, timestamp: time, direction: .clientToServer, opcode: .text, payload: Array(hostile.utf8),
            length: UInt64(hostile.utf8.count), wireLength: UInt64(hostile.utf8.count), frames: 1)
        let json = "{\"a\":\"\u{9b}\u{202e}\"}"
        let pretty = WebSocketMessage(
            connection: 1, timestamp: time, direction: .serverToClient, opcode: .text, payload: Array(json.utf8),
            length: UInt64(json.utf8.count), wireLength: UInt64(json.utf8.count), frames: 1)
        let close = WebSocketMessage(
            connection: 1, timestamp: time, direction: .serverToClient, opcode: .close, payload: [3, 232] + Array(hostile.utf8),
            length: 2, wireLength: 2, frames: 1, closeCode: 1000, closeReason: hostile)
        return [
            .open(info), .message(text), .message(pretty), .message(close),
            .anomaly(InspectorAnomaly(connection: 1, timestamp: time, direction: .serverToClient, kind: .unofferedSubprotocol, detail: "d" + hostile)),
            .refused(RefusedUpgrade(connection: 2, timestamp: time, client: client, server: server, path: "/r" + hostile, host: "h", status: 403, reason: "no" + hostile)),
            .close(ConnectionClose(connection: 1, timestamp: time, reason: .fin, messagesFromClient: 1, messagesFromServer: 2)),
        ]
    }

    /// Unsafe characters outside wstap's own colour codes.
    static func unsafeOutsideColours(_ text: String) -> [UInt32] {
        let bytes = Array(text.utf8)
        var kept: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x1b, let end = bytes[index...].firstIndex(of: UInt8(ascii: "m")), end - index <= 6 {
                index = end + 1
                continue
            }
            kept.append(bytes[index])
            index += 1
        }
        return String(decoding: kept, as: UTF8.self).unicodeScalars.filter { $0 != "\n" && TerminalSafeText.isUnsafe($0) }.map(\.value)
    }

    @Test func textFormatterEscapesEveryEvent() {
        for style in [TerminalStyle.plain, .colored] {
            let formatter = TextFormatter(style: style, prettyJSON: true)
            for event in Self.events {
                let line = formatter.format(event)
                #expect(Self.unsafeOutsideColours(line).isEmpty, "\(line.debugDescription)")
            }
        }
        let open = TextFormatter().format(Self.events[0])
        #expect(open.hasSuffix(#" GET /p\x1b[2J\x1b]0;t\x07\r\n\t\u{9b}1m\u{85}\u{202e}x\u{2066}\u{200f}\u{61c}\u{2029}\x7f\x00\\x1b"é中👩‍💻"#
            + #" host=h\x1b[2J\x1b]0;t\x07\r\n\t\u{9b}1m\u{85}\u{202e}x\u{2066}\u{200f}\u{61c}\u{2029}\x7f\x00\\x1b"é中👩‍💻"#
            + #" subprotocol=s\x1b[2J\x1b]0;t\x07\r\n\t\u{9b}1m\u{85}\u{202e}x\u{2066}\u{200f}\u{61c}\u{2029}\x7f\x00\\x1b"é中👩‍💻"#
            + #" extensions="e\x1b[2J\x1b]0;t\x07\r\n\t\u{9b}1m\u{85}\u{202e}x\u{2066}\u{200f}\u{61c}\u{2029}\x7f\x00\\x1b\"é中👩‍💻, f""#), "\(open)")
    }

    @Test func sessionTableAndDetailsEscapeEveryWireString() {
        let recorder = SessionRecorder(keepsMessages: false)
        for event in Self.events { recorder.record(event) }
        recorder.finish()
        for style in [TerminalStyle.plain, .colored] {
            let formatter = SessionSummaryFormatter(style: style)
            let table = formatter.table(recorder.connections, refused: recorder.refused)
            #expect(Self.unsafeOutsideColours(table).isEmpty, "\(table.debugDescription)")
            #expect(table.contains(#"/r\x1b[2J"#) && table.contains(#"no\x1b[2J"#), "\(table)")
            for connection in recorder.connections {
                let details = formatter.details(connection)
                #expect(Self.unsafeOutsideColours(details).isEmpty, "\(details.debugDescription)")
                #expect(details.contains(#"server closed first with 1000 "\x1b[2J"#), "\(details)")
            }
        }
    }
}
