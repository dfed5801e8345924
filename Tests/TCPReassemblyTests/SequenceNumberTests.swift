import Testing
@testable import TCPReassembly

struct SequenceNumberTests {
    @Test(arguments: [
        (UInt32(10), UInt32(20), 10),
        (UInt32(20), UInt32(10), -10),
        (UInt32.max - 1, UInt32(3), 5),
        (UInt32(3), UInt32.max - 1, -5),
    ])
    func distanceIsSignedAndWrapsAtTwoToTheThirtyTwo(from: UInt32, to: UInt32, expected: Int) {
        #expect(SequenceNumber(from).distance(to: SequenceNumber(to)) == expected)
        #expect(SequenceNumber(from).isBefore(SequenceNumber(to)) == (expected > 0))
    }

    @Test func advancingPastTheTopWrapsToZero() {
        #expect(SequenceNumber(UInt32.max).advanced(by: 1) == SequenceNumber(0))
        #expect(SequenceNumber(UInt32.max - 2).advanced(by: 10) == SequenceNumber(7))
    }
}
