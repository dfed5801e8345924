import MessageDecoding
import WebSocketProtocol

/// How decoders show application payloads: as text when they are valid UTF-8, otherwise as base64
/// flagged so (never bytes passed off as text).
enum PayloadText {
    /// Characters of a payload or argument list shown in a one-line summary.
    static let maxSummaryCharacters = 120

    /// `payload` (and `payload_encoding: base64` when it is not UTF-8 text).
    static func fields(_ name: String, _ bytes: ArraySlice<UInt8>) -> [MessageAnnotation.Field] {
        if let text = String(validating: bytes, as: UTF8.self) {
            return [.init(name, text)]
        }
        return [.init(name, Base64.encode(bytes)), .init(name + "_encoding", "base64")]
    }

    /// A short form for the summary: quoted text, or the byte count of binary data.
    static func preview(_ bytes: ArraySlice<UInt8>) -> String {
        // A long payload: only its start is shown, so only its start is checked (a character cut
        // at the end of that start is dropped).
        if bytes.count > 4 * maxSummaryCharacters {
            var start = Array(bytes.prefix(4 * maxSummaryCharacters))
            // Drop the last character, which may be cut; far more than shown is left.
            if let lastStart = start.lastIndex(where: { $0 & 0xC0 != 0x80 }) { start.removeSubrange(lastStart...) }
            guard let text = String(validating: start, as: UTF8.self) else { return "<\(bytes.count) bytes>" }
            return JSONNode.quoted(String(text.prefix(maxSummaryCharacters))) + "…"
        }
        if let text = String(validating: bytes, as: UTF8.self) {
            return JSONNode.quoted(cut(text))
        }
        return "<\(bytes.count) bytes>"
    }

    static func cut(_ text: String) -> String {
        // Fewer bytes than the limit means fewer characters: no count needed (payloads can be large).
        guard text.utf8.count > maxSummaryCharacters, text.count > maxSummaryCharacters else { return text }
        return String(text.prefix(maxSummaryCharacters)) + "…"
    }
}

extension WebSocketDirection {
    var opposite: WebSocketDirection { self == .clientToServer ? .serverToClient : .clientToServer }
}
