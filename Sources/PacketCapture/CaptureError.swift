/// Why reading packets failed, in terms a command-line user can act on.
///
/// Kept small and `Equatable` so that callers can decide what to do (a truncated file still prints what
/// was read; a bad filter is a usage error) and tests can compare outcomes exactly.
public enum CaptureError: Error, CustomStringConvertible, Equatable {
    /// The file is missing, unreadable, or not a pcap/pcapng capture (bad magic, empty file).
    case cannotOpen(path: String, message: String)
    /// libpcap could not compile the BPF expression; `message` is libpcap's own explanation.
    case badFilter(expression: String, message: String)
    /// The capture ends in the middle of a record: the caller warns and keeps what it already printed,
    /// because captures copied while still being written end like this all the time.
    case truncatedFile(message: String)
    /// Any other read error reported by libpcap.
    case readFailed(message: String)

    /// One clear human line, e.g. `cannot open 'x.pcap': unknown file format`.
    public var description: String {
        switch self {
        case .cannotOpen(let path, let message):
            return "cannot open '\(path)': \(message)"
        case .badFilter(let expression, let message):
            return "bad capture filter '\(expression)': \(message)"
        case .truncatedFile(let message):
            return "capture file is truncated: \(message)"
        case .readFailed(let message):
            return "cannot read packets: \(message)"
        }
    }
}
