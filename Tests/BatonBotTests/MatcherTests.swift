@testable import BatonBot
import Testing

@Suite struct NormalizerTests {
    @Test func foldsCasePunctuationAccentsAndApostrophes() {
        #expect(Normalizer.tokens("What's the PRICE?!") == ["whats", "the", "price"])
        #expect(Normalizer.tokens("  Crème brûlée, s'il vous plaît… ") == ["creme", "brulee", "sil", "vous", "plait"])
        #expect(Normalizer.tokens("e-mail: bob@example.com") == ["e", "mail", "bob", "example", "com"])
        #expect(Normalizer.tokens("Straße") == ["strasse"])
        #expect(Normalizer.tokens("😀 !!") == [])
        // Decomposed accents (e + U+0301) fold like precomposed ones.
        #expect(Normalizer.tokens("cafe\u{301}") == ["cafe"])
    }

    /// ASCII text takes a faster path; it must give exactly what the general one gives.
    @Test func theASCIIPathsAgreeWithTheGeneralOnes() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 '-.,?!@\t\n_:;")
        let endings = ["ies", "sses", "xes", "ches", "shes", "ing", "ed", "ly", "s", "ss", "us", "e", ""]
        for _ in 0..<5000 {
            let length = Int.random(in: 0...24, using: &generator)
            var text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            text += endings.randomElement(using: &generator)!
            #expect(Normalizer.asciiTokens(text) == Normalizer.unicodeTokens(text), "\(text)")
            for word in Normalizer.unicodeTokens(text) {
                #expect(String(decoding: Normalizer.asciiStem(Array(word.utf8)), as: UTF8.self) == Normalizer.unicodeStem(word), "\(word)")
            }
        }
        for word in ["ies", "flies", "studies", "classes", "boxes", "matches", "wishes", "opening", "sing", "used", "fed", "only",
                     "fly", "hours", "bus", "glass", "cats", "its", "prices", "price", "pricing", "the", "free"] {
            #expect(String(decoding: Normalizer.asciiStem(Array(word.utf8)), as: UTF8.self) == Normalizer.unicodeStem(word), "\(word)")
        }
    }

    @Test func stemsCommonEndings() {
        #expect(Normalizer.stem("prices") == Normalizer.stem("price"))
        #expect(Normalizer.stem("pricing") == Normalizer.stem("price"))
        #expect(Normalizer.stem("opening") == "open")
        #expect(Normalizer.stem("boxes") == "box")
        #expect(Normalizer.stem("companies") == "company")
        #expect(Normalizer.stem("is") == "is")
        #expect(Normalizer.stem("status") == "status")
    }
}

@Suite struct FuzzyTests {
    @Test(arguments: [("kitten", "sitting", 3), ("much", "mcuh", 1), ("", "abc", 3), ("same", "same", 0), ("ca", "abc", 3)])
    func distances(a: String, b: String, expected: Int) {
        #expect(Fuzzy.distance(a, b) == expected)
    }

    @Test func similarityToleratesSmallTyposInLongerWords() {
        #expect(Fuzzy.similarity("price", "price") == 1)
        #expect(Fuzzy.similarity("prices", "price") == 0.9)
        #expect(Fuzzy.similarity("pirce", "price") == 0.8)
        #expect(Fuzzy.similarity("mattremost", "mattermost") >= 0.7)
        // Short words must match exactly: "cat" is not "car".
        #expect(Fuzzy.similarity("cat", "car") == 0)
        #expect(Fuzzy.similarity("hours", "hour") == 0.9)
    }

    /// The letter-bit shortcut never changes an answer: random words, with one to three
    /// random edits, score as the edit distance alone says.
    @Test func theLetterShortcutAgreesWithTheDistance() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdeéfghijklmnopqrstuvwxyz")
        var checked = 0, close = 0
        for _ in 0..<4000 {
            let a = String((0..<Int.random(in: 4...10, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            var b = Array(a)
            for _ in 0..<Int.random(in: 0...3, using: &generator) {
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: b.insert(alphabet.randomElement()!, at: Int.random(in: 0...b.count))
                case 1 where b.count > 1: b.remove(at: Int.random(in: 0..<b.count))
                case 2: b[Int.random(in: 0..<b.count)] = alphabet.randomElement()!
                default:
                    if b.count > 1 { let i = Int.random(in: 1..<b.count); b.swapAt(i, i - 1) }
                }
            }
            let (wa, wb) = (Word(a), Word(String(b)))
            let expected: Double
            if wa.scalars == wb.scalars { expected = 1 } else if wa.stem == wb.stem { expected = 0.9 } else {
                let shorter = min(wa.scalars.count, wb.scalars.count)
                let d = min(Fuzzy.distance(wa.scalars, wb.scalars), Fuzzy.distance(wa.stem, wb.stem))
                expected = shorter < 4 || abs(wa.scalars.count - wb.scalars.count) > 2 ? 0 : d <= 1 ? 0.8 : d <= 2 && shorter >= 8 ? 0.7 : 0
            }
            #expect(Fuzzy.similarity(wa, wb) == expected, "\(a) ~ \(String(b))")
            checked += 1
            if expected > 0 { close += 1 }
        }
        // Both kinds of pair were seen.
        #expect(close > 500 && checked - close > 500)
    }
}

@Suite struct IntentMatcherTests {
    let bot = try! ScriptedBot(source: DemoBot.source)
    func best(_ text: String) -> String? {
        guard let match = bot.intents.best(for: text), match.score >= bot.settings.threshold else { return nil }
        return match.name
    }

    /// Comparing a word only with the vocabulary it may resemble finds what comparing it
    /// with every word finds.
    @Test func theIndexedComparisonIsTheWholeOne() throws {
        for source in [DemoBot.source, ScriptedBotTests.support] {
            let matcher = try ScriptedBot(source: source).intents
            let words = matcher.vocabulary.map(\.text) + ["pricing", "prcies", "hour", "opend", "mattermst", "ab", "a", "Bestellungen"]
            for _ in 0..<200 {
                let text = (0..<Int.random(in: 1...8)).map { _ in words.randomElement()! }.joined(separator: " ")
                let input = IntentMatcher.Phrase(text)
                for word in input.words {
                    #expect(matcher.similarities(of: word) == matcher.vocabulary.map { Fuzzy.similarity(word, $0) }, "\(word.text)")
                }
            }
        }
    }

    /// A word said again and again is compared once: a phrase holds each word once, with
    /// its weight added up, and scores exactly as before; past 100 distinct words a long
    /// message's words are not compared (its length still counts).
    @Test func aLongMessageCostsABoundedAmount() {
        let repeated = IntentMatcher.Phrase(String(repeating: "ab ", count: 1300))
        #expect(repeated.words.count == 1 && repeated.weights == [1300] && repeated.total == 1300)
        let twice = IntentMatcher.Phrase("how much does it cost cost")
        #expect(twice.words.count == 5 && twice.total == IntentMatcher.Phrase("how much does it cost").total + 1)
        #expect(IntentMatcher.score(example: IntentMatcher.Phrase("very very good"), input: IntentMatcher.Phrase("good")) > 0)
        let many = IntentMatcher.Phrase((0..<300).map { "w\($0)x" }.joined(separator: " "))
        #expect(many.words.count == IntentMatcher.Phrase.maxDistinctWords && many.total == 300)
        #expect(best(String(repeating: "cost ", count: 800)) == "pricing")
    }

    @Test(arguments: [
        "how much does it cost", "How much does it cost?", "HOW MUCH DOES IT COST!!!",   // case, punctuation
        "cost, how much does it", "does it cost how much",                               // word order
        "how mcuh does it cots", "what are your prcies",                                  // typos
        "pricing", "Is it free?", "what's the price",                                     // keywords and stems
    ])
    func pricingQuestions(_ text: String) {
        #expect(best(text) == "pricing")
    }

    @Test(arguments: [
        ("What is Baton?", "about"), ("tell me about batton", "about"),
        ("when are you open", "hours"), ("opening hours?", "hours"), ("are you available on the weekend", "hours"),
        ("how do agents reply", "handover-howto"), ("does it work with Mattermost", "handover-howto"),
        ("thanks a lot!", "thanks"), ("Hello", "greeting"),
    ])
    func otherIntents(text: String, intent: String) {
        #expect(best(text) == intent)
    }

    @Test(arguments: ["banana smoothie recipe", "asdf qwer", "", "???", "my printer is on fire"])
    func unrelatedTextMatchesNothing(_ text: String) {
        #expect(best(text) == nil)
    }

    @Test func triggersAskForAPerson() {
        for text in ["talk to a human", "Can I talk to a human please?", "I want a real person", "human agent!!", "tlak to a humen"] {
            let score = bot.triggers.best(for: text)?.score ?? 0
            #expect(score >= bot.settings.threshold, "\(text) scored \(score)")
        }
        #expect((bot.triggers.best(for: "how much does it cost")?.score ?? 0) < bot.settings.threshold)
    }
}
