import TestSupport
import Testing

@testable import WebSocketProtocol

/// RFC 6455 §9.1 grammar checks of `Sec-WebSocket-Extensions`, and hostile values that must neither
/// crash the parser nor cost more than linear time.
@Suite struct WebSocketExtensionSyntaxTests {
    @Test(arguments: [
        ("per message-deflate", "extension name"),
        ("\"permessage-deflate\"", "extension name"),
        ("permessage-deflate\u{E9}", "extension name"),
        ("; client_max_window_bits", "extension name"),
        ("permessage-deflate; client max", "parameter name"),
        ("permessage-deflate; =10", "parameter name"),
        ("permessage-deflate; a=1 0", "parameter value"),
        ("permessage-deflate; a=\"10", "parameter value"),
        ("permessage-deflate; a=", "parameter value"),
        ("permessage-deflate; a=\"x\"y", "parameter value"),
    ])
    func malformedElementsAreFound(_ value: String, _ what: String) {
        let problems = WebSocketExtensionHeader.malformedElements([value])
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.reason.contains(what) == true, "\(problems)")
        #expect(problems.first?.element == value.trimmingSpaces)
    }

    @Test(arguments: [
        "permessage-deflate", "permessage-deflate; client_max_window_bits", "permessage-deflate;client_max_window_bits=15",
        "a; b=\"1,2;3\"; c = \"x\\\"y\" ; d=10", "  , permessage-deflate ;;", "x-webkit-deflate-frame, permessage-deflate", "",
    ])
    func wellFormedValuesHaveNoProblems(_ value: String) {
        #expect(WebSocketExtensionHeader.malformedElements([value]).isEmpty)
    }

    @Test func hostileValuesNeverCrashAndOnlyTokensComeOut() {
        var generator = SplitMix64(seed: 7)
        let alphabet = Array("ab=;,\"\\ \t\u{0}\u{7f}\u{ff}".utf8)
        for _ in 0..<2000 {
            let length = Int(generator.next() % 40)
            let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            let value = String(decoding: bytes, as: UTF8.self)
            let offers = WebSocketExtensionHeader.parse([value])
            #expect(offers.allSatisfy { !$0.name.isEmpty && $0.name.utf8.allSatisfy(isTokenCharacter) })
            _ = WebSocketExtensionHeader.malformedElements([value])
            _ = PerMessageDeflateParameters(negotiated: offers)
        }
    }

    @Test func hugeValuesCostLinearTime() {
        let separators = String(repeating: ",;\"\\", count: 250_000)
        let elements = String(repeating: "a; b=\"c\", ", count: 100_000)
        let unbalanced = "a; b=\"" + String(repeating: "\\", count: 500_001)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for value in [separators, elements, unbalanced] {
                _ = WebSocketExtensionHeader.parse([value])
                _ = WebSocketExtensionHeader.malformedElements([value])
            }
        }
        #expect(WebSocketExtensionHeader.parse([elements]).count == 100_000)
        #expect(elapsed < .seconds(30), "\(elapsed)")
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(decoding: trimmingWhitespace(Array(utf8)[...]), as: UTF8.self)
    }
}
