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
    /// Live capture is not allowed for this user: capturing needs root or CAP_NET_RAW.
    case permissionDenied(interface: String, message: String)
    /// No interface has that name; `available` lists the names libpcap offers, so the user can pick.
    case noSuchInterface(name: String, available: [String])
    /// No interface is up (besides loopback), so there is nothing to pick by default.
    case noDefaultInterface
    /// Any other failure to start a live capture, with libpcap's explanation.
    case cannotCapture(interface: String, message: String)
    /// The packet file given to `-w` could not be created or written.
    case cannotWrite(path: String, message: String)

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
        case .permissionDenied(let interface, let message):
            return "no permission to capture on '\(interface)' (\(message)): run as root, or grant the capture capabilities once with: sudo setcap cap_net_raw,cap_net_admin=eip $(command -v wstap)"
        case .noSuchInterface(let name, let available):
            let list = available.isEmpty ? "none" : available.joined(separator: ", ")
            return "no interface named '\(name)'; available interfaces: \(list)"
        case .noDefaultInterface:
            return "no network interface is up; choose one with -i (e.g. -i lo or -i any)"
        case .cannotCapture(let interface, let message):
            return "cannot capture on '\(interface)': \(message)"
        case .cannotWrite(let path, let message):
            return "cannot write '\(path)': \(message)"
        }
    }
}
