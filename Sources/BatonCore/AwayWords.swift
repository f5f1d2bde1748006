/// What the bot says on a handover outside the working hours, in each language the
/// widget speaks (`WidgetSettings.languages`): the default away message, and how its
/// `{{opens}}` says when people are back. Used in the widget's language (its Language
/// setting, else the one the widget shows); the admin's own away message is theirs.
struct AwayWords {
    var message: String
    /// "today at {time}", "tomorrow at {time}", "on {day} at {time}".
    var today, tomorrow, onDay: String
    /// Monday to Sunday.
    var days: [String]
    /// After the time: "({zone} time)".
    var zone: String
    /// No time to name (no calendar, or no opening hours at all).
    var soon, later: String

    static func of(_ language: String?) -> AwayWords { all[language ?? "en"] ?? all["en"]! }

    /// "on Monday at 09:00 (Europe/Berlin time)": `days` is 0 today, 1 tomorrow. A week or
    /// more away, the day is named by its `date` ("Monday, January 3"), as a weekday alone
    /// reads as the coming one.
    func opening(days away: Int, weekday: Int, date: String, time: String, timeZone: String) -> String {
        let when = switch away {
        case 0: today
        case 1: tomorrow
        case 2..<7: onDay.replacingOccurrences(of: "{day}", with: days[weekday])
        default: onDay.replacingOccurrences(of: "{day}", with: date)
        }
        return when.replacingOccurrences(of: "{time}", with: time) + " " + zone.replacingOccurrences(of: "{zone}", with: timeZone)
    }

    static let all: [String: AwayWords] = [
        "en": AwayWords(message: "We're away right now and back {{opens}}. Leave your message here: we'll reply as soon as we're in.",
                        today: "today at {time}", tomorrow: "tomorrow at {time}", onDay: "on {day} at {time}",
                        days: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
                        zone: "({zone} time)", soon: "soon", later: "later"),
        "ar": AwayWords(message: "نحن غير متاحين الآن ونعود {{opens}}. اترك رسالتك هنا: سنرد عليك فور عودتنا.",
                        today: "اليوم الساعة {time}", tomorrow: "غدًا الساعة {time}", onDay: "يوم {day} الساعة {time}",
                        days: ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"],
                        zone: "(بتوقيت {zone})", soon: "قريبًا", later: "لاحقًا"),
        "de": AwayWords(message: "Wir sind gerade nicht da und {{opens}} wieder erreichbar. Hinterlassen Sie Ihre Nachricht hier: Wir antworten, sobald wir zurück sind.",
                        today: "heute um {time}", tomorrow: "morgen um {time}", onDay: "am {day} um {time}",
                        days: ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
                        zone: "(Zeitzone {zone})", soon: "bald", later: "später"),
        "es": AwayWords(message: "Ahora mismo no estamos; volvemos {{opens}}. Deja tu mensaje aquí y te responderemos en cuanto volvamos.",
                        today: "hoy a las {time}", tomorrow: "mañana a las {time}", onDay: "el {day} a las {time}",
                        days: ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
                        zone: "(hora de {zone})", soon: "pronto", later: "más tarde"),
        "fa": AwayWords(message: "اکنون در دسترس نیستیم و {{opens}} برمی‌گردیم. پیامتان را اینجا بگذارید: به محض بازگشت پاسخ می‌دهیم.",
                        today: "امروز ساعت {time}", tomorrow: "فردا ساعت {time}", onDay: "{day} ساعت {time}",
                        days: ["دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه", "یکشنبه"],
                        zone: "(به وقت {zone})", soon: "به‌زودی", later: "بعداً"),
        "fr": AwayWords(message: "Nous sommes absents pour le moment et de retour {{opens}}. Laissez votre message ici : nous répondrons dès notre retour.",
                        today: "aujourd’hui à {time}", tomorrow: "demain à {time}", onDay: "{day} à {time}",
                        days: ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
                        zone: "(heure de {zone})", soon: "bientôt", later: "plus tard"),
        "he": AwayWords(message: "אנחנו לא זמינים כרגע ונחזור {{opens}}. אפשר להשאיר כאן הודעה: נענה ברגע שנחזור.",
                        today: "היום ב־{time}", tomorrow: "מחר ב־{time}", onDay: "ביום {day} ב־{time}",
                        days: ["שני", "שלישי", "רביעי", "חמישי", "שישי", "שבת", "ראשון"],
                        zone: "(שעון {zone})", soon: "בקרוב", later: "מאוחר יותר"),
        "id": AwayWords(message: "Kami sedang tidak ada dan kembali {{opens}}. Tinggalkan pesan Anda di sini: kami akan membalas begitu kembali.",
                        today: "hari ini pukul {time}", tomorrow: "besok pukul {time}", onDay: "hari {day} pukul {time}",
                        days: ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"],
                        zone: "(waktu {zone})", soon: "segera", later: "nanti"),
        "it": AwayWords(message: "Al momento non ci siamo; torniamo {{opens}}. Lascia qui il tuo messaggio: ti risponderemo appena rientrati.",
                        today: "oggi alle {time}", tomorrow: "domani alle {time}", onDay: "{day} alle {time}",
                        days: ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"],
                        zone: "(ora di {zone})", soon: "presto", later: "più tardi"),
        "ja": AwayWords(message: "ただいま不在にしております。{{opens}}に戻ります。こちらにメッセージを残していただければ、戻り次第お返事します。",
                        today: "今日の {time}", tomorrow: "明日の {time}", onDay: "{day}の {time}",
                        days: ["月曜日", "火曜日", "水曜日", "木曜日", "金曜日", "土曜日", "日曜日"],
                        zone: "（{zone} 時間）", soon: "まもなく", later: "後ほど"),
        "ko": AwayWords(message: "지금은 자리에 없습니다. {{opens}}에 돌아옵니다. 여기에 메시지를 남겨 주시면 돌아오는 대로 답변드리겠습니다.",
                        today: "오늘 {time}", tomorrow: "내일 {time}", onDay: "{day} {time}",
                        days: ["월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일"],
                        zone: "({zone} 시간)", soon: "곧", later: "나중에"),
        "nl": AwayWords(message: "We zijn er nu niet en zijn {{opens}} terug. Laat hier je bericht achter: we antwoorden zodra we er weer zijn.",
                        today: "vandaag om {time}", tomorrow: "morgen om {time}", onDay: "op {day} om {time}",
                        days: ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"],
                        zone: "(tijdzone {zone})", soon: "binnenkort", later: "later"),
        "pl": AwayWords(message: "Nie ma nas teraz; wracamy {{opens}}. Zostaw tutaj wiadomość: odpowiemy, gdy tylko wrócimy.",
                        today: "dziś o {time}", tomorrow: "jutro o {time}", onDay: "{day} o {time}",
                        days: ["w poniedziałek", "we wtorek", "w środę", "w czwartek", "w piątek", "w sobotę", "w niedzielę"],
                        zone: "(czas {zone})", soon: "wkrótce", later: "później"),
        "pt": AwayWords(message: "Não estamos disponíveis agora; voltamos {{opens}}. Deixe sua mensagem aqui: responderemos assim que voltarmos.",
                        today: "hoje às {time}", tomorrow: "amanhã às {time}", onDay: "{day} às {time}",
                        days: ["segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado", "domingo"],
                        zone: "(horário de {zone})", soon: "em breve", later: "mais tarde"),
        "ru": AwayWords(message: "Сейчас нас нет на месте, вернёмся {{opens}}. Оставьте сообщение здесь: мы ответим, как только вернёмся.",
                        today: "сегодня в {time}", tomorrow: "завтра в {time}", onDay: "{day} в {time}",
                        days: ["в понедельник", "во вторник", "в среду", "в четверг", "в пятницу", "в субботу", "в воскресенье"],
                        zone: "(время {zone})", soon: "скоро", later: "позже"),
        "tr": AwayWords(message: "Şu an burada değiliz; {{opens}} döneceğiz. Mesajınızı buraya bırakın: döner dönmez yanıt vereceğiz.",
                        today: "bugün {time}", tomorrow: "yarın {time}", onDay: "{day} {time}",
                        days: ["pazartesi", "salı", "çarşamba", "perşembe", "cuma", "cumartesi", "pazar"],
                        zone: "({zone} saatiyle)", soon: "yakında", later: "daha sonra"),
        "uk": AwayWords(message: "Зараз нас немає на місці, повернемося {{opens}}. Залиште повідомлення тут: ми відповімо, щойно повернемося.",
                        today: "сьогодні о {time}", tomorrow: "завтра о {time}", onDay: "{day} о {time}",
                        days: ["у понеділок", "у вівторок", "у середу", "у четвер", "у пʼятницю", "у суботу", "у неділю"],
                        zone: "(за часом {zone})", soon: "незабаром", later: "пізніше"),
        "zh": AwayWords(message: "我们现在不在，{{opens}}回来。请在这里留言：我们回来后会尽快回复你。",
                        today: "今天 {time}", tomorrow: "明天 {time}", onDay: "{day} {time}",
                        days: ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"],
                        zone: "（{zone} 时间）", soon: "很快", later: "稍后"),
        "zh-Hant": AwayWords(message: "我們現在不在，{{opens}}回來。請在這裡留言：我們回來後會盡快回覆你。",
                             today: "今天 {time}", tomorrow: "明天 {time}", onDay: "{day} {time}",
                             days: ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"],
                             zone: "（{zone} 時間）", soon: "很快", later: "稍後"),
    ]
}
