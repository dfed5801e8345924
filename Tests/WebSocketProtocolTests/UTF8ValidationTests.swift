import Testing
import TestSupport

@testable import WebSocketProtocol

/// The fast validator must agree with the standard library's strict decoder on every input.
@Suite struct UTF8ValidationTests {
    /// The reference: Swift's UTF-8 decoder, strict in the RFC 6455 sense.
    static func reference(_ bytes: [UInt8]) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    @Test func agreesWithTheStandardLibraryOnEveryOneTwoAndThreeByteInput() {
        var disagreements = 0
        for first in 0...255 {
            for second in 0...255 {
                let pair: [UInt8] = [UInt8(first), UInt8(second)]
                if UTF8Validation.isValid(pair) != Self.reference(pair) { disagreements += 1 }
                // Third bytes from each class: ASCII, low/high continuation, lead, invalid.
                for third: UInt8 in [0x41, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC2, 0xE1, 0xF0, 0xFF] {
                    let triple = pair + [third]
                    if UTF8Validation.isValid(triple) != Self.reference(triple) { disagreements += 1 }
                }
            }
        }
        #expect(disagreements == 0)
    }

    @Test func agreesWithTheStandardLibraryOnFourByteSequencesAndLongMixedRuns() {
        var random = SplitMix64(seed: 0x5554_4638)
        let interesting: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
                                    0xDF, 0xE0, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF]
        var disagreements = 0
        for lead: UInt8 in [0xF0, 0xF1, 0xF3, 0xF4, 0xF5] {
            for second in interesting { for third in interesting { for fourth in interesting {
                let bytes = [lead, second, third, fourth]
                if UTF8Validation.isValid(bytes) != Self.reference(bytes) { disagreements += 1 }
            } } }
        }
        // Long runs: ASCII stretches (the word-at-a-time path) with valid and broken sequences
        // at every alignment.
        let pieces: [[UInt8]] = [Array("plain ascii text ".utf8), Array("é".utf8), Array("✓".utf8),
                                 Array("😀".utf8), [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x9C]]
        for _ in 0..<3000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 1...12, using: &random) {
                bytes += pieces[Int.random(in: 0..<pieces.count, using: &random)]
                    .prefix(Int.random(in: 1...17, using: &random))
            }
            if UTF8Validation.isValid(bytes) != Self.reference(bytes) { disagreements += 1 }
            if UTF8Validation.isValid(bytes[1...]) != Self.reference(Array(bytes[1...])) { disagreements += 1 }
        }
        #expect(disagreements == 0)
    }

    @Test func acceptsEmptyAndRejectsSurrogatesOverlongsAndOutOfRange() {
        #expect(UTF8Validation.isValid([UInt8]()))
        #expect(UTF8Validation.isValid(Array("héllo ✓ 😀".utf8)))
        #expect(!UTF8Validation.isValid([0xED, 0xA0, 0x80]))  // U+D800
        #expect(!UTF8Validation.isValid([0xC0, 0x80]))  // overlong NUL
        #expect(!UTF8Validation.isValid([0xF4, 0x90, 0x80, 0x80]))  // U+110000
        #expect(!UTF8Validation.isValid(Array("abcdefgh".utf8) + [0xE2, 0x9C]))  // cut short
    }
}
