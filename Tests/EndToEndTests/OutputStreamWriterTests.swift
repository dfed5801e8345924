import Foundation
import Output
import Testing

/// The writer behind every command's standard output checks each write(2): interrupted and
/// partial writes go on where they stopped, a failure is reported with its cause.
@Suite(.serialized) struct OutputStreamWriterTests {
    /// 4 MiB through a pipe drained slowly in small reads: the writer blocks and resumes many times,
    /// and every byte must arrive once, in order. (Interrupting it with signals is not done here: a
    /// signal handler would be process-wide in the shared test runner.)
    @Test func slowlyDrainedWritesLoseNothing() throws {
        var descriptors: [Int32] = [0, 0]
        #expect(pipe(&descriptors) == 0)
        let total = 4 << 20
        let expected = (0..<total).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 11)) }

        nonisolated(unsafe) var received = Data()
        let readerDone = DispatchSemaphore(value: 0)
        let readEnd = descriptors[0]
        Thread.detachNewThread {
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(readEnd, &chunk, chunk.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                received.append(contentsOf: chunk[..<count])
                if received.count % (256 << 10) < 4096 { usleep(2000) }
            }
            readerDone.signal()
        }

        nonisolated(unsafe) var failure: OutputWriteError?
        nonisolated(unsafe) var written: UInt64 = 0
        let writerDone = DispatchSemaphore(value: 0)
        let writeEnd = descriptors[1]
        Thread.detachNewThread {
            let writer = OutputStreamWriter(fileDescriptor: writeEnd, destinationName: "the pipe", onFailure: OutputWriteFailure.record)
            var offset = 0
            while offset < total {
                let end = min(total, offset + 100_003)
                writer.append(expected[offset..<end])
                writer.endRecord()
                offset = end
            }
            writer.flush()
            failure = writer.failure
            written = writer.bytesWritten
            close(writeEnd)
            writerDone.signal()
        }
        #expect(writerDone.wait(timeout: .now() + 60) == .success)
        #expect(readerDone.wait(timeout: .now() + 60) == .success)
        close(readEnd)
        #expect(failure == nil)
        #expect(written == UInt64(total))
        #expect(received.count == total)
        #expect(received == Data(expected))
    }

    @Test func aFullDeviceIsAFailureWithItsCause() throws {
        let descriptor = open("/dev/full", O_WRONLY)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        let writer = OutputStreamWriter(fileDescriptor: descriptor, onFailure: OutputWriteFailure.record)
        writer.append("a line\n")
        writer.flush()
        #expect(writer.failure == OutputWriteError(destination: "standard output", code: ENOSPC))
        #expect(writer.failure?.description == "cannot write standard output: No space left on device")
        writer.append("dropped\n")
        writer.flush()
        #expect(writer.bytesWritten == 0)
    }

    @Test func aClosedPipeIsABrokenPipe() throws {
        var descriptors: [Int32] = [0, 0]
        #expect(pipe(&descriptors) == 0)
        close(descriptors[0])
        defer { close(descriptors[1]) }
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        let writer = OutputStreamWriter(fileDescriptor: descriptors[1], onFailure: OutputWriteFailure.record)
        writer.append("to nobody\n")
        writer.flush()
        #expect(writer.failure?.isBrokenPipe == true)
    }
}
