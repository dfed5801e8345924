/// One place where two JSON documents differ.
public struct JSONDifference: Sendable, Equatable {
    public var path: String
    /// The recorded value (nil: absent in the recording).
    public var expected: String?
    /// The value the server sent now (nil: absent now).
    public var actual: String?
}

/// Structural comparison of two JSON documents, skipping paths the user said legitimately change.
public enum JSONDiff {
    /// Longest rendered value kept in a difference (default 1 KiB of JSON text): a difference at the
    /// root of a 16 MiB document would otherwise keep the whole document, once per listed answer.
    /// A longer value is replaced by a JSON string that says what it was and how long.
    public static let maxRenderedValueBytes = 1024

    /// Differences between `expected` and `actual`, depth first, object keys sorted, at most
    /// `maxDifferences` of them (a changed array can produce many; the count stays useful).
    public static func differences(
        _ expected: JSONValue, _ actual: JSONValue, ignoring patterns: [JSONPathPattern] = [], maxDifferences: Int = 100
    ) -> [JSONDifference] {
        var output: [JSONDifference] = []
        compare(expected, actual, path: [], patterns, maxDifferences, &output)
        return output
    }

    private static func compare(
        _ expected: JSONValue, _ actual: JSONValue, path: [JSONPathComponent], _ patterns: [JSONPathPattern], _ limit: Int,
        _ output: inout [JSONDifference]
    ) {
        guard output.count < limit, !patterns.contains(where: { $0.covers(path) }) else { return }
        switch (expected, actual) {
        case (.object(let left), .object(let right)):
            for key in Set(left.keys).union(right.keys).sorted() {
                let child = path + [.key(key)]
                switch (left[key], right[key]) {
                case (let l?, let r?): compare(l, r, path: child, patterns, limit, &output)
                case (let l?, nil): record(child, l, nil, patterns, limit, &output)
                case (nil, let r?): record(child, nil, r, patterns, limit, &output)
                case (nil, nil): break
                }
            }
        case (.array(let left), .array(let right)):
            for index in 0..<max(left.count, right.count) {
                let child = path + [.index(index)]
                switch (index < left.count ? left[index] : nil, index < right.count ? right[index] : nil) {
                case (let l?, let r?): compare(l, r, path: child, patterns, limit, &output)
                case (let l?, nil): record(child, l, nil, patterns, limit, &output)
                case (nil, let r?): record(child, nil, r, patterns, limit, &output)
                case (nil, nil): break
                }
            }
        default:
            if expected != actual { record(path, expected, actual, patterns, limit, &output) }
        }
    }

    private static func record(
        _ path: [JSONPathComponent], _ expected: JSONValue?, _ actual: JSONValue?, _ patterns: [JSONPathPattern], _ limit: Int,
        _ output: inout [JSONDifference]
    ) {
        guard output.count < limit, !patterns.contains(where: { $0.covers(path) }) else { return }
        output.append(JSONDifference(path: JSONPathPattern.render(path), expected: expected.map(rendered), actual: actual.map(rendered)))
    }

    /// The value as JSON text, or a JSON string summarising it when longer than `maxRenderedValueBytes`.
    static func rendered(_ value: JSONValue) -> String {
        let text = value.description
        guard text.utf8.count > maxRenderedValueBytes else { return text }
        let kind = switch value {
        case .object: "object"
        case .array: "array"
        case .string: "string"
        default: "value"
        }
        return JSONValue.quoted("(\(kind) of \(text.utf8.count) bytes of JSON)")
    }
}
