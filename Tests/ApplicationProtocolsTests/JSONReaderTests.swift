import ApplicationProtocols
import Testing

/// The bounded JSON reader: strict grammar, order kept, depth limited.
struct JSONReaderTests {
    @Test func keepsOrderAndNumberText() throws {
        let node = try JSONReader.parse(Array(#" {"b":1.0,"a":[true,null,"x\u00e9\n"]} "#.utf8)).get()
        #expect(node.compact == #"{"b":1.0,"a":[true,null,"xé\n"]}"#)
    }

    @Test(arguments: ["", "{", "[1,]", "01", "\"\u{1}\"", "{\"a\"}", "1 2", "\"\\ud800\"", "tru"])
    func refusesWhatIsNotJSON(_ text: String) {
        #expect(throws: JSONReader.Failure.self) { try JSONReader.parse(Array(text.utf8)).get() }
    }

    @Test func refusesNestingBeyondTheLimit() {
        let deep = Array(repeating: UInt8(ascii: "["), count: 100_000)
        #expect(throws: JSONReader.Failure.tooDeep(maxDepth: 64)) { try JSONReader.parse(deep).get() }
        let ok = Array(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).map { UInt8(ascii: $0.unicodeScalars.first!) }
        #expect((try? JSONReader.parse(ok).get()) != nil)
    }
}
