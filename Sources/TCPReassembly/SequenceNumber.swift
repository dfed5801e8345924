/// A TCP sequence number with serial-number arithmetic (RFC 1982): comparisons and distances are taken
/// modulo 2^32, so a connection whose initial sequence number is near 2^32 keeps working after the wrap.
///
/// Deliberately not `Comparable`: "before" is only meaningful within half the sequence space, so it is
/// not a total order and must not be handed to a sorting algorithm.
struct SequenceNumber: Hashable, Sendable, CustomStringConvertible {
    var rawValue: UInt32

    init(_ rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// The number `count` bytes later, wrapping at 2^32.
    @inline(__always)
    func advanced(by count: Int) -> SequenceNumber {
        SequenceNumber(rawValue &+ UInt32(truncatingIfNeeded: count))
    }

    /// How many bytes `other` lies after `self`: negative when it lies before. Never traps.
    @inline(__always)
    func distance(to other: SequenceNumber) -> Int {
        Int(Int32(bitPattern: other.rawValue &- rawValue))
    }

    /// True when `self` comes strictly before `other` in serial-number order.
    @inline(__always)
    func isBefore(_ other: SequenceNumber) -> Bool {
        distance(to: other) > 0
    }

    var description: String { String(rawValue) }
}
