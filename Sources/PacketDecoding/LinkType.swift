/// A libpcap link-layer header type (`LINKTYPE_*`/`DLT_*` value), as a value that can also hold types
/// wstap does not decode, so that it can name them in an error.
public struct LinkType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// BSD loopback: a 4-byte address family in the capturing host's byte order (macOS `lo0`).
    public static let null = LinkType(rawValue: 0)
    public static let ethernet = LinkType(rawValue: 1)
    /// Raw IP as DLT_RAW on most systems.
    public static let rawDLT12 = LinkType(rawValue: 12)
    /// Raw IP as DLT_RAW on OpenBSD.
    public static let rawDLT14 = LinkType(rawValue: 14)
    /// LINKTYPE_RAW, what libpcap reports for raw IP in files.
    public static let raw = LinkType(rawValue: 101)
    /// OpenBSD loopback: the 4-byte address family is in network byte order.
    public static let loop = LinkType(rawValue: 108)
    /// Linux cooked capture v1 (`tcpdump -i any` before libpcap 1.10).
    public static let linuxSLL = LinkType(rawValue: 113)
    public static let ipv4 = LinkType(rawValue: 228)
    public static let ipv6 = LinkType(rawValue: 229)
    /// Linux cooked capture v2 (`tcpdump -i any` with libpcap 1.10 and later).
    public static let linuxSLL2 = LinkType(rawValue: 276)

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .ethernet: return "EN10MB"
        case .rawDLT12, .rawDLT14, .raw: return "RAW"
        case .loop: return "LOOP"
        case .linuxSLL: return "LINUX_SLL"
        case .ipv4: return "IPV4"
        case .ipv6: return "IPV6"
        case .linuxSLL2: return "LINUX_SLL2"
        default: return "linktype \(rawValue)"
        }
    }
}
