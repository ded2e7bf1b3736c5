/// Copies of a few bytes (words, short n-gram texts) without a call to `memmove`, whose call
/// and size dispatch cost more than the copy for the 2–30 bytes of a word or a context.
enum SmallCopy {
    /// Copies `count` bytes from `source` to `destination` (the ranges must not overlap).
    /// Up to 32 bytes are moved as overlapping loads and stores (two of up to 8 bytes, or four of
    /// 8 from 17 bytes on), which stay inside
    /// `source ..< source + count` and `destination ..< destination + count`.
    @inline(__always)
    static func copy(_ destination: UnsafeMutablePointer<UInt8>, _ source: UnsafePointer<UInt8>, _ count: Int) {
        let to = UnsafeMutableRawPointer(destination), from = UnsafeRawPointer(source)
        if count >= 8 {
            if count > 16 {
                if count > 32 {
                    destination.update(from: source, count: count)
                    return
                }
                // 17...32 bytes: the first 16 and the last 16, overlapping in the middle.
                let a = from.loadUnaligned(as: UInt64.self), b = from.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                let c = from.loadUnaligned(fromByteOffset: count - 16, as: UInt64.self)
                let d = from.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                to.storeBytes(of: a, as: UInt64.self)
                to.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
                to.storeBytes(of: c, toByteOffset: count - 16, as: UInt64.self)
                to.storeBytes(of: d, toByteOffset: count - 8, as: UInt64.self)
                return
            }
            let head = from.loadUnaligned(as: UInt64.self)
            let tail = from.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            to.storeBytes(of: head, as: UInt64.self)
            to.storeBytes(of: tail, toByteOffset: count - 8, as: UInt64.self)
        } else if count >= 4 {
            let head = from.loadUnaligned(as: UInt32.self)
            let tail = from.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
            to.storeBytes(of: head, as: UInt32.self)
            to.storeBytes(of: tail, toByteOffset: count - 4, as: UInt32.self)
        } else {
            var i = 0
            while i < count { destination[i] = source[i]; i += 1 }
        }
    }
}
