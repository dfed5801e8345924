import Testing

@testable import WebSocketProtocol

struct WebSocketCloseCodeTests {
    @Test(arguments: [
        (UInt16(1000), true), (1001, true), (1003, true), (1004, false), (1005, false), (1006, false), (1007, true),
        (1014, true), (1015, false), (1016, false), (999, false), (0, false), (2999, false), (3000, true), (4999, true),
        (5000, false), (UInt16.max, false),
    ])
    func whatMayBeSentOnTheWire(code: UInt16, allowed: Bool) {
        #expect(WebSocketCloseCode(code).maySend == allowed)
    }

    @Test func registeredCodesHaveNamesAndOthersKeepTheirNumber() {
        #expect(WebSocketCloseCode.goingAway.description == "1001 (going away)")
        #expect(WebSocketCloseCode(4001).category == .application)
        #expect(WebSocketCloseCode(4001).description == "4001")
        #expect(WebSocketCloseCode(29972).category == .unknown)
        #expect(WebSocketCloseCode(29972).rawValue == 29972)
    }
}
