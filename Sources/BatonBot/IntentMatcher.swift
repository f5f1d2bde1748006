/// Scores a visitor's text against intents. Tolerates case, punctuation, accents, word
/// order and small typos: words are compared one by one (`Fuzzy.similarity`), weighted so
/// that filler words ("the", "how", "please") count for little.
struct IntentMatcher: Sendable {
    /// A normalised phrase: its words and their weights.
    struct Phrase: Sendable {
        let words: [String]
        let weights: [Double]
        let total: Double

        init(_ text: String) {
            words = Normalizer.tokens(text)
            let allStop = words.allSatisfy { Normalizer.stopwords.contains($0) }
            // A phrase made only of filler words ("who are you") is weighed as it is.
            weights = words.map { allStop || !Normalizer.stopwords.contains($0) ? 1 : 0.2 }
            total = weights.reduce(0, +)
        }
    }

    struct Candidate: Sendable {
        let name: String
        let examples: [Phrase]
        let keywords: [Phrase]
    }

    let candidates: [Candidate]

    init(_ candidates: [(name: String, examples: [String], keywords: [String])]) {
        self.candidates = candidates.map { Candidate(name: $0.name, examples: $0.examples.map(Phrase.init), keywords: $0.keywords.map(Phrase.init)) }
    }

    /// The best-scoring candidate and its score (0 to 1), if any scores above zero.
    func best(for text: String) -> (name: String, score: Double)? {
        let input = Phrase(text)
        guard !input.words.isEmpty else { return nil }
        var best: (name: String, score: Double)?
        for candidate in candidates {
            let score = Self.score(candidate, input)
            if score > 0, score > (best?.score ?? 0) { best = (candidate.name, score) }
        }
        return best
    }

    static func score(_ candidate: Candidate, _ input: Phrase) -> Double {
        let exampleScore = candidate.examples.map { score(example: $0, input: input) }.max() ?? 0
        let hits = candidate.keywords.filter { contains(input, $0) }.count
        let keywordScore = hits == 0 ? 0 : min(0.95, 0.75 + 0.1 * Double(hits - 1))
        return max(exampleScore, keywordScore)
    }

    /// 0.7 × how much of the example the input covers + 0.3 × how much of the input the
    /// example explains. Extra words in the input lower the score a little; missing words
    /// of the example lower it a lot.
    static func score(example: Phrase, input: Phrase) -> Double {
        guard example.total > 0, input.total > 0 else { return 0 }
        var covered = 0.0
        for (word, weight) in zip(example.words, example.weights) {
            covered += weight * bestSimilarity(word, in: input.words)
        }
        var explained = 0.0
        for (word, weight) in zip(input.words, input.weights) {
            explained += weight * bestSimilarity(word, in: example.words)
        }
        return 0.7 * covered / example.total + 0.3 * explained / input.total
    }

    /// Whether every word of `keyword` appears in `input` (typos tolerated).
    static func contains(_ input: Phrase, _ keyword: Phrase) -> Bool {
        !keyword.words.isEmpty && keyword.words.allSatisfy { bestSimilarity($0, in: input.words) >= 0.8 }
    }

    private static func bestSimilarity(_ word: String, in words: [String]) -> Double {
        var best = 0.0
        for other in words {
            best = max(best, Fuzzy.similarity(word, other))
            if best == 1 { break }
        }
        return best
    }
}
