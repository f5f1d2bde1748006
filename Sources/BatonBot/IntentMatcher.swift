/// Scores a visitor's text against intents. Tolerates case, punctuation, accents, word
/// order and small typos: words are compared one by one (`Fuzzy.similarity`), weighted so
/// that filler words ("the", "how", "please") count for little.
struct IntentMatcher: Sendable {
    /// A normalised phrase: its distinct words (stems prepared), each weighed by how often
    /// it comes and how much it means, and the weight of the whole. A word said twice
    /// scores as it did once, twice over: what a score adds up per word is the same.
    struct Phrase: Sendable {
        let words: [Word]
        let weights: [Double]
        let total: Double

        /// A message's words past this many distinct ones are not compared (they still
        /// weigh in `total`): a long message costs a bounded amount, however it is made
        /// (4,000 characters of "ab ab ab…" or of different words).
        static let maxDistinctWords = 100

        init(_ text: String, language: BotLanguage = .english) {
            let tokens = Normalizer.tokens(text, language: language)
            // A phrase made only of filler words ("who are you") is weighed as it is.
            let allStop = tokens.allSatisfy(language.isStopword)
            var positions: [String: Int] = [:]
            var words: [Word] = [], weights: [Double] = [], total = 0.0
            for token in tokens {
                let weight = allStop || !language.isStopword(token) ? 1 : 0.2
                total += weight
                if let position = positions[token] {
                    weights[position] += weight
                } else if words.count < Self.maxDistinctWords {
                    positions[token] = words.count
                    words.append(Word(token, language: language))
                    weights.append(weight)
                }
            }
            (self.words, self.weights, self.total) = (words, weights, total)
        }
    }

    struct Candidate: Sendable {
        let name: String
        let examples: [Phrase]
        let keywords: [Phrase]
        /// The examples' and keywords' words as positions in `vocabulary`.
        let exampleWords: [[Int]]
        let keywordWords: [[Int]]
    }

    let candidates: [Candidate]
    let language: BotLanguage
    /// Every distinct word of the examples and keywords: an input word is compared with
    /// each once per message, however many phrases use it.
    let vocabulary: [Word]
    /// The vocabulary's positions by stem, and by length: an input word is compared only
    /// with the words it may resemble (its stem's, and those of 4 letters or more within
    /// two of its length), which is all `Fuzzy.similarity` finds anything in.
    let byStem: [[Unicode.Scalar]: [Int]]
    let byLength: [Int: [Int]]

    init(_ candidates: [(name: String, examples: [String], keywords: [String])], language: BotLanguage = .english) {
        self.language = language
        var vocabulary: [Word] = []
        var positions: [String: Int] = [:]
        func indexed(_ phrase: Phrase) -> [Int] {
            phrase.words.map { word in
                if let position = positions[word.text] { return position }
                positions[word.text] = vocabulary.count
                vocabulary.append(word)
                return vocabulary.count - 1
            }
        }
        self.candidates = candidates.map { candidate in
            let examples = candidate.examples.map { Phrase($0, language: language) }
            let keywords = candidate.keywords.map { Phrase($0, language: language) }
            return Candidate(name: candidate.name, examples: examples, keywords: keywords,
                             exampleWords: examples.map(indexed), keywordWords: keywords.map(indexed))
        }
        self.vocabulary = vocabulary
        var byStem: [[Unicode.Scalar]: [Int]] = [:], byLength: [Int: [Int]] = [:]
        for (position, word) in vocabulary.enumerated() {
            byStem[word.stem, default: []].append(position)
            if word.scalars.count >= 4 { byLength[word.scalars.count, default: []].append(position) }
        }
        (self.byStem, self.byLength) = (byStem, byLength)
    }

    /// `word` against each vocabulary word (`Fuzzy.similarity`, 0 where it finds nothing).
    func similarities(of word: Word) -> [Double] {
        var row = [Double](repeating: 0, count: vocabulary.count)
        for position in byStem[word.stem] ?? [] { row[position] = vocabulary[position].scalars == word.scalars ? 1 : 0.9 }
        let length = word.scalars.count
        guard length >= 4 else { return row }
        for other in max(4, length - 2)...(length + 2) {
            for position in byLength[other] ?? [] where row[position] == 0 {
                row[position] = Fuzzy.similarity(word, vocabulary[position])
            }
        }
        return row
    }

    /// The best-scoring candidate and its score (0 to 1), if any scores above zero.
    func best(for text: String) -> (name: String, score: Double)? { best(for: Phrase(text, language: language)) }

    /// The same for a phrase normalised already (one message is matched against the
    /// triggers and the intents).
    func best(for input: Phrase) -> (name: String, score: Double)? { scores(for: input).first }

    /// Every candidate that scores above zero, best first (ties in the candidates' order).
    func scores(for input: Phrase) -> [(name: String, score: Double)] {
        guard !input.words.isEmpty else { return [] }
        // similarity[i][v]: input word i against vocabulary word v.
        let similarity = input.words.map(similarities(of:))
        let scored = candidates.enumerated().map { ($0.offset, $0.element.name, Self.score($0.element, input, similarity)) }
        return scored.filter { $0.2 > 0 }.sorted { ($0.2, -$0.0) > ($1.2, -$1.0) }.map { ($0.1, $0.2) }
    }

    /// A candidate's score: its best example's, or its keywords' when they do better.
    /// `similarity[i][v]` is input word i against vocabulary word v.
    static func score(_ candidate: Candidate, _ input: Phrase, _ similarity: [[Double]]) -> Double {
        var exampleScore = 0.0
        for (example, words) in zip(candidate.examples, candidate.exampleWords) {
            exampleScore = max(exampleScore, score(example: example, words: words, input: input, similarity))
        }
        var hits = 0
        for words in candidate.keywordWords where !words.isEmpty {
            // Every word of the keyword appears in the input (typos tolerated).
            if words.allSatisfy({ word in similarity.contains { $0[word] >= 0.8 } }) { hits += 1 }
        }
        let keywordScore = hits == 0 ? 0 : min(0.95, 0.75 + 0.1 * Double(hits - 1))
        return max(exampleScore, keywordScore)
    }

    /// 0.7 × how much of the example the input covers + 0.3 × how much of the input the
    /// example explains. Extra words in the input lower the score a little; missing words
    /// of the example lower it a lot.
    static func score(example: Phrase, input: Phrase) -> Double {
        let similarity = input.words.map { word in example.words.map { Fuzzy.similarity(word, $0) } }
        return score(example: example, words: Array(example.words.indices), input: input, similarity)
    }

    /// The example's score, its words given as columns of `similarity`.
    private static func score(example: Phrase, words: [Int], input: Phrase, _ similarity: [[Double]]) -> Double {
        guard example.total > 0, input.total > 0 else { return 0 }
        var covered = 0.0
        for (word, weight) in zip(words, example.weights) {
            var best = 0.0
            for row in similarity { best = max(best, row[word]) }
            covered += weight * best
        }
        var explained = 0.0
        for (row, weight) in zip(similarity, input.weights) {
            var best = 0.0
            for word in words { best = max(best, row[word]) }
            explained += weight * best
        }
        return 0.7 * covered / example.total + 0.3 * explained / input.total
    }
}
