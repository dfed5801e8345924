/// A step of a path inside a JSON document: an object key or an array index.
public enum JSONPathComponent: Sendable, Equatable {
    case key(String)
    case index(Int)
}

/// The JSONPath subset `--ignore` accepts, to skip fields that legitimately change between runs
/// (timestamps, ids): `$.a.b`, `$['a b']`, `$.items[0]`, `$.items[*].ts`, `$.*`, and `$..ts`
/// (`..` matches any depth, including none). Filters and slices are refused with a clear error.
public struct JSONPathPattern: Sendable, Equatable, CustomStringConvertible {
    enum Step: Sendable, Equatable {
        case key(String)
        case index(Int)
        case anyChild
        case anyDepth
    }

    let steps: [Step]
    public let description: String

    /// Why a pattern was refused.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(_ text: String) throws(ParseError) {
        description = text
        let characters = Array(text)
        guard characters.first == "$" else { throw ParseError(description: "JSONPath '\(text)' must start with $") }
        var steps: [Step] = []
        var index = 1
        func name() -> String {
            var name = ""
            while index < characters.count, characters[index] != ".", characters[index] != "[" {
                name.append(characters[index])
                index += 1
            }
            return name
        }
        while index < characters.count {
            switch characters[index] {
            case ".":
                index += 1
                if index < characters.count, characters[index] == "." {
                    index += 1
                    steps.append(.anyDepth)
                    if index < characters.count, characters[index] == "[" { continue }
                }
                let key = name()
                guard !key.isEmpty else { throw ParseError(description: "JSONPath '\(text)': empty name after '.'") }
                steps.append(key == "*" ? .anyChild : .key(key))
            case "[":
                guard let close = characters[index...].firstIndex(of: "]") else {
                    throw ParseError(description: "JSONPath '\(text)': '[' without ']'")
                }
                let inside = String(characters[(index + 1)..<close])
                index = close + 1
                if inside == "*" {
                    steps.append(.anyChild)
                } else if let number = Int(inside), number >= 0 {
                    steps.append(.index(number))
                } else if inside.count >= 2, let quote = inside.first, quote == "'" || quote == "\"", inside.last == quote {
                    steps.append(.key(String(inside.dropFirst().dropLast())))
                } else {
                    throw ParseError(description: "JSONPath '\(text)': unsupported selector [\(inside)] (use a key, an index or *)")
                }
            default:
                throw ParseError(description: "JSONPath '\(text)': unexpected '\(characters[index])'")
            }
        }
        self.steps = steps
    }

    /// Whether the value at `path` is covered: the pattern matches the path or one of its prefixes,
    /// so ignoring `$.meta` also ignores everything under it.
    public func covers(_ path: [JSONPathComponent]) -> Bool {
        (0...path.count).contains { Self.matches(steps[...], path.prefix($0)) }
    }

    private static func matches(_ steps: ArraySlice<Step>, _ path: ArraySlice<JSONPathComponent>) -> Bool {
        guard let step = steps.first else { return path.isEmpty }
        let rest = steps.dropFirst()
        if step == .anyDepth {
            return (0...path.count).contains { matches(rest, path.dropFirst($0)) }
        }
        guard let component = path.first else { return false }
        switch (step, component) {
        case (.anyChild, _): break
        case (.key(let key), .key(let actual)) where key == actual: break
        case (.index(let index), .index(let actual)) where index == actual: break
        default: return false
        }
        return matches(rest, path.dropFirst())
    }

    /// `$.a[0]['b c']`: how reports print a path.
    public static func render(_ path: [JSONPathComponent]) -> String {
        var text = "$"
        for component in path {
            switch component {
            case .index(let index): text += "[\(index)]"
            case .key(let key):
                let plain = !key.isEmpty && key.unicodeScalars.allSatisfy { ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") }
                text += plain ? ".\(key)" : "[\(JSONValue.quoted(key))]"
            }
        }
        return text
    }
}
