/// Which partition every n-gram of order 2 or more belongs to, for a job that works on its
/// n-grams a partition at a time (past its memory budget, or on many machines).
///
/// In:  the words' weights (how many n-gram positions each word is the next-to-last word of:
///      its occurrences; `<s>` once per sentence; `</s>` never) and the number of partitions.
/// Out: `partition(ofPenultimate:)`, a partition for every word id.
///
/// Why by the next-to-last word w(n-1) of an n-gram w1 ... wn: every n-gram ending at a given
/// position of the text has the same next-to-last word, and so does everything modified
/// Kneser-Ney needs beside an n-gram: the other n-grams of its context w1 ... w(n-1) (for the
/// context's sums), its suffix w2 ... wn and that suffix's suffixes down to the bigram (for
/// interpolation), and its left extensions x w1 ... wn (for its adjusted count). So a partition
/// is estimated with nothing but itself and the small global tables of the unigrams.
///
/// Words go to partitions heaviest first, each to the lightest partition so far (longest
/// processing time first), so that partitions hold similar shares of the positions; the plan
/// depends only on the weights, so it is the same on every run and machine.
package struct PartitionPlan: Sendable {
    /// `assignment[w]` = the partition of the n-grams whose next-to-last word is `w`.
    package let assignment: [UInt32]
    /// Positions per partition.
    package let loads: [UInt64]

    package var count: Int { loads.count }

    package init(weights: [UInt64], partitions: Int) {
        let p = max(1, partitions)
        var order = Array(0..<weights.count)
        order.sort { weights[$0] != weights[$1] ? weights[$0] > weights[$1] : $0 < $1 }
        var assignment = [UInt32](repeating: 0, count: weights.count)
        var loads = [UInt64](repeating: 0, count: p)
        // A binary heap of (load, partition), lightest on top; ties go to the lower partition.
        var heap = (0..<p).map { (load: UInt64(0), index: $0) }
        func less(_ a: (load: UInt64, index: Int), _ b: (load: UInt64, index: Int)) -> Bool {
            a.load != b.load ? a.load < b.load : a.index < b.index
        }
        for word in order {
            let top = heap[0]
            assignment[word] = UInt32(top.index)
            loads[top.index] += weights[word]
            heap[0].load += weights[word]
            // Sift the grown top down.
            var i = 0
            while true {
                let left = 2 * i + 1, right = left + 1
                var smallest = i
                if left < p && less(heap[left], heap[smallest]) { smallest = left }
                if right < p && less(heap[right], heap[smallest]) { smallest = right }
                if smallest == i { break }
                heap.swapAt(i, smallest)
                i = smallest
            }
        }
        self.assignment = assignment
        self.loads = loads
    }

    /// The weight of every word as a next-to-last word, from the unigram counts.
    package static func weights(unigramCounts: [UInt64]) -> [UInt64] {
        var weights = unigramCounts
        if weights.count > Int(Vocabulary.endID) { weights[Int(Vocabulary.endID)] = 0 }
        return weights
    }
}
