import Foundation
import Testing
import TestSupport

@testable import WebSocketProtocol

@Suite struct Base64Tests {
    /// RFC 4648 §10 test vectors.
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ])
    func encodesRFC4648Vectors(input: String, expected: String) {
        #expect(Base64.encode(Array(input.utf8)) == expected)
    }

    @Test func encodesEveryByteValueUsingBothHighAlphabetCharacters() {
        #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
        #expect(Base64.encode([0x00, 0x00, 0x00]) == "AAAA")
    }

    @Test func encodesSlicesWithoutCopyingFirst() {
        let bytes: [UInt8] = Array("xxfooxx".utf8)
        #expect(Base64.encode(bytes[2..<5]) == "Zm9v")
    }

    @Test func reportsEncodedLengthAndRefusesOverflow() {
        #expect(Base64.encodedLength(of: 0) == 0)
        #expect(Base64.encodedLength(of: 4) == 8)
        #expect(Base64.encodedLength(of: Int.max) == nil)
    }
}

@Suite struct Base64NonContiguousTests {
    @Test(arguments: [0, 1, 2, 3, 4, 5, 100])
    func encodesNonContiguousCollectionsLikeArrays(count: Int) {
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        #expect(Base64.encode(bytes.lazy.map { $0 }) == Base64.encode(bytes))
    }
}

@Suite struct Base64AppendTests {
    @Test(arguments: 0..<10)
    func appendMatchesEncode(count: Int) {
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        var output: [UInt8] = Array("prefix".utf8)
        Base64.append(bytes, to: &output)
        #expect(String(decoding: output, as: UTF8.self) == "prefix" + Base64.encode(bytes))
    }

    /// Every length around the 6-bytes-per-step loop and its 3-byte and padded tails, on random
    /// bytes, against Foundation's encoder.
    @Test func matchesFoundationOnRandomBytesOfEveryLengthUpTo200() {
        var random = SplitMix64(seed: 0xB64)
        for length in Array(0...200) + [4095, 4096, 65_537] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let expected = Data(bytes).base64EncodedString()
            #expect(Base64.encode(bytes) == expected, "length \(length)")
            var appended: [UInt8] = [0x2A]
            Base64.append(bytes, to: &appended)
            #expect(appended == [0x2A] + Array(expected.utf8), "append, length \(length)")
        }
    }
}
