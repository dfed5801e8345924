import Foundation
import Testing

@testable import Output

/// The word-at-a-time JSON string escaper must write exactly what the plain byte-by-byte rules give,
/// wherever the escapes fall (word and chunk boundaries) and whatever the string's length.
@Suite struct JSONEscapingTests {
    /// The rules, one byte at a time: `"` `\` → backslash pair, \n \r \t, other controls and DEL → \u00XX.
    static func reference(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "\"")]
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): output += [UInt8(ascii: "\\"), byte]
            case 0x0a: output += Array(#"\n"#.utf8)
            case 0x0d: output += Array(#"\r"#.utf8)
            case 0x09: output += Array(#"\t"#.utf8)
            case 0..<0x20, 0x7f: output += Array(String(format: "\\u%04x", Int(byte)).utf8)
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
        return output
    }

    static func escaped(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        JSONEncoding.appendStringBytes(bytes, to: &output)
        return output
    }

    @Test func everySingleByteValueEscapesLikeTheRules() {
        for byte in 0...255 {
            // Alone, and at each position of a word followed by clean text.
            for position in 0..<9 {
                var bytes = Array(repeating: UInt8(ascii: "a"), count: 16)
                bytes[position] = UInt8(byte)
                #expect(Self.escaped(bytes) == Self.reference(bytes), "byte \(byte) at \(position)")
            }
        }
    }

    @Test func randomStringsAcrossChunkBoundariesEscapeLikeTheRules() {
        var generator = SplitMix(seed: 0x4A53_4F4E)
        let alphabet: [UInt8] = Array("ab {\"k\":\"v\\\\\"}\n\r\t\u{1}\u{7f}é✓".utf8)
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 1023, 1024, 1025, 3000, 6150] {
            for density in [0, 1, 4, 64] {
                let bytes = (0..<length).map { _ -> UInt8 in
                    density > 0 && generator.next() % UInt64(density) == 0
                        ? alphabet[Int(generator.next() % UInt64(alphabet.count))] : UInt8(ascii: "x")
                }
                #expect(Self.escaped(bytes) == Self.reference(bytes), "length \(length), density \(density)")
            }
        }
    }

    @Test func appendsAfterExistingOutputAndEscapesStrings() {
        var output = Array("prefix:".utf8)
        JSONEncoding.appendString("tab\there \"q\" ✓", to: &output)
        #expect(String(decoding: output, as: UTF8.self) == #"prefix:"tab\there \"q\" ✓""#)
    }
}

/// A tiny deterministic generator (SplitMix64) for the random strings above.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
