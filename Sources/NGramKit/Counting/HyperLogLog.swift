/// Estimates the number of distinct keys in one sequential pass with 64 KiB of state, so that
/// each count table can be made the right size before it is filled (no growth, no rehash).
///
/// Standard HyperLogLog (Flajolet et al. 2007) with 2^16 registers (relative error about 0.4%)
/// and linear counting for small sets.
package struct HyperLogLog: Sendable {
    private static let precision = 16
    private var registers = [UInt8](repeating: 0, count: 1 << precision)

    package init() {}

    /// Records one key by its 64-bit hash.
    @inline(__always)
    package mutating func add(hash: UInt64) {
        let index = Int(hash >> UInt64(64 - HyperLogLog.precision))
        let rest = hash << UInt64(HyperLogLog.precision) | (1 << UInt64(HyperLogLog.precision - 1))
        let rank = UInt8(rest.leadingZeroBitCount + 1)
        registers.withUnsafeMutableBufferPointer { r in
            if rank > r[index] { r[index] = rank }
        }
    }

    /// Adds every key `other` has seen (the estimate of the union).
    package mutating func merge(_ other: HyperLogLog) {
        for i in 0..<registers.count where other.registers[i] > registers[i] { registers[i] = other.registers[i] }
    }

    /// The estimated number of distinct keys added.
    package var estimate: Double {
        let m = Double(registers.count)
        var sum = 0.0
        var zeros = 0
        for value in registers {
            sum += 1.0 / Double(UInt64(1) << UInt64(value))
            if value == 0 { zeros += 1 }
        }
        let alpha = 0.7213 / (1 + 1.079 / m)
        let raw = alpha * m * m / sum
        if raw <= 2.5 * m && zeros > 0 {
            return m * log(m / Double(zeros))
        }
        return raw
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
