/// A strict, bounded JSON parser (RFC 8259) over bytes for the application-protocol decoders.
///
/// Hostile payloads are expected: nesting deeper than `maxDepth` is refused instead of risking the
/// stack, and every read is bounds-checked. The input itself is bounded by `--max-message-bytes`.
public struct JSONReader {
    /// Deepest nesting of arrays and objects accepted (default 64): application messages rarely
    /// nest beyond ten, and a recursive parser must not follow an attacker's `[[[[…`.
    public static let defaultMaxDepth = 64

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case syntax(offset: Int)
        case tooDeep(maxDepth: Int)

        public var description: String {
            switch self {
            case .syntax(let offset): return "not JSON (at byte \(offset))"
            case .tooDeep(let maxDepth): return "JSON nested deeper than maxJSONDepth (\(maxDepth))"
            }
        }
    }

    private let bytes: ArraySlice<UInt8>
    private let maxDepth: Int
    private var index: Int

    private init(_ bytes: ArraySlice<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.index = bytes.startIndex
    }

    /// One JSON document filling all of `bytes` (whitespace around it allowed).
    public static func parse(_ bytes: ArraySlice<UInt8>, maxDepth: Int = defaultMaxDepth) -> Result<JSONNode, Failure> {
        var reader = JSONReader(bytes, maxDepth: maxDepth)
        do {
            reader.skipWhitespace()
            let value = try reader.value(depth: 0)
            reader.skipWhitespace()
            guard reader.index == bytes.endIndex else { throw Failure.syntax(offset: reader.index - bytes.startIndex) }
            return .success(value)
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(.syntax(offset: 0))
        }
    }

    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) -> Result<JSONNode, Failure> {
        parse(bytes[...], maxDepth: maxDepth)
    }

    /// The first non-whitespace byte of `bytes`, to tell JSON-looking payloads apart cheaply.
    public static func firstSignificantByte(_ bytes: ArraySlice<UInt8>) -> UInt8? {
        bytes.first { $0 != 0x20 && $0 != 0x0a && $0 != 0x0d && $0 != 0x09 }
    }

    private var failure: Failure { .syntax(offset: index - bytes.startIndex) }

    private mutating func skipWhitespace() {
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09 else { return }
            index += 1
        }
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONNode {
        guard index < bytes.endIndex else { throw failure }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            guard depth < maxDepth else { throw .tooDeep(maxDepth: maxDepth) }
            return try object(depth: depth + 1)
        case UInt8(ascii: "["):
            guard depth < maxDepth else { throw .tooDeep(maxDepth: maxDepth) }
            return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return try number()
        }
    }

    private mutating func literal(_ text: StaticString) throws(Failure) {
        let count = text.utf8CodeUnitCount
        guard bytes.endIndex - index >= count else { throw failure }
        let same = text.withUTF8Buffer { expected in expected.indices.allSatisfy { expected[$0] == bytes[index + $0] } }
        guard same else { throw failure }
        index += count
    }

    private mutating func object(depth: Int) throws(Failure) -> JSONNode {
        index += 1
        var members: [(key: String, value: JSONNode)] = []
        skipWhitespace()
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.endIndex, bytes[index] == UInt8(ascii: "\"") else { throw failure }
            let key = try string()
            skipWhitespace()
            guard index < bytes.endIndex, bytes[index] == UInt8(ascii: ":") else { throw failure }
            index += 1
            skipWhitespace()
            members.append((key, try value(depth: depth)))
            skipWhitespace()
            guard index < bytes.endIndex else { throw failure }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            throw failure
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> JSONNode {
        index += 1
        var values: [JSONNode] = []
        skipWhitespace()
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(values) }
        while true {
            skipWhitespace()
            values.append(try value(depth: depth))
            skipWhitespace()
            guard index < bytes.endIndex else { throw failure }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(values) }
            throw failure
        }
    }

    private mutating func number() throws(Failure) -> JSONNode {
        let start = index
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.endIndex, isDigit(bytes[index]) else { throw failure }
        if bytes[index] == UInt8(ascii: "0") { index += 1 } else { skipDigits() }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.endIndex, isDigit(bytes[index]) else { throw failure }
            skipDigits()
        }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.endIndex, isDigit(bytes[index]) else { throw failure }
            skipDigits()
        }
        return .number(String(decoding: bytes[start..<index], as: UTF8.self))
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private mutating func skipDigits() {
        while index < bytes.endIndex, isDigit(bytes[index]) { index += 1 }
    }

    /// A string literal, unescaped; invalid UTF-8 and unpaired surrogates are refused.
    private mutating func string() throws(Failure) -> String {
        index += 1
        var output: [UInt8] = []
        while index < bytes.endIndex {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: output, as: UTF8.self) else { throw failure }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.endIndex else { throw failure }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escaped)
                case UInt8(ascii: "b"): output.append(0x08)
                case UInt8(ascii: "f"): output.append(0x0c)
                case UInt8(ascii: "n"): output.append(0x0a)
                case UInt8(ascii: "r"): output.append(0x0d)
                case UInt8(ascii: "t"): output.append(0x09)
                case UInt8(ascii: "u"): try unicodeEscape(into: &output)
                default: throw failure
                }
            case 0..<0x20:
                throw failure
            default:
                output.append(byte)
                index += 1
            }
        }
        throw failure
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard bytes.endIndex - index >= 4 else { throw failure }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw failure
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func unicodeEscape(into output: inout [UInt8]) throws(Failure) {
        var scalar = try hex4()
        if (0xD800..<0xDC00).contains(scalar) {
            guard bytes.endIndex - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { throw failure }
            index += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw failure }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(scalar) {
            throw failure
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw failure }
        output += Array(String(Character(unicode)).utf8)
    }
}
