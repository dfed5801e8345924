import PacketDecoding

/// The 4-tuple of a TCP connection, the same value for both directions.
///
/// The two endpoints are stored in a canonical order so that one dictionary lookup finds the connection
/// whichever side sent the packet.
struct ConnectionKey: Hashable, Sendable {
    let lower: Endpoint
    let higher: Endpoint

    init(_ first: Endpoint, _ second: Endpoint) {
        if Self.precedes(second, first) {
            lower = second
            higher = first
        } else {
            lower = first
            higher = second
        }
    }

    /// Any fixed total order will do; IPv4 before IPv6, then address, then port.
    static func precedes(_ left: Endpoint, _ right: Endpoint) -> Bool {
        switch (left.address, right.address) {
        case (.v4(let leftValue), .v4(let rightValue)):
            return leftValue != rightValue ? leftValue < rightValue : left.port < right.port
        case (.v4, .v6):
            return true
        case (.v6, .v4):
            return false
        case (.v6(let leftHigh, let leftLow), .v6(let rightHigh, let rightLow)):
            if leftHigh != rightHigh { return leftHigh < rightHigh }
            if leftLow != rightLow { return leftLow < rightLow }
            return left.port < right.port
        }
    }
}

extension Timestamp {
    /// Seconds from `earlier` to `self`, computed in floating point so that hostile timestamps far
    /// apart cannot overflow and trap.
    func elapsed(since earlier: Timestamp) -> Double {
        (Double(seconds) - Double(earlier.seconds)) + (Double(nanoseconds) - Double(earlier.nanoseconds)) / 1e9
    }
}
