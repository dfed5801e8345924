#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Splits what `JSONEncoder` (pretty-printed) writes for a document around one of its arrays, so the
/// array's elements can be encoded and written one at a time while the bytes come out exactly as
/// encoding the whole document at once would: exports stream without holding every message.
///
/// It relies on two facts of the pretty printer: a newline inside a string is always escaped (so
/// every newline byte is layout), and a nested value is printed as it is printed on its own with
/// two spaces more per level on every line but empty ones (empty arrays and objects are `[`, an
/// empty line, and the closing bracket).
public struct PrettyJSONArraySplice: Sendable, Equatable {
    /// Everything up to and including the array's `[`.
    let head: [UInt8]
    /// What follows the `[` of an empty array: an empty line, the closing `]`, the rest.
    let emptyTail: [UInt8]
    /// What follows the last element of a non-empty array: newline, the closing `]`, the rest.
    let tail: [UInt8]
    /// Spaces before each element's lines.
    let elementIndent: Int

    /// The encoder every export uses: sorted keys (the same capture always gives the same file),
    /// pretty-printed, slashes not escaped.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Finds `"key" : [` followed by an empty array in `document`; nil when it is not there.
    init?(document: [UInt8], emptyArrayKey key: String) {
        let marker = Array("\"\(key)\" : [\n\n".utf8)
        guard let start = Self.find(marker, in: document) else { return nil }
        // The key must start a line: only layout precedes it (a newline and the indent).
        guard start > 0, document[start - 1] == UInt8(ascii: " ") || document[start - 1] == UInt8(ascii: "\n") else { return nil }
        let bracket = start + marker.count - 3
        var position = bracket + 3
        var closingIndent = 0
        while position < document.count, document[position] == UInt8(ascii: " ") {
            closingIndent += 1
            position += 1
        }
        guard position < document.count, document[position] == UInt8(ascii: "]") else { return nil }
        head = Array(document[...bracket])
        emptyTail = Array(document[(bracket + 1)...])
        tail = [UInt8(ascii: "\n")] + Array(document[(bracket + 3)...])
        elementIndent = closingIndent + 2
    }

    /// The separator before an element: a newline before the first, a comma and a newline after.
    static func separator(first: Bool) -> [UInt8] {
        first ? [UInt8(ascii: "\n")] : [UInt8(ascii: ","), UInt8(ascii: "\n")]
    }

    /// Appends `encoded` (a value pretty-printed on its own) shifted right by `indent` spaces:
    /// before its first line and after every newline that does not start an empty line.
    static func appendIndented(_ encoded: UnsafeRawBufferPointer, indent: Int, indentFirstLine: Bool, to output: inout [UInt8]) {
        guard let base = encoded.baseAddress, encoded.count > 0 else { return }
        let spaces = [UInt8](repeating: UInt8(ascii: " "), count: indent)
        output.reserveCapacity(output.count + encoded.count + indent * 64)
        if indentFirstLine && indent > 0 && encoded[0] != UInt8(ascii: "\n") { output.append(contentsOf: spaces) }
        var offset = 0
        while offset < encoded.count {
            guard let found = memchr(base + offset, Int32(UInt8(ascii: "\n")), encoded.count - offset) else {
                output.append(contentsOf: UnsafeRawBufferPointer(rebasing: encoded[offset...]))
                return
            }
            let newline = base.distance(to: UnsafeRawPointer(found))
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: encoded[offset...newline]))
            offset = newline + 1
            if indent > 0, offset < encoded.count, encoded[offset] != UInt8(ascii: "\n") { output.append(contentsOf: spaces) }
        }
    }

    static func appendIndented(_ encoded: [UInt8], indent: Int, indentFirstLine: Bool, to output: inout [UInt8]) {
        encoded.withUnsafeBytes { appendIndented($0, indent: indent, indentFirstLine: indentFirstLine, to: &output) }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count, let first = needle.first else { return nil }
        var index = 0
        while index + needle.count <= haystack.count {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
