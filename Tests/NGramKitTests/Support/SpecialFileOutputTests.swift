import Foundation
import NGramKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Output to a path that is not a regular file (`--arpa /dev/null`, `--binary /dev/stdout`, a
/// named pipe) goes into that file. The temporary-file-and-rename that protects regular files
/// must not apply there: renaming over `/dev/null` replaces the device with a plain file.
@Suite struct SpecialFileOutputTests {
    /// Reads everything written into the named pipe at `path` on another thread while `write`
    /// runs, and returns it.
    static func readThroughPipe(_ path: String, while write: () throws -> Void) throws -> Data {
        final class Box: @unchecked Sendable { var data = Data() }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let reader = Thread {
            // Opening a pipe for reading waits for its writer.
            if let handle = FileHandle(forReadingAtPath: path) {
                box.data = handle.readDataToEndOfFile()
                try? handle.close()
            }
            done.signal()
        }
        reader.start()
        do {
            try write()
        } catch {
            // Let the reader's open return (an opened and closed writer), then report.
            let unblock = open(path, O_WRONLY | O_NONBLOCK)
            if unblock >= 0 { close(unblock) }
            done.wait()
            throw error
        }
        done.wait()
        return box.data
    }

    static func isCharacterDevice(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFCHR
    }

    @Test("/dev/null stays a character device and no temporary file is left beside it")
    func devNullStaysADevice() throws {
        #expect(Self.isCharacterDevice("/dev/null"))
        let sink = try OutputSink(path: "/dev/null")
        try "a line\n".utf8.withContiguousStorageIfAvailable { try sink.write($0) }
        try sink.commit()
        #expect(Self.isCharacterDevice("/dev/null"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "/dev").filter { $0.hasPrefix("null.tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test("An ARPA file written into a named pipe has the bytes of the one written to a file")
    func arpaIntoPipe() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try ARPARoundTripTests.model(.kneserNey, order: 3)
        let file = directory.appendingPathComponent("model.arpa").path
        let fileSink = try OutputSink(path: file)
        try ARPAWriter.write(model, to: fileSink, threads: 2)
        try fileSink.commit()
        let pipe = directory.appendingPathComponent("pipe").path
        #expect(mkfifo(pipe, 0o600) == 0)
        let received = try Self.readThroughPipe(pipe) {
            let sink = try OutputSink(path: pipe)
            try ARPAWriter.write(model, to: sink, threads: 2)
            try sink.commit()
        }
        let expected = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(expected.count > 100_000)
        #expect(received == expected)
        // Still a pipe: nothing was renamed over it.
        var info = stat()
        #expect(stat(pipe, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
    }

    @Test("A binary model written into a named pipe or /dev/null: the bytes of the file, devices kept")
    func binaryIntoPipe() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try ARPARoundTripTests.model(.kneserNey, order: 3)
        let file = directory.appendingPathComponent("model.bin").path
        try BinaryModelWriter.write(model, to: file)
        let pipe = directory.appendingPathComponent("pipe").path
        #expect(mkfifo(pipe, 0o600) == 0)
        let received = try Self.readThroughPipe(pipe) { try BinaryModelWriter.write(model, to: pipe) }
        let expected = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(expected.count > 100_000)
        #expect(received == expected)
        try BinaryModelWriter.write(model, to: "/dev/null")
        #expect(Self.isCharacterDevice("/dev/null"))
    }
}
