#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a command writes its `-o PATH` output, chosen so that nothing is lost or replaced that
/// should not be:
///
/// - `-` (or no `-o`), and any path that is standard output (`/dev/stdout`, a link to it): written
///   to standard output directly.
/// - A FIFO, a character or block device, a socket: opened and written directly (a FIFO's reader
///   gets the bytes; `/dev/null` stays a device).
/// - A regular file, or a path that does not exist yet: written to a temporary file in the same
///   directory and renamed over the target only when everything was written and synced, so the old
///   file is intact after any error. An existing target keeps its permission bits (and, as root, its
///   owner); a new one gets 0666 less the umask. A symbolic link is followed: its target is
///   replaced and the link stays, as `sniff -w` (which writes in place) does.
/// - A directory, or a file the user may not write: an error before anything is read.
///
/// Errors name the path as given: `cannot write 'out.har': No space left on device`.
public final class OutputDestination {
    /// The path as given (`-` for standard output).
    public let path: String
    public let fileDescriptor: Int32
    /// True when bytes go to this process's standard output.
    public let isStandardOutput: Bool
    /// For a regular file: the temporary file and the file it replaces (after following links).
    private var replacement: (temporary: String, target: String)?
    private var closed = false

    private init(path: String, fileDescriptor: Int32, isStandardOutput: Bool, replacement: (temporary: String, target: String)?) {
        self.path = path
        self.fileDescriptor = fileDescriptor
        self.isStandardOutput = isStandardOutput
        self.replacement = replacement
    }

    deinit { abandon() }

    /// How errors name this destination: `standard output` or `'out.har'`.
    public var name: String { path == "-" ? "standard output" : "'\(path)'" }

    /// Opens `path` (nil or `-`: standard output) for writing as described above.
    public static func open(_ path: String?) throws(OutputWriteError) -> OutputDestination {
        guard let path, path != "-" else { return OutputDestination(path: "-", fileDescriptor: 1, isStandardOutput: true, replacement: nil) }
        let name = "'\(path)'"
        var info = stat()
        if stat(path, &info) == 0 {
            let type = info.st_mode & S_IFMT
            if type == S_IFDIR { throw OutputWriteError(destination: name, code: EISDIR) }
            var standardOutput = stat()
            if fstat(1, &standardOutput) == 0, standardOutput.st_dev == info.st_dev, standardOutput.st_ino == info.st_ino {
                return OutputDestination(path: path, fileDescriptor: 1, isStandardOutput: true, replacement: nil)
            }
            if type != S_IFREG {
                let descriptor = openFile(path, O_WRONLY | O_CLOEXEC)
                guard descriptor >= 0 else { throw OutputWriteError(destination: name, code: errno) }
                return OutputDestination(path: path, fileDescriptor: descriptor, isStandardOutput: false, replacement: nil)
            }
            guard access(path, W_OK) == 0 else { throw OutputWriteError(destination: name, code: errno) }
            return try replacing(path, existing: info)
        }
        guard errno == ENOENT else { throw OutputWriteError(destination: name, code: errno) }
        return try replacing(path, existing: nil)
    }

    /// A temporary file beside the target (after following symbolic links).
    private static func replacing(_ path: String, existing: stat?) throws(OutputWriteError) -> OutputDestination {
        let name = "'\(path)'"
        let target = try followingLinks(path)
        let slash = target.lastIndex(of: "/")
        let directory = slash.map { $0 == target.startIndex ? "/" : String(target[..<$0]) } ?? "."
        let base = slash.map { String(target[target.index(after: $0)...]) } ?? target
        for _ in 0..<100 {
            let temporary = "\(directory)/.\(base).wstap-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let descriptor = openFile(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if descriptor < 0 {
                if errno == EEXIST { continue }
                throw OutputWriteError(destination: name, code: errno)
            }
            if let existing {
                _ = fchmod(descriptor, existing.st_mode & 0o7777)
                if geteuid() == 0 { _ = fchown(descriptor, existing.st_uid, existing.st_gid) }
            }
            TemporaryFileCleanup.register(temporary)
            return OutputDestination(path: path, fileDescriptor: descriptor, isStandardOutput: false, replacement: (temporary, target))
        }
        throw OutputWriteError(destination: name, code: EEXIST)
    }

    /// The file a chain of symbolic links ends at (which may not exist yet).
    static func followingLinks(_ path: String) throws(OutputWriteError) -> String {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(current, &buffer, buffer.count - 1)
            guard length >= 0 else { throw OutputWriteError(destination: "'\(path)'", code: errno) }
            let link = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if link.hasPrefix("/") {
                current = link
            } else if let slash = current.lastIndex(of: "/") {
                current = String(current[...slash]) + link
            } else {
                current = link
            }
        }
        throw OutputWriteError(destination: "'\(path)'", code: ELOOP)
    }

    /// Everything was written: syncs and closes the file, and renames a temporary file over its
    /// target. Standard output is left open (the caller flushes it).
    public func commit() throws(OutputWriteError) {
        guard !isStandardOutput, !closed else { return }
        closed = true
        if let replacement {
            if fsync(fileDescriptor) != 0 { let code = errno; _ = close(fileDescriptor); abandonReplacement(); throw OutputWriteError(destination: name, code: code) }
            if close(fileDescriptor) != 0 { let code = errno; abandonReplacement(); throw OutputWriteError(destination: name, code: code) }
            if rename(replacement.temporary, replacement.target) != 0 { let code = errno; abandonReplacement(); throw OutputWriteError(destination: name, code: code) }
            TemporaryFileCleanup.unregister()
            self.replacement = nil
        } else if close(fileDescriptor) != 0 {
            throw OutputWriteError(destination: name, code: errno)
        }
    }

    /// Something failed: removes the temporary file, leaving the target as it was.
    public func abandon() {
        guard !isStandardOutput, !closed else { return }
        closed = true
        _ = close(fileDescriptor)
        abandonReplacement()
    }

    private func abandonReplacement() {
        guard let replacement else { return }
        _ = unlink(replacement.temporary)
        TemporaryFileCleanup.unregister()
        self.replacement = nil
    }
}

/// `open(2)` under a name the type's own `open` does not hide.
private func openFile(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 { open(path, flags, mode) }

/// Removes the temporary file of an unfinished `-o` output when the program is interrupted (Ctrl-C,
/// SIGTERM, SIGHUP), so no `.name.wstap-…` file is left beside the target. Signals the parent
/// ignored stay ignored.
enum TemporaryFileCleanup {
    nonisolated(unsafe) static var path: UnsafeMutablePointer<CChar>?
    static let signals = [SIGINT, SIGTERM, SIGHUP]

    static func register(_ temporary: String) {
        unregister()
        path = strdup(temporary)
        for number in signals {
            var current = sigaction()
            guard sigaction(number, nil, &current) == 0 else { continue }
            #if canImport(Glibc)
            let handler = current.__sigaction_handler.sa_handler
            #else
            let handler = current.__sigaction_u.__sa_handler
            #endif
            if address(handler) != address(SIG_IGN) { signal(number, removeTemporaryFileAndDie) }
        }
    }

    /// A handler's address, to tell SIG_IGN from the others (C function pointers are not Equatable).
    private static func address(_ handler: (@convention(c) (Int32) -> Void)?) -> Int {
        handler.map { unsafeBitCast($0, to: Int.self) } ?? 0
    }

    static func unregister() {
        guard let old = path else { return }
        path = nil
        free(old)
    }
}

/// The signal handler: only async-signal-safe calls (unlink, signal, raise).
private func removeTemporaryFileAndDie(_ number: Int32) {
    if let path = TemporaryFileCleanup.path { unlink(path) }
    signal(number, SIG_DFL)
    raise(number)
}
