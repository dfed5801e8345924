/// One `name[=value]` parameter of a WebSocket extension offer.
public struct WebSocketExtensionParameter: Sendable, Equatable {
    /// The parameter name as sent, e.g. `client_max_window_bits`.
    public var name: String
    /// The value with quotes and backslash escapes removed; nil when the parameter had no `=`.
    public var value: String?

    public init(name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }
}

/// One element of a `Sec-WebSocket-Extensions` header: an extension name and its parameters.
public struct WebSocketExtensionOffer: Sendable, Equatable {
    /// The extension token as sent, e.g. `permessage-deflate`.
    public var name: String
    /// Parameters in wire order; duplicates kept so validation can reject them.
    public var parameters: [WebSocketExtensionParameter]

    public init(name: String, parameters: [WebSocketExtensionParameter] = []) {
        self.name = name
        self.parameters = parameters
    }

    /// Whether `name` equals `other`, ignoring ASCII case (extension tokens are compared that way
    /// in practice; `x-webkit-deflate-frame` appears in several spellings).
    public func isNamed(_ other: String) -> Bool {
        asciiCaseInsensitiveEquals(name, other)
    }
}

/// Parses `Sec-WebSocket-Extensions` values (RFC 6455 §9.1).
///
/// Lenient by design: captured clients send odd whitespace, quoted values and several header
/// lines. Elements whose name is not a token are dropped rather than failing the whole header,
/// so that one bad element does not hide the ones an inspector must report; `malformedElements`
/// says what broke the grammar, for the handshake check to report.
///
/// Every pass is linear in the value's length and indexes only within the slices it splits, so
/// hostile values (unbalanced quotes, a trailing backslash, megabytes of separators) cannot trap.
public enum WebSocketExtensionHeader {
    /// One list element that breaks the grammar `extension = token *( ";" token [ "=" ( token |
    /// quoted-string ) ] )`.
    public struct MalformedElement: Sendable, Equatable {
        /// The element as sent, without surrounding whitespace.
        public var element: String
        /// What is wrong with it, e.g. `extension name is not a token`.
        public var reason: String
    }

    /// Every element of the values (one per header line) that breaks the grammar, in order. Empty
    /// elements and empty parameters are allowed (RFC 9110 §5.6.1 asks recipients to skip them).
    public static func malformedElements(_ values: [String]) -> [MalformedElement] {
        var found: [MalformedElement] = []
        for value in values {
            for element in splitOutsideQuotes(Array(value.utf8)[...], separator: UInt8(ascii: ",")) {
                let trimmed = trimmingWhitespace(element)
                guard !trimmed.isEmpty, let reason = syntaxProblem(in: trimmed) else { continue }
                found.append(MalformedElement(element: text(trimmed), reason: reason))
            }
        }
        return found
    }

    /// Parses every value (one per header line) into offers, in order.
    ///
    /// `"permessage-deflate; client_max_window_bits, x-webkit-deflate-frame"` gives two offers,
    /// the first with one valueless parameter.
    public static func parse(_ values: [String]) -> [WebSocketExtensionOffer] {
        var offers: [WebSocketExtensionOffer] = []
        for value in values {
            for element in splitOutsideQuotes(Array(value.utf8)[...], separator: UInt8(ascii: ",")) {
                if let offer = parseElement(element) { offers.append(offer) }
            }
        }
        return offers
    }

    private static func parseElement(_ element: ArraySlice<UInt8>) -> WebSocketExtensionOffer? {
        let parts = splitOutsideQuotes(element, separator: UInt8(ascii: ";"))
        guard let first = parts.first else { return nil }
        let name = trimmingWhitespace(first)
        guard !name.isEmpty, name.allSatisfy(isTokenCharacter) else { return nil }
        var parameters: [WebSocketExtensionParameter] = []
        for part in parts.dropFirst() {
            let trimmed = trimmingWhitespace(part)
            if trimmed.isEmpty { continue }
            if let equals = trimmed.firstIndex(of: UInt8(ascii: "=")) {
                let parameterName = trimmingWhitespace(trimmed[..<equals])
                let rawValue = trimmingWhitespace(trimmed[(equals + 1)...])
                parameters.append(WebSocketExtensionParameter(name: text(parameterName), value: unquote(rawValue)))
            } else {
                parameters.append(WebSocketExtensionParameter(name: text(trimmed), value: nil))
            }
        }
        return WebSocketExtensionOffer(name: text(name), parameters: parameters)
    }

    private static func syntaxProblem(in element: ArraySlice<UInt8>) -> String? {
        let parts = splitOutsideQuotes(element, separator: UInt8(ascii: ";"))
        let name = trimmingWhitespace(parts[0])
        if name.isEmpty { return "extension name is empty" }
        if !name.allSatisfy(isTokenCharacter) { return "extension name is not a token" }
        for part in parts.dropFirst() {
            let trimmed = trimmingWhitespace(part)
            if trimmed.isEmpty { continue }
            var parameterName = trimmed
            var value: ArraySlice<UInt8>?
            if let equals = trimmed.firstIndex(of: UInt8(ascii: "=")) {
                parameterName = trimmingWhitespace(trimmed[..<equals])
                value = trimmingWhitespace(trimmed[(equals + 1)...])
            }
            if parameterName.isEmpty { return "parameter name is empty" }
            if !parameterName.allSatisfy(isTokenCharacter) { return "parameter name \"\(text(parameterName))\" is not a token" }
            if let value, value.isEmpty || !(value.allSatisfy(isTokenCharacter) || isQuotedString(value)) {
                return "parameter value \"\(text(value))\" of \(text(parameterName)) is neither a token nor a quoted string"
            }
        }
        return nil
    }

    /// RFC 9110 §5.6.4 `quoted-string`: `"` … `"` with `\` escaping one byte, no unescaped `"` or
    /// control byte (other than tab) inside.
    private static func isQuotedString(_ value: ArraySlice<UInt8>) -> Bool {
        guard value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") else { return false }
        var escaped = false
        for byte in value.dropFirst().dropLast() {
            let isControl = (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F
            if isControl { return false }
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                return false
            }
        }
        // A backslash right before the closing quote escapes it: the string never closed.
        return !escaped
    }

    /// Splits on `separator` except inside a quoted string (where `\` escapes the next byte).
    private static func splitOutsideQuotes(_ bytes: ArraySlice<UInt8>, separator: UInt8) -> [ArraySlice<UInt8>] {
        var pieces: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var inQuotes = false
        var escaped = false
        for index in bytes.indices {
            let byte = bytes[index]
            if escaped {
                escaped = false
            } else if inQuotes, byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
            } else if byte == separator, !inQuotes {
                pieces.append(bytes[start..<index])
                start = index + 1
            }
        }
        pieces.append(bytes[start..<bytes.endIndex])
        return pieces
    }

    /// Removes surrounding quotes and backslash escapes from a quoted-string; other values as-is.
    private static func unquote(_ value: ArraySlice<UInt8>) -> String {
        guard value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") else {
            return text(value)
        }
        var unescaped: [UInt8] = []
        var escaped = false
        for byte in value.dropFirst().dropLast() {
            if !escaped, byte == UInt8(ascii: "\\") {
                escaped = true
                continue
            }
            escaped = false
            unescaped.append(byte)
        }
        return text(unescaped[...])
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
