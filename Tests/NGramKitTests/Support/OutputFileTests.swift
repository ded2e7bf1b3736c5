import Foundation
import NGramKit
import Testing

/// Outputs: where the bytes go (symbolic links followed, devices and pipes written into), what
/// is never destroyed (an input, another output), and what is never left behind (a temporary
/// file, after an error or a signal).
@Suite("Output files")
struct OutputFileTests {
    static let text = Array("the cat sat on the mat\nthe dog sat on the log\na cat and a dog\n".utf8)

    private func run(_ arguments: [String], stdin: Data? = nil, in directory: URL? = nil,
                     environment: [String: String] = [:]) throws -> TestSupport.Outcome {
        try TestSupport.runTool(arguments, stdin: stdin, in: directory, environment: environment)
    }

    @Test("A symbolic link to a file is kept and its target is written, for every output option")
    func symbolicLinks() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.write(Self.text, named: "t.txt", in: directory)
        let expected = directory.appendingPathComponent("expected.arpa").path
        #expect(try run(["build", "--order", "3", "--text", text, "--arpa", expected]).status == 0)
        let model = try Data(contentsOf: URL(fileURLWithPath: expected))
        let fm = FileManager.default
        // A chain of links, one of them relative, to a target in a subfolder; and a dangling link.
        try fm.createDirectory(at: directory.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let cases: [(name: String, arguments: (String) -> [String])] = [
            ("arpa", { ["build", "--order", "3", "--text", text, "--arpa", $0] }),
            ("binary", { ["build", "--order", "3", "--text", text, "--binary", $0] }),
            ("count", { ["count", "--order", "2", "--text", text, "--out", $0] }),
            ("tokenize", { ["tokenize", "--text", text, "--out", $0] }),
            ("vocab", { ["vocab", "--text", text, "--out", $0] }),
            ("compile", { ["compile", expected, $0] }),
        ]
        for (name, arguments) in cases {
            let target = directory.appendingPathComponent("sub/\(name).target").path
            try Data("old".utf8).write(to: URL(fileURLWithPath: target))
            let first = directory.appendingPathComponent("\(name).link").path, second = directory.appendingPathComponent("\(name).link2").path
            try fm.createSymbolicLink(atPath: second, withDestinationPath: "sub/\(name).target")
            try fm.createSymbolicLink(atPath: first, withDestinationPath: second)
            let result = try run(arguments(first))
            #expect(result.status == 0, "\(name): \(result.stderr)")
            #expect(try fm.destinationOfSymbolicLink(atPath: first) == second, "\(name): the link was replaced")
            #expect(try fm.destinationOfSymbolicLink(atPath: second) == "sub/\(name).target", "\(name)")
            let written = try Data(contentsOf: URL(fileURLWithPath: target))
            #expect(written != Data("old".utf8), "\(name): the target was not written")
            if name == "arpa" { #expect(written == model) }
            // A dangling link: its target is created.
            let dangling = directory.appendingPathComponent("\(name).dangling").path
            try fm.createSymbolicLink(atPath: dangling, withDestinationPath: "sub/\(name).new")
            #expect(try run(arguments(dangling)).status == 0, "\(name)")
            #expect(fm.fileExists(atPath: directory.appendingPathComponent("sub/\(name).new").path), "\(name)")
            #expect(try fm.destinationOfSymbolicLink(atPath: dangling) == "sub/\(name).new", "\(name)")
        }
        // Nothing but the files above: no temporary file anywhere.
        for folder in [directory, directory.appendingPathComponent("sub")] {
            let names = try TestSupport.contents(folder)
            #expect(names.allSatisfy { !$0.contains(".tmp-") }, "\(names)")
        }
    }

    /// What `lstat` says `path` is: a link, a regular file, something else, or absent.
    private static func kind(_ path: String) -> String {
        var info = stat()
        guard lstat(path, &info) == 0 else { return "absent" }
        switch info.st_mode & S_IFMT {
        case S_IFLNK: return "link"
        case S_IFREG: return "regular file"
        default: return "other"
        }
    }

    /// Runs `ngramkit arguments` with its standard output going into the file `out`, as the
    /// shell's `> out` does.
    private func runIntoFile(_ arguments: [String], _ out: URL) throws -> Int32 {
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.ngramkit)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test("--arpa /dev/stdout or a link to /proc/self/fd/1, stdout redirected to a file: the model lands in that file; the links stay links")
    func devStdout() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.write(Self.text, named: "t.txt", in: directory)
        let expected = directory.appendingPathComponent("expected.arpa").path
        #expect(try run(["build", "--order", "3", "--text", text, "--arpa", expected]).status == 0)
        let model = try Data(contentsOf: URL(fileURLWithPath: expected))
        // `/dev/stdout` as this machine has it: a link (the usual case) or no entry at all (a
        // minimal /dev); either way it is what it was afterwards, and the bytes reach stdout.
        let before = Self.kind("/dev/stdout")
        let out = directory.appendingPathComponent("m.arpa")
        #expect(try runIntoFile(["build", "--order", "3", "--text", text, "--arpa", "/dev/stdout"], out) == 0)
        #expect(try Data(contentsOf: out) == model)
        #expect(Self.kind("/dev/stdout") == before, "/dev/stdout was a \(before)")
        // A link of our own to /proc/self/fd/1, so that the case is tested whatever /dev holds.
        if access("/proc/self/fd", X_OK) == 0 {
            let link = directory.appendingPathComponent("out.link").path
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/proc/self/fd/1")
            let viaLink = directory.appendingPathComponent("via-link.arpa")
            #expect(try runIntoFile(["build", "--order", "3", "--text", text, "--arpa", link], viaLink) == 0)
            #expect(try Data(contentsOf: viaLink) == model)
            #expect(Self.kind(link) == "link")
            // Into a pipe: written directly.
            let piped = try run(["build", "--order", "3", "--text", text, "--arpa", link])
            #expect(piped.status == 0 && Data(piped.stdout.utf8) == model)
        }
        let piped = try run(["build", "--order", "3", "--text", text, "--arpa", "/dev/stdout"])
        #expect(piped.status == 0 && Data(piped.stdout.utf8) == model)
        #expect(Self.kind("/dev/stdout") == before)
        #expect(try TestSupport.contents(directory).allSatisfy { !$0.contains(".tmp-") })
    }

    /// Whether this process may make a mount namespace of its own (root, and a sandbox that
    /// allows it): the only way to show a program a /dev without the standard-stream links.
    static let canMakeMountNamespace: Bool = {
        guard getuid() == 0, let result = try? TestSupport.run("/usr/bin/unshare", ["-m", "true"]) else { return false }
        return result.status == 0
    }()

    @Test("A /dev without stdout, stdin or fd links: /dev/stdout, /dev/stdin and /dev/fd/N are the descriptors, never new files",
          .enabled(if: canMakeMountNamespace, "needs root and unshare -m"))
    func minimalDev() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.write(Self.text, named: "t.txt", in: directory)
        let expected = directory.appendingPathComponent("expected.arpa").path
        #expect(try run(["build", "--order", "3", "--text", text, "--arpa", expected]).status == 0)
        let model = try Data(contentsOf: URL(fileURLWithPath: expected))
        let binary = directory.appendingPathComponent("expected.bin").path
        #expect(try run(["compile", expected, binary]).status == 0)
        // A folder holding only `null`, mounted over /dev in a namespace of the child's own.
        let dev = directory.appendingPathComponent("dev")
        try FileManager.default.createDirectory(at: dev, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dev.appendingPathComponent("null").path, contents: nil)
        func inMinimalDev(_ command: String, stdin: Data? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
            let script = "mount --bind /dev/null \(dev.path)/null && mount --bind \(dev.path) /dev && \(command)"
            return try TestSupport.run("/usr/bin/unshare", ["-m", "sh", "-c", script], stdin: stdin)
        }
        let k = TestSupport.ngramkit
        let out = directory.appendingPathComponent("m.arpa").path
        var result = try inMinimalDev("'\(k)' build --order 3 --text '\(text)' --arpa /dev/stdout > '\(out)'")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == model)
        result = try inMinimalDev("'\(k)' build --order 3 --text /dev/stdin --arpa /dev/fd/1", stdin: Data(Self.text))
        #expect(result.status == 0 && Data(result.stdout.utf8) == model, "\(result.stderr)")
        let bin = directory.appendingPathComponent("m.bin").path
        result = try inMinimalDev("'\(k)' compile '\(expected)' /dev/stdout > '\(bin)'")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: bin)) == Data(contentsOf: URL(fileURLWithPath: binary)))
        // The same file as an input, reached through the descriptor: refused.
        result = try inMinimalDev("'\(k)' compile '\(expected)' /dev/stdout >> '\(expected)'")
        #expect(result.status != 0 && result.stderr.contains("same file"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: expected)) == model)
        // Nothing was created in the folder mounted as /dev.
        #expect(try TestSupport.contents(dev) == ["null"])
    }

    @Test("A replaced file keeps its permission bits; a new one gets 0666 less the umask")
    func modes() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.write(Self.text, named: "t.txt", in: directory)
        let kept = directory.appendingPathComponent("kept.arpa").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: kept))
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: kept)
        #expect(try run(["build", "--order", "2", "--text", text, "--arpa", kept]).status == 0)
        #expect((try FileManager.default.attributesOfItem(atPath: kept)[.posixPermissions] as? Int) == 0o640)
        let fresh = directory.appendingPathComponent("fresh.arpa").path
        #expect(try run(["build", "--order", "2", "--text", text, "--arpa", fresh]).status == 0)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: fresh)[.posixPermissions] as? Int)
        let mask = umask(0); umask(mask)
        #expect(mode == 0o666 & ~Int(mask))
    }

    @Test("An output that is an input, or another output, is refused before any work, by file identity")
    func sameFiles() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.write(Self.text, named: "t.txt", in: directory)
        let arpa = directory.appendingPathComponent("in.arpa").path
        #expect(try run(["build", "--order", "3", "--text", text, "--arpa", arpa]).status == 0)
        let counts = directory.appendingPathComponent("c.txt").path
        #expect(try run(["count", "--order", "3", "--text", text, "--out", counts]).status == 0)
        // A second name for the same file: a symbolic link and a hard link.
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("alias.arpa").path, withDestinationPath: arpa)
        try FileManager.default.linkItem(atPath: counts, toPath: directory.appendingPathComponent("hard.txt").path)
        let before = try [arpa, counts, text].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        let cases: [([String], String)] = [
            (["compile", arpa, arpa], "is the same file as the input"),
            (["compile", arpa, directory.appendingPathComponent("alias.arpa").path], "is the same file as the input"),
            (["build", "--order", "3", "--text", text, "--arpa", "x.arpa", "--binary", "x.arpa"], "is the same file as --arpa"),
            (["build", "--order", "3", "--counts", counts, "--arpa", counts], "is the same file as the input --counts"),
            (["build", "--order", "3", "--counts", counts, "--arpa", directory.appendingPathComponent("hard.txt").path], "is the same file as the input"),
            (["build", "--order", "3", "--text", text, "--arpa", text], "is the same file as the input --text"),
            (["count", "--text", text, "--out", text], "is the same file as the input --text"),
            (["tokenize", "--text", text, "--out", text], "is the same file as the input --text"),
            (["vocab", "--text", text, "--out", text], "is the same file as the input --text"),
        ]
        let names = try TestSupport.contents(directory)
        for (arguments, fragment) in cases {
            let result = try run(arguments, in: directory)
            #expect(result.status == 1 && result.errorLines.count == 1 && result.stderr.contains(fragment), "\(arguments): \(result.stderr)")
        }
        #expect(try [arpa, counts, text].map { try Data(contentsOf: URL(fileURLWithPath: $0)) } == before)
        #expect(try TestSupport.contents(directory) == names)
    }

    @Test("A failed write to standard output is an error: summaries, JSON, help, scale")
    func fullStandardOutput() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.write(Self.text, named: "t.txt", in: directory)
        let arpa = directory.appendingPathComponent("m.arpa").path
        let cases: [[String]] = [
            ["count", "--text", text], ["count", "--text", text, "--json"],
            ["build", "--order", "2", "--text", text, "--arpa", arpa, "--json"],
            ["ppl", "--model", arpa, "--text", text], ["query", "--model", arpa, "--text", text],
            ["tokenize", "--text", text], ["vocab", "--text", text],
            ["scale", "--text", text, "--orders", "1", "--sizes", "5", "--bootstrap", "100", "--out", directory.appendingPathComponent("s").path],
            ["--help"], ["build", "--help"], ["--version"],
        ]
        _ = try run(["build", "--order", "2", "--text", text, "--arpa", arpa])
        for arguments in cases {
            // The child's stdout is /dev/full, where every write fails with ENOSPC.
            let process = Process()
            process.executableURL = URL(fileURLWithPath: TestSupport.ngramkit)
            process.arguments = arguments
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 1, "\(arguments)")
            #expect(stderr.contains("-: cannot write: No space left on device"), "\(arguments): \(stderr)")
        }
    }

    @Test("An unwritable output is found before any input is read")
    func unwritableFirst() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The input is a named pipe nobody writes: reading it would wait forever.
        let pipe = directory.appendingPathComponent("never").path
        #expect(mkfifo(pipe, 0o600) == 0)
        for arguments in [["build", "--order", "3", "--text", pipe, "--arpa", "/nonexistent/x.arpa"],
                          ["build", "--order", "3", "--text", pipe, "--arpa", directory.appendingPathComponent("ok.arpa").path,
                           "--binary", "/nonexistent/x.bin"],
                          ["count", "--text", pipe, "--out", "/nonexistent/c.txt"],
                          ["compile", pipe, "/nonexistent/x.bin"],
                          ["scale", "--text", pipe, "--out", "/proc/sc"]] {
            let result = try TestSupport.runTool(arguments, timeout: 20)
            #expect(!result.timedOut && result.status == 1 && result.errorLines.count == 1, "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("The file") && !result.stderr.contains("couldn’t"), "a Foundation sentence: \(result.stderr)")
        }
        #expect(try TestSupport.contents(directory) == ["never"])
    }

    @Test("SIGINT, SIGTERM and SIGHUP while writing: one line, exit 128 + signal, no temporary file, the old output intact")
    func signals() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let train = try TestSupport.sharedFile("corpora/wikitext-2/wiki.train.tokens.gz")
        let arpa = directory.appendingPathComponent("out.arpa"), binary = directory.appendingPathComponent("out.bin")
        try Data("old arpa".utf8).write(to: arpa)
        try Data("old binary".utf8).write(to: binary)
        var interrupted = 0
        // Named temporaries (the fallback where O_TMPFILE is missing) and anonymous ones.
        for environment in [["NGRAMKIT_NAMED_TEMPORARIES": "1"], [:]] {
            for (signal, delay) in [(SIGINT, 0.6), (SIGTERM, 1.8), (SIGHUP, 3.2)] {
                let result = try TestSupport.runTool(["build", "--order", "5", "--text", train, "--arpa", arpa.path, "--binary", binary.path,
                                                      "--threads", "1"],
                                                     environment: environment, timeout: 120, signal: signal, signalDelay: delay)
                #expect(!result.timedOut)
                if result.status == 0 { continue }   // it finished first: the outputs are the new ones
                interrupted += 1
                #expect(result.status == 128 + signal && result.signal == nil, "\(result.status) \(result.stderr)")
                #expect(result.errorLines.count == 1 && result.stderr.hasPrefix("ngramkit: interrupted by SIG"), "\(result.stderr)")
                let names = try TestSupport.contents(directory)
                #expect(names == ["out.arpa", "out.bin"], "\(names)")
                let old = try [Data(contentsOf: arpa), Data(contentsOf: binary)]
                #expect(old == [Data("old arpa".utf8), Data("old binary".utf8)] || old[0].count > 1000, "an output was cut short")
            }
        }
        #expect(interrupted >= 3, "the signals came too late to test anything")
    }

    @Test("SIGKILL at any moment leaves no temporary file (anonymous temporary files)")
    func sigkill() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let train = try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz")
        for delay in [0.5, 1.5] {
            let result = try TestSupport.runTool(["build", "--order", "5", "--text", train, "--arpa", directory.appendingPathComponent("k.arpa").path,
                                                  "--binary", directory.appendingPathComponent("k.bin").path],
                                                 timeout: 120, signal: SIGKILL, signalDelay: delay)
            #expect(!result.timedOut)
            let names = try TestSupport.contents(directory)
            #expect(names.allSatisfy { !$0.contains(".tmp-") }, "\(names)")
        }
    }

    @Test("An ARPA or counts file named *.gz is written gzipped and reads back; --binary *.gz is refused")
    func gzipOutputs() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.write(Self.text, named: "t.txt", in: directory)
        let plain = directory.appendingPathComponent("m.arpa").path, zipped = directory.appendingPathComponent("m.arpa.gz").path
        #expect(try run(["build", "--order", "3", "--text", text, "--arpa", plain]).status == 0)
        #expect(try run(["build", "--order", "3", "--text", text, "--arpa", zipped]).status == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: zipped))
        #expect(bytes.prefix(2) == Data([0x1F, 0x8B]))
        let unzipped = try TestSupport.run("/bin/gzip", ["-dc", zipped])
        #expect(Data(unzipped.stdout.utf8) == (try Data(contentsOf: URL(fileURLWithPath: plain))))
        #expect(try run(["ppl", "--model", zipped, "--text", text]).stdout == (try run(["ppl", "--model", plain, "--text", text]).stdout))
        let counts = directory.appendingPathComponent("c.txt.gz").path
        #expect(try run(["count", "--order", "2", "--text", text, "--out", counts]).status == 0)
        #expect(try CountsFile.read(counts).uniqueCount(order: 2) == (try TestSupport.count(String(decoding: Self.text, as: UTF8.self), order: 2)).uniqueCount(order: 2))
        let refused = try run(["build", "--order", "3", "--text", text, "--binary", directory.appendingPathComponent("m.bin.gz").path])
        #expect(refused.status == 1 && refused.stderr.contains("never compressed"))
    }
}
