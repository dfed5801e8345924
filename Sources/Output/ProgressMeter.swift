#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A progress bar on standard error while a large file is read, so that a person knows wstap is
/// working and how long is left. It redraws at most every `minRedrawBytes` of progress and erases
/// itself when done, so it never mixes with the output proper (which goes to standard output).
public final class ProgressMeter {
    private let totalBytes: Int64
    private let fileDescriptor: Int32
    private let label: String
    /// Progress between two redraws (default: 1/200 of the file).
    public let minRedrawBytes: Int64
    private var lastDrawn: Int64 = -1
    private var drawn = false
    /// Width of the bar in characters (default 30).
    public var barWidth = 30

    public init(totalBytes: Int64, label: String, fileDescriptor: Int32 = 2) {
        self.totalBytes = max(1, totalBytes)
        self.label = label
        self.fileDescriptor = fileDescriptor
        self.minRedrawBytes = max(1, totalBytes / 200)
    }

    /// Whether a meter makes sense: standard error is a terminal and the file is big enough to take
    /// a moment (default 8 MiB).
    public static func wanted(fileBytes: Int64?, minFileBytes: Int64 = 8 << 20, fileDescriptor: Int32 = 2) -> Bool {
        guard let fileBytes, fileBytes >= minFileBytes else { return false }
        return isatty(fileDescriptor) == 1
    }

    public func update(bytesRead: Int64) {
        guard bytesRead - lastDrawn >= minRedrawBytes || lastDrawn < 0 else { return }
        lastDrawn = bytesRead
        let fraction = min(1, Double(bytesRead) / Double(totalBytes))
        let filled = Int(fraction * Double(barWidth))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled)
        let percent = Int(fraction * 100)
        write("\r\(label) \(bar) \(percent)% \(HumanReadable.size(UInt64(max(0, bytesRead)))) / \(HumanReadable.size(UInt64(totalBytes)))\u{1b}[K")
        drawn = true
    }

    /// Erases the bar.
    public func finish() {
        guard drawn else { return }
        write("\r\u{1b}[K")
        drawn = false
    }

    private func write(_ text: String) {
        var text = text
        text.withUTF8 { _ = systemWrite(fileDescriptor, $0.baseAddress, $0.count) }
    }
}

/// `write(2)` under a name that the method above does not shadow.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafePointer<UInt8>?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
