import Foundation
import NGramKit

// A C ABI over NGramKit's models, for the Python package (`python/ngramkit`, through ctypes).
//
// Conventions: every function that can fail returns an Int32 status, 0 for success; on failure
// the calling thread's last error (`ngk_last_error`) holds the one-line message NGramKit's tool
// would print. Handles are opaque pointers made here (retained boxes) and freed by their `_free`
// function; a model stays alive while a state made from it does (the state holds it), so freeing
// handles in any order never leaves a dangling pointer. Strings in are UTF-8 bytes with a length;
// strings out are malloc'd NUL-terminated UTF-8 the caller frees with `ngk_string_free`.

/// The last error of each thread.
private let lastErrorKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { free($0) }
    return key
}()

private func setError(_ message: String) {
    free(pthread_getspecific(lastErrorKey))
    pthread_setspecific(lastErrorKey, strdup(message))
}

/// Runs `body`, turning a thrown error into status 1 and the thread's last error.
private func guarded(_ body: () throws -> Void) -> Int32 {
    do {
        try body()
        return 0
    } catch let error as NGramKitError {
        setError(error.description)
    } catch {
        setError(String(describing: error))
    }
    return 1
}

private func string(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> String {
    guard let bytes, count > 0 else { return "" }
    return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
}

/// A malloc'd copy of `text` for the caller (freed by `ngk_string_free`).
private func copyOut(_ text: String) -> UnsafeMutablePointer<CChar> { strdup(text)! }

private final class ModelBox {
    let model: NGramModel
    init(_ model: NGramModel) { self.model = model }
    /// Made on first use: the index walk of `next_words`; used under `lock` (Python threads call
    /// in without the GIL).
    lazy var nextWords = NextWords(model: model, buildIndex: false)
    let lock = NSLock()
}

private final class StateBox {
    let state: ModelState
    init(_ state: ModelState) { self.state = state }
}

private func model(_ handle: UnsafeMutableRawPointer) -> ModelBox {
    Unmanaged<ModelBox>.fromOpaque(handle).takeUnretainedValue()
}

private func state(_ handle: UnsafeMutableRawPointer) -> StateBox {
    Unmanaged<StateBox>.fromOpaque(handle).takeUnretainedValue()
}

/// The calling thread's last error message (valid until its next failing call), or NULL.
@_cdecl("ngk_last_error")
public func ngk_last_error() -> UnsafePointer<CChar>? {
    pthread_getspecific(lastErrorKey).map { UnsafePointer($0.assumingMemoryBound(to: CChar.self)) }
}

@_cdecl("ngk_string_free")
public func ngk_string_free(_ text: UnsafeMutablePointer<CChar>?) { free(text) }

/// NGramKit's version.
@_cdecl("ngk_version")
public func ngk_version() -> UnsafeMutablePointer<CChar> { copyOut(NGramKitVersion.string) }

/// Loads an ARPA or binary model.
@_cdecl("ngk_model_load")
public func ngk_model_load(_ path: UnsafePointer<UInt8>?, _ length: Int, _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> Int32 {
    guarded {
        let loaded = try ModelFile.load(string(path, length))
        out.pointee = Unmanaged.passRetained(ModelBox(loaded)).toOpaque()
    }
}

@_cdecl("ngk_model_free")
public func ngk_model_free(_ handle: UnsafeMutableRawPointer?) {
    guard let handle else { return }
    Unmanaged<ModelBox>.fromOpaque(handle).release()
}

@_cdecl("ngk_model_order")
public func ngk_model_order(_ handle: UnsafeMutableRawPointer) -> Int { model(handle).model.order }

@_cdecl("ngk_model_vocabulary_size")
public func ngk_model_vocabulary_size(_ handle: UnsafeMutableRawPointer) -> Int { model(handle).model.vocabulary.count }

/// The word of id `id` (a malloc'd string), or NULL for an id outside the vocabulary.
@_cdecl("ngk_model_word")
public func ngk_model_word(_ handle: UnsafeMutableRawPointer, _ id: Int) -> UnsafeMutablePointer<CChar>? {
    let vocabulary = model(handle).model.vocabulary
    guard id >= 0, id < vocabulary.count, let word = vocabulary.word(UInt32(id)) else { return nil }
    return copyOut(word)
}

/// The id of a word, or −1.
@_cdecl("ngk_model_lookup")
public func ngk_model_lookup(_ handle: UnsafeMutableRawPointer, _ word: UnsafePointer<UInt8>?, _ length: Int) -> Int {
    model(handle).model.vocabulary.lookup(string(word, length)).map { Int($0) } ?? -1
}

/// A description of the model as JSON: order, n-grams per order, smoothing, tokenizer, binary.
@_cdecl("ngk_model_info")
public func ngk_model_info(_ handle: UnsafeMutableRawPointer) -> UnsafeMutablePointer<CChar> {
    let m = model(handle).model
    let counts = m.ngramCounts.map(String.init).joined(separator: ",")
    let tokenizer = m.provenance.tokenizer.map { "\"\($0.kind.rawValue)\"" } ?? "null"
    return copyOut("{\"order\":\(m.order),\"ngrams\":[\(counts)],\"smoothing\":\"\(m.provenance.name)\",\"tokenizer\":\(tokenizer),"
        + "\"binary\":\(m.binary != nil),\"vocabulary\":\(m.vocabulary.count)}")
}

/// Scores one sentence: per token log10 p, matched length and whether it is an OOV, into arrays
/// of `capacity` elements; `count` receives the number of tokens (`</s>` included with `eos`).
/// When `count` exceeds `capacity` nothing is written but the count: call again with room.
@_cdecl("ngk_model_full_scores")
public func ngk_model_full_scores(_ handle: UnsafeMutableRawPointer, _ sentence: UnsafePointer<UInt8>?, _ length: Int,
                                  _ bos: Int32, _ eos: Int32, _ capacity: Int,
                                  _ log10Probs: UnsafeMutablePointer<Double>?, _ matched: UnsafeMutablePointer<Int32>?,
                                  _ oov: UnsafeMutablePointer<UInt8>?, _ count: UnsafeMutablePointer<Int>) -> Int32 {
    guarded {
        let scores = try model(handle).model.fullScores(string(sentence, length), bos: bos != 0, eos: eos != 0)
        count.pointee = scores.count
        guard scores.count <= capacity else { return }
        for (i, token) in scores.enumerated() {
            log10Probs?[i] = token.log10Prob
            matched?[i] = Int32(token.matched)
            oov?[i] = token.isUnknown ? 1 : 0
        }
    }
}

/// The log10 probability of one sentence.
@_cdecl("ngk_model_score")
public func ngk_model_score(_ handle: UnsafeMutableRawPointer, _ sentence: UnsafePointer<UInt8>?, _ length: Int,
                            _ bos: Int32, _ eos: Int32, _ out: UnsafeMutablePointer<Double>) -> Int32 {
    guarded {
        out.pointee = try model(handle).model.score(utf8: UnsafeBufferPointer(start: sentence, count: sentence == nil ? 0 : length),
                                                    bos: bos != 0, eos: eos != 0)
    }
}

/// Scores `count` sentences on `threads` threads (0: all cores) into `out`, in lockstep
/// (`NGramModel.scoreMany`); the results are the same for any number. On an error the first
/// failing sentence's message is the last error.
@_cdecl("ngk_model_score_many")
public func ngk_model_score_many(_ handle: UnsafeMutableRawPointer, _ sentences: UnsafePointer<UnsafePointer<UInt8>?>,
                                 _ lengths: UnsafePointer<Int>, _ count: Int, _ bos: Int32, _ eos: Int32, _ threads: Int,
                                 _ out: UnsafeMutablePointer<Double>) -> Int32 {
    guarded {
        let buffers = UnsafeMutableBufferPointer<UnsafeBufferPointer<UInt8>>.allocate(capacity: max(count, 1))
        defer { buffers.deallocate() }
        for i in 0..<count { buffers[i] = UnsafeBufferPointer(start: sentences[i], count: sentences[i] == nil ? 0 : lengths[i]) }
        try model(handle).model.scoreMany(UnsafeBufferPointer(rebasing: buffers[0..<count]), bos: bos != 0, eos: eos != 0,
                                          threads: threads > 0 ? threads : ThreadCount.all, into: out)
    }
}

/// A scoring state over the model (kenlm's `State`), at a sentence start with `bos`, else with
/// no history.
@_cdecl("ngk_state_new")
public func ngk_state_new(_ handle: UnsafeMutableRawPointer, _ bos: Int32) -> UnsafeMutableRawPointer {
    let s = ModelState(model: model(handle).model)
    if bos != 0 { s.beginSentence() } else { s.beginWithoutContext() }
    return Unmanaged.passRetained(StateBox(s)).toOpaque()
}

@_cdecl("ngk_state_free")
public func ngk_state_free(_ handle: UnsafeMutableRawPointer?) {
    guard let handle else { return }
    Unmanaged<StateBox>.fromOpaque(handle).release()
}

/// Scores `word` after the state's history and moves the history on (kenlm's `BaseScore` into the
/// same state): log10 p into `out`, the matched length into `matched`. A word the model does not
/// know is scored as `<unk>`.
@_cdecl("ngk_state_advance")
public func ngk_state_advance(_ handle: UnsafeMutableRawPointer, _ word: UnsafePointer<UInt8>?, _ length: Int,
                              _ out: UnsafeMutablePointer<Double>, _ matched: UnsafeMutablePointer<Int32>) -> Int32 {
    guarded {
        let s = state(handle).state
        let text = string(word, length)
        let id = s.model.vocabulary.lookup(text) ?? 0
        if id == 1 { throw NGramKitError.reservedToken(path: "<word>", line: 1, token: text) }
        let (p, n) = try s.score(id)
        out.pointee = p
        matched.pointee = Int32(n)
    }
}

/// A copy of the state: the same history, moved on independently.
@_cdecl("ngk_state_copy")
public func ngk_state_copy(_ handle: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
    Unmanaged.passRetained(StateBox(state(handle).state.copy())).toOpaque()
}

/// The `k` most probable next words after `context` as JSON `[[word, log10 p], ...]` (k ≤ 0: all).
@_cdecl("ngk_model_next_words")
public func ngk_model_next_words(_ handle: UnsafeMutableRawPointer, _ context: UnsafePointer<UInt8>?, _ length: Int,
                                 _ k: Int, _ sentenceStart: Int32, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    guarded {
        let box = model(handle)
        box.lock.lock()
        defer { box.lock.unlock() }
        var lines = ""
        _ = try NextWordsJob.run(model: box.model, contexts: .one(string(context, length)), top: k > 0 ? k : nil,
                                 sentenceStart: sentenceStart != 0, exhaustive: false, json: true, finder: box.nextWords) { lines += $0 }
        out.pointee = copyOut(lines)
    }
}

/// Draws sentences (`ngramkit generate --json`): one JSON object per line.
@_cdecl("ngk_model_generate")
public func ngk_model_generate(_ handle: UnsafeMutableRawPointer, _ count: Int, _ seed: UInt64, _ prefix: UnsafePointer<UInt8>?,
                               _ prefixLength: Int, _ maxWords: Int, _ temperature: Double,
                               _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    guarded {
        var lines = ""
        try GenerateJob.run(model: model(handle).model, count: count, seed: seed, prefix: string(prefix, prefixLength),
                            maxWords: maxWords, temperature: temperature, json: true) { lines += $0 }
        out.pointee = copyOut(lines)
    }
}

/// Fits L(D) = E + B·D^(−β) with bootstrap intervals (`ScalingLawFit.fit`), as JSON.
@_cdecl("ngk_fit_scaling_law")
public func ngk_fit_scaling_law(_ sizes: UnsafePointer<Double>, _ losses: UnsafePointer<Double>, _ count: Int,
                                _ bootstrap: Int, _ seed: UInt64, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    guarded {
        guard count >= 3 else {
            throw NGramKitError.invalidOption(name: "sizes", value: "\(count) points", expected: "at least 3 (size, loss) points")
        }
        let fit = ScalingLawFitter.fit(sizes: Array(UnsafeBufferPointer(start: sizes, count: count)),
                                    losses: Array(UnsafeBufferPointer(start: losses, count: count)),
                                    bootstrapResamples: max(bootstrap, 0), seed: seed)
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        out.pointee = copyOut(String(decoding: try encoder.encode(fit), as: UTF8.self))
    }
}
