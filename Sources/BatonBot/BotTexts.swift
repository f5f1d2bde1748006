/// What a bot says where its document leaves a text out, in the language it speaks
/// (`BotLanguage`): the settings' texts, the phrases that ask for a person, and what a
/// question says after a bad answer without a `retry` of its own. The widget's own words
/// are in `Public/languages/` (BatonServer); these address the visitor the same way
/// (Sie, tu, vous, tu, je, você, ty, вы, siz, 你; in Japanese and Korean politely; in Arabic, the masculine singular as the widget does; in
/// Hebrew, impersonal forms where they read naturally, else both genders, "מעביר/ה").
public struct BotTexts: Sendable, Hashable {
    public var fallback: String
    public var fileReceived: String
    public var handoverMessage: String
    public var noAgentsMessage: String
    public var handoverTriggers: [String]
    /// After a bad answer, by the question's type.
    public var retryText, retryEmail, retryPhone, retryChoice: String
    /// Messages that leave the question waiting for an answer ("cancel"), and what the
    /// bot says then.
    public var cancelTriggers: [String]
    public var cancelled: String
    /// Said when a question of the handover flow is left unanswered after too many bad
    /// answers, before the next one: the handover goes on without it.
    public var questionSkipped: String

    public func retry(_ type: AnswerType) -> String {
        switch type {
        case .text: retryText
        case .email: retryEmail
        case .phone: retryPhone
        case .choice: retryChoice
        }
    }

    static let english = BotTexts(
        fallback: "Sorry, I didn't understand that. Could you say it another way?",
        fileReceived: "Thanks, I've got your file.",
        handoverMessage: "I'm connecting you with a person. They'll answer here shortly.",
        noAgentsMessage: "Nobody is available to chat right now. Leave your message here and we'll get back to you.",
        handoverTriggers: ["talk to a human", "talk to a person", "speak to a human", "speak to a person", "real person",
                           "human agent", "live agent", "talk to an agent", "talk to someone", "customer service", "operator"],
        retryText: "Sorry, I need an answer to go on.",
        retryEmail: "That doesn't look like an email address. Could you check it?",
        retryPhone: "That doesn't look like a phone number. Please use digits, with + and the country code if you like.",
        retryChoice: "Please pick one of the options.",
        cancelTriggers: ["cancel", "stop", "never mind", "nevermind", "forget it"],
        cancelled: "OK, let's leave that. What else can I help you with?",
        questionSkipped: "Never mind, let's go on without it.")

    static let arabic = BotTexts(
        fallback: "عذرًا، لم أفهم ذلك. هل يمكنك قوله بطريقة أخرى؟",
        fileReceived: "شكرًا، وصلني ملفك.",
        handoverMessage: "سأوصلك بأحد أفراد فريقنا. سيرد عليك هنا قريبًا.",
        noAgentsMessage: "لا يوجد أحد متاح للمحادثة الآن. اترك رسالتك هنا وسنعود إليك.",
        handoverTriggers: ["التحدث مع شخص", "التحدث مع موظف", "التكلم مع شخص", "التكلم مع موظف", "شخص حقيقي",
                           "موظف خدمة العملاء", "خدمة العملاء", "موظف بشري"],
        retryText: "عذرًا، أحتاج إلى إجابة للمتابعة.",
        retryEmail: "لا يبدو هذا عنوان بريد إلكتروني. هل يمكنك التحقق منه؟",
        retryPhone: "لا يبدو هذا رقم هاتف. استخدم الأرقام، مع + ورمز الدولة إن أردت.",
        retryChoice: "يُرجى اختيار أحد الخيارات.",
        cancelTriggers: ["إلغاء", "الغاء", "توقف", "انس الأمر"],
        cancelled: "حسنًا، لنترك ذلك. بماذا يمكنني مساعدتك أيضًا؟",
        questionSkipped: "لا بأس، لنكمل بدونها.")

    static let german = BotTexts(
        fallback: "Das habe ich leider nicht verstanden. Können Sie es anders formulieren?",
        fileReceived: "Danke, Ihre Datei ist angekommen.",
        handoverMessage: "Ich verbinde Sie mit unserem Team. Gleich antwortet Ihnen hier jemand.",
        noAgentsMessage: "Gerade ist niemand für den Chat da. Hinterlassen Sie Ihre Nachricht hier, wir melden uns bei Ihnen.",
        handoverTriggers: ["mit einer person sprechen", "mit einem menschen sprechen", "mit jemandem sprechen",
                           "mit einem mitarbeiter sprechen", "echter mensch", "echte person", "kundenservice", "kundendienst"],
        retryText: "Ich brauche eine Antwort, um weiterzumachen.",
        retryEmail: "Das sieht nicht nach einer E-Mail-Adresse aus. Können Sie sie prüfen?",
        retryPhone: "Das sieht nicht nach einer Telefonnummer aus. Bitte nur Ziffern, gern mit + und der Ländervorwahl.",
        retryChoice: "Bitte wählen Sie eine der Möglichkeiten.",
        cancelTriggers: ["abbrechen", "stopp", "stop", "vergiss es"],
        cancelled: "Alles klar, lassen wir das. Wobei kann ich Ihnen sonst helfen?",
        questionSkipped: "Kein Problem, dann machen wir ohne weiter.")

    static let spanish = BotTexts(
        fallback: "Lo siento, no lo he entendido. ¿Puedes decirlo de otra manera?",
        fileReceived: "Gracias, he recibido tu archivo.",
        handoverMessage: "Te paso con una persona. Te responderá aquí en breve.",
        noAgentsMessage: "Ahora mismo no hay nadie disponible para chatear. Deja tu mensaje aquí y te responderemos.",
        handoverTriggers: ["hablar con una persona", "hablar con un humano", "hablar con un agente", "hablar con alguien",
                           "persona real", "agente humano", "atención al cliente", "servicio al cliente", "operador"],
        retryText: "Lo siento, necesito una respuesta para seguir.",
        retryEmail: "Eso no parece una dirección de correo electrónico. ¿Puedes revisarla?",
        retryPhone: "Eso no parece un número de teléfono. Usa cifras, con + y el prefijo del país si quieres.",
        retryChoice: "Elige una de las opciones, por favor.",
        cancelTriggers: ["cancelar", "déjalo", "olvídalo", "no importa"],
        cancelled: "De acuerdo, lo dejamos. ¿En qué más puedo ayudarte?",
        questionSkipped: "No pasa nada, seguimos sin eso.")

    static let french = BotTexts(
        fallback: "Désolé, je n’ai pas compris. Pouvez-vous le dire autrement ?",
        fileReceived: "Merci, j’ai bien reçu votre fichier.",
        handoverMessage: "Je vous mets en relation avec une personne. Elle vous répondra ici sous peu.",
        noAgentsMessage: "Personne n’est disponible pour discuter en ce moment. Laissez votre message ici : nous vous recontacterons.",
        handoverTriggers: ["parler à une personne", "parler à un humain", "parler à un conseiller", "parler à quelqu’un",
                           "une vraie personne", "agent humain", "service client", "opérateur"],
        retryText: "Désolé, j’ai besoin d’une réponse pour continuer.",
        retryEmail: "Cela ne ressemble pas à une adresse e-mail. Pouvez-vous la vérifier ?",
        retryPhone: "Cela ne ressemble pas à un numéro de téléphone. Utilisez des chiffres, avec + et l’indicatif du pays si vous le souhaitez.",
        retryChoice: "Choisissez l’une des options, s’il vous plaît.",
        cancelTriggers: ["annuler", "stop", "laisse tomber", "laissez tomber", "oubliez", "peu importe"],
        cancelled: "D'accord, laissons cela. Que puis-je faire d'autre pour vous ?",
        questionSkipped: "Ce n'est pas grave, continuons sans.")

    static let hebrew = BotTexts(
        fallback: "סליחה, לא הבנתי. אפשר לנסח את זה אחרת?",
        fileReceived: "תודה, הקובץ התקבל.",
        handoverMessage: "אני מעביר/ה אותך לאחד מאנשי הצוות שלנו. התשובה תגיע כאן בקרוב.",
        noAgentsMessage: "אין כרגע מישהו זמין לצ׳אט. אפשר להשאיר כאן הודעה ונחזור אליך.",
        handoverTriggers: ["לדבר עם נציג", "לדבר עם אדם", "לדבר עם בן אדם", "נציג אנושי", "נציג שירות", "שירות לקוחות",
                           "בן אדם אמיתי", "אדם אמיתי"],
        retryText: "סליחה, צריך תשובה כדי להמשיך.",
        retryEmail: "זו לא נראית כתובת אימייל. אפשר לבדוק אותה?",
        retryPhone: "זה לא נראה כמו מספר טלפון. אפשר לכתוב ספרות, עם + וקידומת המדינה אם רוצים.",
        retryChoice: "יש לבחור אחת מהאפשרויות.",
        cancelTriggers: ["ביטול", "בטל", "עצור", "עזוב", "לא משנה"],
        cancelled: "בסדר, נעזוב את זה. במה עוד אפשר לעזור?",
        questionSkipped: "לא נורא, נמשיך בלי זה.")

    static let italian = BotTexts(
        fallback: "Scusa, non ho capito. Puoi dirlo in un altro modo?",
        fileReceived: "Grazie, ho ricevuto il tuo file.",
        handoverMessage: "Ti metto in contatto con una persona. Ti risponderà qui a breve.",
        noAgentsMessage: "Al momento non c’è nessuno disponibile per la chat. Lascia qui il tuo messaggio e ti ricontatteremo.",
        handoverTriggers: ["parlare con una persona", "parlare con un operatore", "parlare con un umano", "parlare con qualcuno",
                           "persona reale", "operatore umano", "assistenza clienti", "servizio clienti", "operatore"],
        retryText: "Scusa, mi serve una risposta per andare avanti.",
        retryEmail: "Non sembra un indirizzo email. Puoi controllarlo?",
        retryPhone: "Non sembra un numero di telefono. Usa le cifre, con + e il prefisso internazionale se vuoi.",
        retryChoice: "Scegli una delle opzioni, per favore.",
        cancelTriggers: ["annulla", "stop", "lascia perdere", "lascia stare", "non importa"],
        cancelled: "Va bene, lasciamo stare. In cos'altro posso aiutarti?",
        questionSkipped: "Non importa, andiamo avanti senza.")

    static let dutch = BotTexts(
        fallback: "Sorry, dat begreep ik niet. Kun je het anders zeggen?",
        fileReceived: "Bedankt, ik heb je bestand ontvangen.",
        handoverMessage: "Ik verbind je met een medewerker. Die antwoordt je hier zo.",
        noAgentsMessage: "Er is nu niemand beschikbaar om te chatten. Laat hier je bericht achter, dan nemen we contact met je op.",
        handoverTriggers: ["met een mens praten", "met een persoon praten", "met een medewerker praten", "met iemand praten",
                           "echte persoon", "echt mens", "klantenservice", "medewerker spreken"],
        retryText: "Sorry, ik heb een antwoord nodig om verder te gaan.",
        retryEmail: "Dat lijkt geen e-mailadres. Kun je het controleren?",
        retryPhone: "Dat lijkt geen telefoonnummer. Gebruik cijfers, eventueel met + en de landcode.",
        retryChoice: "Kies een van de opties.",
        cancelTriggers: ["annuleren", "stop", "laat maar", "laat maar zitten", "vergeet het"],
        cancelled: "Oké, dan laten we dat. Waarmee kan ik je nog meer helpen?",
        questionSkipped: "Geen probleem, we gaan zonder verder.")

    static let japanese = BotTexts(
        fallback: "申し訳ありません、よく分かりませんでした。別の言い方で教えていただけますか？",
        fileReceived: "ありがとうございます。ファイルを受け取りました。",
        handoverMessage: "担当者におつなぎします。まもなくこちらでお返事します。",
        noAgentsMessage: "ただいま対応できる者がおりません。こちらにメッセージを残していただければ、折り返しご連絡します。",
        handoverTriggers: ["担当者と話したい", "人と話したい", "オペレーターと話したい", "オペレーター", "有人対応",
                           "担当者につないで", "スタッフと話したい", "カスタマーサポート"],
        retryText: "申し訳ありません、続けるにはお答えが必要です。",
        retryEmail: "メールアドレスではないようです。ご確認いただけますか？",
        retryPhone: "電話番号ではないようです。数字で入力してください（+ と国番号も使えます）。",
        retryChoice: "選択肢から一つお選びください。",
        cancelTriggers: ["キャンセル", "やめる", "やめます", "中止", "もういい"],
        cancelled: "かしこまりました。その件はここまでにします。ほかにお手伝いできることはありますか？",
        questionSkipped: "大丈夫です。こちらは飛ばして先に進みます。")

    static let korean = BotTexts(
        fallback: "죄송해요, 이해하지 못했어요. 다르게 말씀해 주시겠어요?",
        fileReceived: "감사합니다. 파일을 받았어요.",
        handoverMessage: "상담원에게 연결해 드릴게요. 곧 여기에서 답변드립니다.",
        noAgentsMessage: "지금은 상담 가능한 사람이 없어요. 여기에 메시지를 남겨 주시면 연락드릴게요.",
        handoverTriggers: ["상담원 연결", "상담원과 대화", "사람과 대화", "상담원 바꿔 주세요", "직원과 이야기", "실제 사람",
                           "고객센터", "상담원"],
        retryText: "죄송해요, 계속하려면 답변이 필요해요.",
        retryEmail: "이메일 주소가 아닌 것 같아요. 확인해 주시겠어요?",
        retryPhone: "전화번호가 아닌 것 같아요. 숫자로 입력해 주세요(+와 국가 번호도 괜찮아요).",
        retryChoice: "선택지 중 하나를 골라 주세요.",
        cancelTriggers: ["취소", "그만", "그만할게요", "됐어요"],
        cancelled: "알겠습니다. 그 이야기는 여기까지 할게요. 다른 도와드릴 일이 있을까요?",
        questionSkipped: "괜찮아요. 이 질문은 건너뛰고 계속할게요.")

    static let polish = BotTexts(
        fallback: "Przepraszam, nie zrozumiałem. Możesz to ująć inaczej?",
        fileReceived: "Dzięki, plik dotarł.",
        handoverMessage: "Łączę z naszym zespołem. Ktoś odpowie tutaj za chwilę.",
        noAgentsMessage: "Nikt nie jest teraz dostępny. Zostaw tutaj wiadomość, a odezwiemy się.",
        handoverTriggers: ["rozmowa z człowiekiem", "porozmawiać z człowiekiem", "porozmawiać z konsultantem",
                           "połącz z konsultantem", "żywy człowiek", "prawdziwa osoba", "obsługa klienta", "konsultant"],
        retryText: "Przepraszam, potrzebuję odpowiedzi, żeby kontynuować.",
        retryEmail: "To nie wygląda na adres e-mail. Możesz go sprawdzić?",
        retryPhone: "To nie wygląda na numer telefonu. Użyj cyfr, można z + i kierunkowym kraju.",
        retryChoice: "Wybierz jedną z opcji.",
        cancelTriggers: ["anuluj", "stop", "nieważne", "zapomnij", "rezygnuję"],
        cancelled: "Dobrze, zostawmy to. W czym jeszcze mogę ci pomóc?",
        questionSkipped: "Nic nie szkodzi, idziemy dalej bez tego.")

    static let portuguese = BotTexts(
        fallback: "Desculpe, não entendi. Pode dizer de outra forma?",
        fileReceived: "Obrigado, recebi seu arquivo.",
        handoverMessage: "Vou transferir você para uma pessoa. Ela responderá aqui em instantes.",
        noAgentsMessage: "Não há ninguém disponível para conversar agora. Deixe sua mensagem aqui e entraremos em contato.",
        handoverTriggers: ["falar com uma pessoa", "falar com um humano", "falar com um atendente", "falar com alguém",
                           "pessoa de verdade", "atendente humano", "atendimento ao cliente", "atendente"],
        retryText: "Desculpe, preciso de uma resposta para continuar.",
        retryEmail: "Isso não parece um endereço de e-mail. Pode verificar?",
        retryPhone: "Isso não parece um número de telefone. Use dígitos, com + e o código do país se quiser.",
        retryChoice: "Escolha uma das opções, por favor.",
        cancelTriggers: ["cancelar", "parar", "deixa pra lá", "deixa para lá", "esquece"],
        cancelled: "Tudo bem, vamos deixar isso. Em que mais posso ajudar você?",
        questionSkipped: "Tudo bem, vamos continuar sem isso.")

    static let russian = BotTexts(
        fallback: "Извините, я не понял. Можете сказать это по-другому?",
        fileReceived: "Спасибо, ваш файл получен.",
        handoverMessage: "Соединяю вас с нашей командой. Вам ответят здесь в ближайшее время.",
        noAgentsMessage: "Сейчас никого нет в чате. Оставьте сообщение здесь, и мы с вами свяжемся.",
        handoverTriggers: ["поговорить с человеком", "связаться с оператором", "позовите оператора", "живой человек",
                           "живой оператор", "соедините с оператором", "служба поддержки", "оператор"],
        retryText: "Извините, чтобы продолжить, нужен ответ.",
        retryEmail: "Это не похоже на адрес электронной почты. Можете проверить?",
        retryPhone: "Это не похоже на номер телефона. Используйте цифры, можно с + и кодом страны.",
        retryChoice: "Пожалуйста, выберите один из вариантов.",
        cancelTriggers: ["отмена", "отменить", "стоп", "неважно", "забудьте", "не надо"],
        cancelled: "Хорошо, оставим это. Чем ещё я могу вам помочь?",
        questionSkipped: "Ничего страшного, продолжим без этого.")

    static let chinese = BotTexts(
        fallback: "抱歉，我没有理解。可以换个说法吗？",
        fileReceived: "谢谢，已收到你的文件。",
        handoverMessage: "正在为你转接人工客服，稍后会在这里回复你。",
        noAgentsMessage: "现在没有客服在线。请在这里留言，我们会尽快联系你。",
        handoverTriggers: ["转人工", "人工客服", "找人工", "真人客服", "联系客服", "和客服聊", "我要找人", "客服"],
        retryText: "抱歉，需要你的回答才能继续。",
        retryEmail: "这看起来不像电子邮件地址。可以检查一下吗？",
        retryPhone: "这看起来不像电话号码。请输入数字，可以带 + 和国家代码。",
        retryChoice: "请选择其中一个选项。",
        cancelTriggers: ["取消", "算了", "不用了", "停止"],
        cancelled: "好的，那就先不说这个了。还有什么可以帮你的吗？",
        questionSkipped: "没关系，我们先跳过这个问题。")

    static let traditionalChinese = BotTexts(
        fallback: "抱歉，我沒有理解。可以換個說法嗎？",
        fileReceived: "謝謝，已收到你的檔案。",
        handoverMessage: "正在為你轉接真人客服，稍後會在這裡回覆你。",
        noAgentsMessage: "現在沒有客服在線上。請在這裡留言，我們會盡快與你聯絡。",
        handoverTriggers: ["轉真人", "真人客服", "找真人", "人工客服", "聯絡客服", "和客服聊", "我要找人", "客服"],
        retryText: "抱歉，需要你的回答才能繼續。",
        retryEmail: "這看起來不像電子郵件地址。可以檢查一下嗎？",
        retryPhone: "這看起來不像電話號碼。請輸入數字，可以加上 + 和國碼。",
        retryChoice: "請選擇其中一個選項。",
        cancelTriggers: ["取消", "算了", "不用了", "停止"],
        cancelled: "好的，那就先不談這個了。還有什麼可以幫你的嗎？",
        questionSkipped: "沒關係，我們先跳過這個問題。")

    static let persian = BotTexts(
        fallback: "متأسفم، متوجه نشدم. می‌شود جور دیگری بگویید؟",
        fileReceived: "ممنون، فایلتان رسید.",
        handoverMessage: "شما را به یکی از همکارانمان وصل می‌کنم. به‌زودی همین‌جا پاسخ می‌دهد.",
        noAgentsMessage: "اکنون کسی برای گفتگو در دسترس نیست. پیامتان را اینجا بگذارید تا با شما تماس بگیریم.",
        handoverTriggers: ["صحبت با یک نفر", "صحبت با پشتیبان", "صحبت با اپراتور", "یک آدم واقعی", "خدمات مشتریان",
                           "پشتیبانی انسانی", "وصل به اپراتور", "اپراتور"],
        retryText: "متأسفم، برای ادامه به پاسخ شما نیاز است.",
        retryEmail: "این شبیه نشانی ایمیل نیست. می‌شود بررسی کنید؟",
        retryPhone: "این شبیه شمارهٔ تلفن نیست. از رقم‌ها استفاده کنید، در صورت تمایل با + و کد کشور.",
        retryChoice: "لطفاً یکی از گزینه‌ها را انتخاب کنید.",
        cancelTriggers: ["لغو", "بیخیال", "بی‌خیال", "ولش کن"],
        cancelled: "باشه، از آن می‌گذریم. در چه مورد دیگری می‌توانم کمکتان کنم؟",
        questionSkipped: "اشکالی ندارد، بدون آن ادامه می‌دهیم.")

    static let ukrainian = BotTexts(
        fallback: "Вибачте, я не зрозумів. Можете сказати це інакше?",
        fileReceived: "Дякуємо, ваш файл отримано.",
        handoverMessage: "Зʼєдную вас із нашою командою. Вам відповідять тут найближчим часом.",
        noAgentsMessage: "Зараз нікого немає в чаті. Залиште повідомлення тут, і ми з вами звʼяжемося.",
        handoverTriggers: ["поговорити з людиною", "звʼязатися з оператором", "покличте оператора", "жива людина",
                           "живий оператор", "зʼєднайте з оператором", "служба підтримки", "оператор"],
        retryText: "Вибачте, щоб продовжити, потрібна відповідь.",
        retryEmail: "Це не схоже на адресу електронної пошти. Можете перевірити?",
        retryPhone: "Це не схоже на номер телефону. Використовуйте цифри, можна з + і кодом країни.",
        retryChoice: "Будь ласка, виберіть один із варіантів.",
        cancelTriggers: ["скасувати", "відміна", "стоп", "неважливо", "забудьте"],
        cancelled: "Гаразд, облишмо це. Чим ще я можу вам допомогти?",
        questionSkipped: "Нічого страшного, продовжимо без цього.")

    static let indonesian = BotTexts(
        fallback: "Maaf, saya tidak mengerti. Bisakah Anda menyampaikannya dengan cara lain?",
        fileReceived: "Terima kasih, file Anda sudah kami terima.",
        handoverMessage: "Saya hubungkan Anda dengan tim kami. Seseorang akan segera membalas di sini.",
        noAgentsMessage: "Saat ini tidak ada yang bisa diajak chat. Tinggalkan pesan di sini dan kami akan menghubungi Anda.",
        handoverTriggers: ["bicara dengan orang", "bicara dengan manusia", "hubungi agen", "hubungi cs", "layanan pelanggan",
                           "orang sungguhan", "bicara dengan agen", "agen"],
        retryText: "Maaf, kami perlu jawaban untuk melanjutkan.",
        retryEmail: "Sepertinya itu bukan alamat email. Bisa diperiksa lagi?",
        retryPhone: "Sepertinya itu bukan nomor telepon. Gunakan angka, boleh dengan + dan kode negara.",
        retryChoice: "Silakan pilih salah satu pilihan.",
        cancelTriggers: ["batal", "batalkan", "berhenti", "tidak jadi", "gak jadi", "lupakan"],
        cancelled: "Baik, kita lewati saja. Ada lagi yang bisa saya bantu?",
        questionSkipped: "Tidak apa-apa, kita lanjutkan tanpa itu.")

    static let turkish = BotTexts(
        fallback: "Üzgünüm, anlayamadım. Başka bir şekilde söyleyebilir misiniz?",
        fileReceived: "Teşekkürler, dosyanız ulaştı.",
        handoverMessage: "Sizi ekibimizden birine bağlıyorum. Birazdan burada yanıt verecek.",
        noAgentsMessage: "Şu an sohbet için kimse müsait değil. Mesajınızı buraya bırakın, size geri döneceğiz.",
        handoverTriggers: ["bir kişiyle konuşmak", "temsilciyle konuşmak", "müşteri temsilcisi", "gerçek bir kişi",
                           "canlı destek", "müşteri hizmetleri", "insanla konuşmak", "temsilci"],
        retryText: "Üzgünüm, devam etmek için bir yanıt gerekiyor.",
        retryEmail: "Bu bir e-posta adresine benzemiyor. Kontrol edebilir misiniz?",
        retryPhone: "Bu bir telefon numarasına benzemiyor. Rakam kullanın; isterseniz + ve ülke koduyla.",
        retryChoice: "Lütfen seçeneklerden birini seçin.",
        cancelTriggers: ["iptal", "vazgeç", "vazgeçtim", "boş ver", "dur"],
        cancelled: "Tamam, bunu bırakalım. Size başka nasıl yardımcı olabilirim?",
        questionSkipped: "Sorun değil, bu olmadan devam edelim.")
}
