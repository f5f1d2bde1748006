import BatonCore

/// The language a bot speaks (`language:` in its document; English when absent): what it
/// says where the document leaves a text out (`BotTexts`), and how it reads the visitor,
/// which words are filler and which endings to ignore. One of the languages the widget
/// speaks (`WidgetSettings.languages`). A class: every phrase the bot reads takes it along,
/// and one reference is cheaper to pass than its tables.
public final class BotLanguage: Sendable {
    /// `en`, `de`…
    public let code: String
    public let texts: BotTexts
    /// Words that carry little meaning: they count, but much less (normalised: lowercase,
    /// accents folded, as `Normalizer.tokens` gives them).
    let stopwords: Set<String>
    /// How endings are cut (nil: English, `Normalizer.stem`).
    let endings: Endings?
    /// Whether an apostrophe ends a word, as after an elided article ("l'adresse",
    /// "dell'ordine"); in English and the others it is dropped ("what's" → "whats").
    let elides: Bool
    /// A script whose words are all filler (Japanese's hiragana: particles, verbs' and
    /// adjectives' endings; the meaning is in the kanji and katakana).
    let fillerScript: Normalizer.Script?

    init(code: String, texts: BotTexts, stopwords: Set<String>, endings: Endings?, elides: Bool, fillerScript: Normalizer.Script? = nil) {
        self.code = code
        self.fillerScript = fillerScript
        self.texts = texts
        // As `Normalizer.tokens` gives them (Hebrew's final letters as their plain forms).
        self.stopwords = Set(stopwords.map { Normalizer.unicodeTokens($0, elides: elides).joined() })
        self.endings = endings
        self.elides = elides
    }

    public static let english = BotLanguage(code: "en", texts: .english, stopwords: [
        "a", "an", "the", "is", "are", "am", "was", "were", "be", "been", "do", "does", "did", "i", "im", "me", "my",
        "you", "your", "we", "our", "us", "it", "its", "to", "of", "in", "on", "at", "for", "with", "and", "or",
        "can", "could", "would", "should", "will", "please", "what", "whats", "how", "hows", "when", "where",
        "who", "which", "this", "that", "there", "have", "has", "had", "any", "some", "about", "from", "get",
        "so", "if", "then", "just", "want", "like", "know", "tell", "hi", "hello", "hey", "thanks",
    ], endings: nil, elides: false)

    /// Every language a bot may speak, by code.
    public static let all: [String: BotLanguage] = Dictionary(uniqueKeysWithValues: [
        english,
        // Arabic is read as written without short vowels (they are folded away, as are
        // the forms of alef, `Normalizer.fold`), its words as their light stems: the
        // article and a joined conjunction or preposition before it, and a plural or
        // pronoun ending after ("الطلبات" = "طلب").
        BotLanguage(code: "ar", texts: .arabic, stopwords: [
            "في", "من", "الي", "علي", "عن", "مع", "هذا", "هذه", "ذلك", "تلك", "هل", "ما", "ماذا", "كيف", "متي", "اين",
            "لماذا", "كم", "انا", "انت", "انتم", "نحن", "هو", "هي", "هم", "كان", "كانت", "يكون", "لي", "لك", "له", "لها",
            "لنا", "او", "ثم", "لكن", "ان", "قد", "لا", "نعم", "كل", "اي", "التي", "الذي", "مرحبا", "اهلا", "السلام",
            "عليكم", "شكرا", "لو", "سمحت", "فضلك", "اريد", "اود", "ممكن", "يمكن", "يمكنني", "هناك", "عند", "عندي", "و",
            "يا", "بعض", "شيء",
        ], endings: Endings(prefixes: ["وال", "بال", "كال", "فال", "لل", "ال", "و"], passes: [
            // A pronoun ending (your, our, their…), then a plural or dual one: "طلباتكم" = "طلب".
            [("كما", ""), ("هما", ""), ("كم", ""), ("كن", ""), ("هم", ""), ("هن", ""), ("نا", ""), ("ها", ""), ("ك", ""), ("ه", ""), ("ي", "")],
            [("ان", ""), ("ات", ""), ("ون", ""), ("ين", ""), ("يه", "")],
        ]), elides: false),
        BotLanguage(code: "de", texts: .german, stopwords: [
            "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines", "und", "oder",
            "aber", "ich", "du", "er", "sie", "es", "wir", "ihr", "mich", "mir", "dich", "dir", "uns", "euch", "mein",
            "meine", "meinen", "meinem", "meiner", "dein", "deine", "ihre", "ihren", "ist", "sind", "bin", "bist", "war",
            "waren", "sein", "hat", "haben", "habe", "hast", "hatte", "wird", "werden", "kann", "konnen", "konnte",
            "mochte", "mochten", "will", "wollen", "soll", "zu", "zum", "zur", "von", "vom", "mit", "fur", "auf", "an",
            "am", "im", "in", "aus", "bei", "nach", "uber", "um", "wie", "was", "wo", "wann", "wer", "welche",
            "welcher", "welches", "warum", "ob", "dass", "da", "hier", "dort", "ja", "bitte", "danke", "hallo", "hi",
            "hey", "guten", "tag", "mal", "doch", "noch", "schon", "auch", "nur", "so", "sehr", "gerne", "gern",
            "etwas", "man", "gibt",
        ], endings: Endings(passes: [
            [("ungen", "ung"), ("heiten", "heit"), ("keiten", "keit"), ("ern", ""), ("em", ""), ("en", ""),
             ("er", ""), ("es", ""), ("e", ""), ("s", ""), ("n", "")],
        ]), elides: false),
        BotLanguage(code: "es", texts: .spanish, stopwords: [
            "el", "la", "los", "las", "un", "una", "unos", "unas", "y", "o", "pero", "de", "del", "al", "a", "en",
            "con", "por", "para", "que", "como", "cual", "cuales", "cuando", "donde", "quien", "es", "son", "soy",
            "eres", "esta", "estan", "estoy", "era", "fue", "ser", "estar", "he", "ha", "han", "hay", "tengo", "tiene",
            "tienen", "puedo", "puede", "pueden", "quiero", "quisiera", "me", "mi", "mis", "te", "tu", "tus", "su",
            "sus", "se", "lo", "le", "les", "nos", "yo", "usted", "ustedes", "este", "esto", "ese", "esa", "eso",
            "hola", "gracias", "favor", "buenos", "buenas", "dias", "algo", "muy", "mas", "ya", "tambien",
        ], endings: Endings(passes: [
            [("aciones", "acion"), ("uciones", "ucion"), ("iones", "ion"), ("ces", "z"), ("es", ""), ("s", "")],
            [("a", ""), ("o", ""), ("e", "")],
        ]), elides: false),
        BotLanguage(code: "fr", texts: .french, stopwords: [
            "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "et", "ou", "mais", "je", "j", "tu", "il",
            "elle", "on", "nous", "vous", "ils", "elles", "me", "m", "te", "t", "se", "s", "mon", "ma", "mes", "ton",
            "ta", "tes", "son", "sa", "ses", "notre", "votre", "vos", "leur", "ce", "c", "cet", "cette", "ces", "est",
            "sont", "suis", "es", "etes", "etait", "etre", "ai", "as", "a", "avons", "avez", "ont", "avoir", "peux",
            "peut", "pouvez", "voudrais", "veux", "voulez", "que", "qu", "qui", "quoi", "comment", "quand", "quel",
            "quelle", "quels", "quelles", "pourquoi", "en", "dans", "sur", "pour", "par", "avec", "au", "aux", "y",
            "bonjour", "salut", "merci", "plait", "svp", "n", "ne", "pas", "fait", "faire",
        ], endings: Endings(passes: [
            [("eaux", "eau"), ("aux", "al"), ("s", ""), ("x", "")],
            [("issement", ""), ("ement", ""), ("ation", ""), ("euse", "eu"), ("ent", ""), ("ee", ""), ("er", ""),
             ("ez", ""), ("e", "")],
        ]), elides: true),
        // Hebrew is read without its points (niqqud) and with final letters as their plain
        // forms (`Normalizer.fold`), its words as light stems: the article and "and"
        // joined before a word ("והמחיר" = "מחיר"), a plural or a feminine ending after
        // ("הזמנות" = "הזמנה").
        BotLanguage(code: "he", texts: .hebrew, stopwords: [
            "של", "את", "על", "עם", "אל", "מן", "זה", "זאת", "זו", "אלה", "הוא", "היא", "הם", "הן", "אני", "אתה",
            "אתם", "אתן", "אנחנו", "לי", "לך", "לו", "לה", "לנו", "יש", "אין", "לא", "כן", "מה", "איך", "למה", "מתי",
            "איפה", "כמה", "מי", "איזה", "אם", "או", "אבל", "גם", "רק", "כל", "כבר", "עוד", "היה", "הייתה", "להיות",
            "שלום", "היי", "תודה", "בבקשה", "רוצה", "אפשר", "צריך", "יכול", "יכולה", "אשמח", "ש", "ו", "ה", "ב", "ל",
            "מ", "כ", "שלי", "שלך", "משהו",
        ], endings: Endings(prefixes: ["וה", "ה", "ו"], passes: [
            // As `Normalizer.tokens` gives words: "ים" ends in a plain mem.
            [("ימ", "")],
            [("ות", "ה")],
            [("ה", "")],
        ]), elides: false),
        BotLanguage(code: "it", texts: .italian, stopwords: [
            "il", "lo", "la", "i", "gli", "le", "l", "un", "uno", "una", "di", "del", "dello", "della", "dei",
            "degli", "delle", "dell", "da", "dal", "dalla", "in", "nel", "nella", "con", "su", "per", "tra", "fra",
            "a", "al", "alla", "ai", "all", "e", "ed", "o", "ma", "che", "chi", "come", "quando", "dove", "quale",
            "quali", "perche", "io", "tu", "lui", "lei", "noi", "voi", "loro", "mi", "ti", "si", "ci", "vi", "mio",
            "mia", "miei", "mie", "tuo", "tua", "suo", "sua", "nostro", "vostro", "sono", "sei", "siamo", "era",
            "essere", "ho", "hai", "ha", "abbiamo", "hanno", "avere", "posso", "puo", "potete", "vorrei", "voglio",
            "questo", "questa", "quello", "quella", "ciao", "salve", "grazie", "favore", "buongiorno", "qualcosa",
            "molto", "anche", "gia", "c", "po",
        ], endings: Endings(passes: [
            [("zioni", "zion"), ("che", "c"), ("chi", "c"), ("ghe", "g"), ("ghi", "g"), ("i", ""), ("e", ""),
             ("a", ""), ("o", "")],
        ]), elides: true),
        // Japanese is written without spaces: each kanji is a word and a word of kana ends
        // where the script changes (`Normalizer`); a word of hiragana alone (a particle, an
        // ending) weighs little, so the kanji and katakana carry the meaning. Full-width
        // letters and digits read as ASCII. No endings are cut.
        BotLanguage(code: "ja", texts: .japanese, stopwords: [
            "私", "僕", "何", "今", "方", "事", "物", "願", "下", "教", "知", "思",
        ], endings: Endings(passes: []), elides: false, fillerScript: .hiragana),
        // Korean writes its particles joined to the word before: they are cut ("주문이",
        // "주문을", "주문에서" = "주문"); a syllable block is a letter, two of them a stem.
        BotLanguage(code: "ko", texts: .korean, stopwords: [
            "저", "제", "나", "내", "우리", "이", "그", "저기", "여기", "거기", "것", "수", "좀", "더", "안녕하세요", "안녕",
            "감사합니다", "고맙습니다", "네", "예", "아니요", "어떻게", "무엇", "뭐", "언제", "어디", "왜", "얼마", "하고",
            "싶어요", "싶습니다", "있어요", "있나요", "있습니다", "해요", "합니다", "주세요", "부탁합니다", "알려", "궁금해요",
        ], endings: Endings(passes: [
            [("에서는", ""), ("에서", ""), ("으로", ""), ("까지", ""), ("부터", ""), ("에게", ""), ("한테", ""), ("이랑", ""),
             ("하고", ""), ("은", ""), ("는", ""), ("이", ""), ("가", ""), ("을", ""), ("를", ""), ("의", ""), ("에", ""),
             ("로", ""), ("와", ""), ("과", ""), ("도", ""), ("만", ""), ("랑", "")],
        ], shortest: 2), elides: false),
        BotLanguage(code: "nl", texts: .dutch, stopwords: [
            "de", "het", "een", "en", "of", "maar", "ik", "je", "jij", "u", "hij", "zij", "ze", "wij", "we",
            "jullie", "mij", "me", "mijn", "jouw", "uw", "zijn", "haar", "ons", "onze", "is", "ben", "bent", "was",
            "waren", "heb", "hebt", "heeft", "hebben", "had", "kan", "kun", "kunt", "kunnen", "wil", "wilt",
            "willen", "zou", "zal", "van", "voor", "met", "op", "aan", "in", "uit", "bij", "naar", "over", "om", "te",
            "tot", "wat", "hoe", "waar", "wanneer", "wie", "welke", "waarom", "dat", "dit", "die", "deze", "er",
            "hier", "daar", "hallo", "hoi", "hey", "dag", "bedankt", "dank", "graag", "alstublieft", "alsjeblieft",
            "even", "ook", "nog", "al", "wel",
        ], endings: Endings(passes: [
            [("heden", "heid"), ("ingen", "ing"), ("en", ""), ("s", ""), ("e", "")],
        ], undoubles: true), elides: false),
        // Polish is read with its letters folded (ą as a, ł as l…), its words as light
        // stems: a case or plural ending ("zamówienia", "zamówieniem" = "zamówienie").
        BotLanguage(code: "pl", texts: .polish, stopwords: [
            "i", "w", "we", "z", "ze", "na", "do", "od", "o", "u", "po", "za", "przez", "dla", "bez", "nie", "tak",
            "to", "ten", "ta", "te", "tego", "tej", "jest", "sa", "byl", "byla", "bylo", "jestem", "czy", "jak", "co",
            "gdzie", "kiedy", "dlaczego", "ile", "ktory", "ktora", "ktore", "ja", "ty", "pan", "pani", "my", "wy",
            "on", "ona", "oni", "mnie", "mi", "moj", "moja", "moje", "twoj", "sie", "a", "ale", "lub", "albo",
            "juz", "jeszcze", "tez", "tylko", "moge", "mozna", "chce", "chcialbym", "chcialabym", "prosze", "dzien",
            "dobry", "czesc", "witam", "dziekuje", "dzieki", "mam", "ma", "jakie", "jaki", "jaka",
        ], endings: Endings(passes: [
            [("owie", ""), ("ami", ""), ("ach", ""), ("iem", ""), ("owi", ""), ("ego", ""), ("emu", ""), ("ymi", ""),
             ("imi", ""), ("ych", ""), ("ich", ""), ("om", ""), ("ow", ""), ("em", ""), ("ym", ""), ("im", ""),
             ("ej", ""), ("ie", ""), ("ia", ""), ("iu", ""), ("ii", ""), ("a", ""), ("e", ""), ("i", ""), ("o", ""),
             ("u", ""), ("y", "")],
        ]), elides: false),
        BotLanguage(code: "pt", texts: .portuguese, stopwords: [
            "o", "a", "os", "as", "um", "uma", "uns", "umas", "e", "ou", "mas", "de", "do", "da", "dos", "das", "no",
            "na", "nos", "nas", "em", "com", "por", "para", "pelo", "pela", "que", "como", "qual", "quais", "quando",
            "onde", "quem", "porque", "eu", "tu", "voce", "voces", "ele", "ela", "me", "mim", "meu", "minha", "meus",
            "minhas", "seu", "sua", "seus", "suas", "te", "se", "lhe", "sao", "sou", "esta", "estao", "estou", "era",
            "foi", "ser", "estar", "tenho", "tem", "temos", "pode", "posso", "podem", "quero", "queria", "gostaria",
            "este", "isto", "esse", "essa", "isso", "ola", "oi", "obrigado", "obrigada", "favor", "bom", "dia",
            "boa", "tarde", "algo", "muito", "mais", "ja", "tambem",
        ], endings: Endings(passes: [
            [("coes", "cao"), ("oes", "ao"), ("aes", "ao"), ("ais", "al"), ("eis", "el"), ("ns", "m"), ("es", ""),
             ("s", "")],
            [("a", ""), ("o", ""), ("e", "")],
        ]), elides: false),
        // Russian is read with ё as е, its words as light stems: a reflexive ending, then
        // a case or plural ending ("заказов", "заказом" = "заказ"; "доставку" = "доставка").
        BotLanguage(code: "ru", texts: .russian, stopwords: [
            "и", "в", "во", "не", "что", "он", "на", "я", "с", "со", "как", "а", "то", "все", "она", "так", "его", "но",
            "да", "ты", "к", "у", "же", "вы", "за", "бы", "по", "только", "ее", "мне", "было", "вот", "от", "меня",
            "еще", "нет", "о", "из", "ему", "когда", "ли", "если", "уже", "или", "быть", "был", "до", "вас", "вам",
            "там", "где", "есть", "для", "мы", "их", "чем", "была", "это", "этот", "эта", "эти", "кто", "какой",
            "какая", "какие", "здесь", "мой", "моя", "мои", "можно", "при", "про", "нас", "здравствуйте", "привет",
            "добрый", "день", "спасибо", "пожалуйста", "хочу", "хотел", "хотела", "подскажите", "скажите", "почему",
            "сколько", "ваш", "ваша", "ваши",
        ], endings: Endings(passes: [
            [("ся", ""), ("сь", "")],
            [("иями", ""), ("ями", ""), ("ами", ""), ("иях", ""), ("ях", ""), ("ах", ""), ("ией", ""), ("ием", ""),
             ("ого", ""), ("его", ""), ("ому", ""), ("ему", ""), ("ыми", ""), ("ими", ""), ("ов", ""), ("ев", ""),
             ("ей", ""), ("ой", ""), ("ий", ""), ("ый", ""), ("ая", ""), ("яя", ""), ("ое", ""), ("ее", ""),
             ("ые", ""), ("ие", ""), ("ых", ""), ("их", ""), ("ую", ""), ("юю", ""), ("ам", ""), ("ям", ""),
             ("ом", ""), ("ем", ""), ("ью", ""), ("а", ""), ("я", ""), ("о", ""), ("е", ""), ("и", ""), ("ы", ""),
             ("у", ""), ("ю", ""), ("ь", ""), ("й", "")],
        ]), elides: false),
        // Persian is read as Arabic is typed (its yeh and kaf as Arabic's, `Normalizer.fold`),
        // with the zero-width non-joiner dropped, and by light stems: the verbs' "می" and
        // "نمی" before a word, a plural (with its possessive) or a possessive or indefinite
        // ending after ("سفارش‌هایم" = "سفارش"). Endings are written as folded.
        BotLanguage(code: "fa", texts: .persian, stopwords: [
            "و", "در", "به", "از", "که", "این", "آن", "را", "با", "برای", "است", "هست", "بود", "من", "تو", "شما", "ما",
            "او", "آنها", "یک", "هم", "چه", "چی", "چطور", "چگونه", "کی", "کجا", "چرا", "چند", "آیا", "می", "نمی", "خیلی",
            "لطفا", "لطفاً", "ممکن", "خواهم", "سلام", "ممنون", "مرسی", "متشکرم", "باید", "شود", "کنم", "کنید", "دارم",
            "دارید", "هستم", "هستید", "یا", "اما", "ولی", "اگر", "تا", "روی", "بر", "نه", "بله", "آره",
        ], endings: Endings(prefixes: ["نمي", "مي"], passes: [
            [("هايمان", ""), ("هايتان", ""), ("هايشان", ""), ("هايم", ""), ("هايت", ""), ("هايش", ""), ("هايي", ""),
             ("هاي", ""), ("ها", "")],
            [("مان", ""), ("تان", ""), ("شان", ""), ("ان", ""), ("ات", ""), ("ي", "")],
        ]), elides: false),
        // Ukrainian as Russian is: reflexive, then case and plural endings (ї is read as і
        // and ґ as г, as many type them; the apostrophe is dropped: "пʼятниця" = "п'ятниця").
        BotLanguage(code: "uk", texts: .ukrainian, stopwords: [
            "і", "й", "та", "в", "у", "не", "що", "він", "на", "я", "з", "із", "зі", "як", "а", "то", "все", "вона",
            "так", "його", "але", "ти", "до", "же", "ви", "за", "б", "би", "по", "тільки", "її", "мені", "було", "ось",
            "від", "мене", "ще", "ні", "о", "про", "йому", "коли", "чи", "якщо", "вже", "або", "бути", "був", "там",
            "де", "є", "для", "ми", "їх", "ніж", "була", "це", "цей", "ця", "ці", "хто", "який", "яка", "які", "тут",
            "мій", "моя", "мої", "моє", "можна", "при", "нас", "вас", "вам", "добрий", "день", "вітаю", "привіт",
            "дякую", "будь", "ласка", "хочу", "хотів", "хотіла", "підкажіть", "скажіть", "чому", "скільки", "ваш",
            "ваша", "ваші",
        ], endings: Endings(passes: [
            [("ся", ""), ("сь", "")],
            [("ями", ""), ("ами", ""), ("ях", ""), ("ах", ""), ("ові", ""), ("еві", ""), ("ого", ""), ("ому", ""),
             ("ими", ""), ("іми", ""), ("ів", ""), ("ою", ""), ("ею", ""), ("ий", ""), ("ій", ""), ("оі", ""),
             ("ам", ""), ("ям", ""), ("ом", ""), ("ем", ""), ("их", ""), ("іх", ""), ("ь", ""), ("а", ""), ("я", ""),
             ("о", ""), ("е", ""), ("і", ""), ("и", ""), ("у", ""), ("ю", ""), ("й", "")],
        ]), elides: false),
        // Indonesian: enclitics, then possessives, then a suffix cut from the end
        // ("pesanannya" = "pesan"); prefixes are left alone (cutting "di" or "ter" would
        // also cut "diskon" and "terima"), and a cut leaves at least four letters.
        BotLanguage(code: "id", texts: .indonesian, stopwords: [
            "yang", "dan", "di", "ke", "dari", "ini", "itu", "untuk", "dengan", "saya", "aku", "anda", "kamu", "kami",
            "kita", "apa", "apakah", "bagaimana", "berapa", "kapan", "dimana", "mana", "siapa", "mengapa", "kenapa",
            "tidak", "bisa", "dapat", "mau", "ingin", "ada", "adalah", "akan", "sudah", "belum", "juga", "atau", "tapi",
            "tetapi", "jika", "kalau", "pada", "dalam", "oleh", "tolong", "mohon", "terima", "kasih", "halo", "hai",
            "selamat", "pagi", "siang", "sore", "malam", "ya", "saja", "lagi", "sih", "dong", "nih", "gimana", "bagaimanakah",
        ], endings: Endings(passes: [
            [("lah", ""), ("kah", ""), ("pun", "")],
            [("nya", ""), ("ku", ""), ("mu", "")],
            [("kan", ""), ("an", ""), ("i", "")],
        ], shortest: 4), elides: false),
        // Turkish is read with its letters folded (ı and i alike, ş as s…), its words as
        // light stems: suffixes cut from the end, a case, then a possessive, then a plural
        // ("siparişlerimden" = "sipariş"; a lone vowel is left to the typo tolerance, as it
        // also ends many words: "fatura").
        BotLanguage(code: "tr", texts: .turkish, stopwords: [
            "ve", "ile", "bir", "bu", "su", "o", "da", "de", "mi", "mu", "ne", "nasil", "neden", "nerede", "zaman",
            "hangi", "kac", "ben", "sen", "siz", "biz", "onlar", "benim", "sizin", "icin", "ama", "veya", "ya", "gibi",
            "daha", "cok", "var", "yok", "merhaba", "selam", "tesekkurler", "tesekkur", "ederim", "lutfen",
            "istiyorum", "isterim", "olarak", "olan", "ki", "her", "hic", "kadar", "sonra", "once",
        ], endings: Endings(passes: [
            [("ndan", ""), ("nden", ""), ("dan", ""), ("den", ""), ("tan", ""), ("ten", ""), ("nda", ""), ("nde", ""),
             ("da", ""), ("de", ""), ("ta", ""), ("te", ""), ("na", ""), ("ne", ""), ("ya", ""), ("ye", ""),
             ("nin", ""), ("nun", ""), ("yi", ""), ("yu", ""),
             // After a possessive or a plural, the accusative's and dative's lone vowel.
             ("imi", "im"), ("umu", "um"), ("ini", "in"), ("unu", "un"), ("ima", "im"), ("ime", "im"), ("uma", "um"),
             ("ume", "um"), ("lari", "lar"), ("leri", "ler"), ("lara", "lar"), ("lere", "ler")],
            [("imiz", ""), ("umuz", ""), ("iniz", ""), ("unuz", ""), ("im", ""), ("um", ""), ("in", ""), ("un", ""),
             ("si", ""), ("su", "")],
            [("lar", ""), ("ler", "")],
        ]), elides: false),
        // Chinese (simplified) is read a character at a time (`Normalizer`: each Han
        // character is a word); particles and pronouns weigh little. No endings are cut.
        BotLanguage(code: "zh", texts: .chinese, stopwords: [
            "的", "了", "是", "我", "你", "您", "他", "她", "它", "们", "在", "有", "和", "就", "不", "吗", "呢", "吧",
            "啊", "请", "问", "一", "个", "这", "那", "也", "都", "要", "想", "能", "可", "以", "怎", "么", "什", "如",
            "何", "谢", "好", "嗨", "下", "给", "让", "会", "得", "地", "着", "过", "还", "很",
        ], endings: Endings(passes: []), elides: false),
        // Chinese in traditional characters, read as the simplified is.
        BotLanguage(code: "zh-Hant", texts: .traditionalChinese, stopwords: [
            "的", "了", "是", "我", "你", "您", "他", "她", "它", "們", "在", "有", "和", "就", "不", "嗎", "呢", "吧",
            "啊", "請", "問", "一", "個", "這", "那", "也", "都", "要", "想", "能", "可", "以", "怎", "麼", "什", "如",
            "何", "謝", "好", "嗨", "下", "給", "讓", "會", "得", "地", "著", "過", "還", "很",
        ], endings: Endings(passes: []), elides: false),
    ].map { ($0.code, $0) })

    /// The language of a `language:` field: one of the codes, in any case, or a tag that
    /// starts with one (`pt-BR` and `pt_BR` are `pt`; `zh-TW` is `zh-Hant`:
    /// `WidgetSettings.language(forTag:)`).
    public static func named(_ text: String) -> BotLanguage? {
        WidgetSettings.language(forTag: text).flatMap { all[$0] }
    }

    /// The codes, English first, as the widget lists them.
    public static var codes: [String] { ["en"] + all.keys.filter { $0 != "en" }.sorted() }

    /// A filler word: one of `stopwords`, or a word written in `fillerScript` alone.
    func isStopword(_ word: String) -> Bool {
        if stopwords.contains(word) { return true }
        guard let fillerScript, !word.isEmpty else { return false }
        return word.unicodeScalars.allSatisfy { Normalizer.Script($0) == fillerScript }
    }
}

/// A light stemmer: endings cut in passes (a plural, then a gender), at most one per pass,
/// the longest that leaves at least `shortest` letters. Enough to match "Bestellungen"
/// with "Bestellung", or "pedidos" with "pedida"; a word that is only alike by its
/// letters is left to the typo tolerance.
struct Endings: Sendable {
    /// Each pass: (ending, replacement), longest endings first, as scalars (converted
    /// once: every word a visitor writes goes through them).
    let passes: [[(ending: [Unicode.Scalar], replacement: [Unicode.Scalar])]]
    /// Cut before the endings, the longest that leaves `shortest` letters, as long as one
    /// does (Arabic's article and the letters joined before it; Hebrew's article and "and").
    let prefixes: [[Unicode.Scalar]]
    /// After cutting, a doubled last consonant is made single (Dutch: "pakketten" →
    /// "pakket").
    let undoubles: Bool
    /// The fewest letters a cut may leave (Korean's syllable blocks are letters too: two
    /// of them make most nouns).
    let shortest: Int

    private static let vowels: Set<Unicode.Scalar> = ["a", "e", "i", "o", "u", "y"]

    init(prefixes: [String] = [], passes: [[(String, String)]], undoubles: Bool = false, shortest: Int = 3) {
        self.shortest = shortest
        self.prefixes = prefixes.map { Array($0.unicodeScalars) }.sorted { $0.count > $1.count }
        self.passes = passes.map { pass in pass.map { (Array($0.0.unicodeScalars), Array($0.1.unicodeScalars)) } }
        self.undoubles = undoubles
    }

    func stem(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var stem = word[...]
        // Again while one fits: a word that starts with such letters of its own ("הזמנה")
        // then reads as it does after them ("ההזמנה").
        while let prefix = prefixes.first(where: { stem.count - $0.count >= shortest && stem.starts(with: $0) }) {
            stem = stem.dropFirst(prefix.count)
        }
        var cut = false
        for pass in passes {
            for (ending, replacement) in pass {
                guard stem.count - ending.count + replacement.count >= shortest,
                      stem.count > ending.count, stem.suffix(ending.count).elementsEqual(ending) else { continue }
                stem = stem.dropLast(ending.count) + replacement
                cut = true
                break
            }
        }
        if undoubles, cut, stem.count > shortest, let last = stem.last, !Self.vowels.contains(last),
           stem[stem.index(stem.endIndex, offsetBy: -2)] == last {
            stem.removeLast()
        }
        return Array(stem)
    }
}
