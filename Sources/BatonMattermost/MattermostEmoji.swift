/// Mattermost's emoji shortcodes (`:tada:`), as its emoji picker writes them into a post,
/// turned into the emoji themselves for the visitor, who has no Mattermost to draw them.
/// The names are those of Mattermost's own emoji (from the Unicode emoji's short names),
/// the everyday ones an agent reaches for; any other shortcode (a custom emoji of the
/// team, say) stays as it was written. Code (`` `:x:` `` and fenced blocks) is left alone.
public enum MattermostEmoji {
    /// `text` with every known `:name:` outside code replaced by its emoji.
    public static func replacingShortcodes(in text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: ":")) else { return text }
        var out = ""
        var inFence = false
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if index > 0 { out += "\n" }
            if line.trimmingPrefix(while: { $0 == " " }).hasPrefix("```") {
                inFence.toggle()
                out += line
            } else {
                out += inFence ? String(line) : replacing(in: line)
            }
        }
        return out
    }

    /// One line: shortcodes outside inline code.
    private static func replacing(in line: Substring) -> String {
        var out = ""
        var inCode = false
        var rest = line[...]
        while let first = rest.firstIndex(where: { $0 == ":" || $0 == "`" }) {
            out += rest[..<first]
            if rest[first] == "`" {
                inCode.toggle()
                out += "`"
                rest = rest[rest.index(after: first)...]
                continue
            }
            let after = rest.index(after: first)
            if !inCode, let close = rest[after...].firstIndex(of: ":"), close > after,
               let emoji = emoji(named: rest[after..<close]) {
                out += emoji
                rest = rest[rest.index(after: close)...]
            } else {
                out += ":"
                rest = rest[after...]
            }
        }
        return out + rest
    }

    /// The emoji of a name: from the table, a flag (`flag-de`, regional indicators of the
    /// country's two letters), or a skin tone (`skin-tone-2` to `-6`, which Mattermost
    /// writes after the hand it changes: `:wave::skin-tone-3:`).
    static func emoji(named name: Substring) -> String? {
        if let emoji = byName[String(name)] { return emoji }
        if name.hasPrefix("flag-"), let flag = flag(name.dropFirst(5)) { return flag }
        if name.hasPrefix("skin-tone-"), let tone = name.dropFirst(10).first?.wholeNumberValue, (2...6).contains(tone),
           name.count == 11, let modifier = Unicode.Scalar(0x1F3FB + UInt32(tone - 2)) {
            return String(Character(modifier))
        }
        return nil
    }

    /// A country's flag from its two-letter code (ISO 3166-1), as regional indicators.
    private static func flag(_ code: Substring) -> String? {
        guard code.count == 2, code.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) }) else { return nil }
        var scalars = String.UnicodeScalarView()
        for letter in code.unicodeScalars { scalars.append(Unicode.Scalar(0x1F1E6 + letter.value - 0x61)!) }
        return String(scalars)
    }

    static let byName: [String: String] = {
        var table: [String: String] = [:]
        for (names, emoji) in entries {
            for name in names.split(separator: " ") { table[String(name)] = emoji }
        }
        return table
    }()

    /// Names (aliases separated by spaces) and their emoji.
    private static let entries: [(String, String)] = [
        // Faces
        ("smile", "😄"), ("slightly_smiling_face", "🙂"), ("grinning", "😀"), ("smiley", "😃"), ("grin", "😁"),
        ("laughing satisfied", "😆"), ("sweat_smile", "😅"), ("joy", "😂"), ("rofl rolling_on_the_floor_laughing", "🤣"),
        ("wink", "😉"), ("blush", "😊"), ("innocent", "😇"), ("heart_eyes", "😍"), ("star-struck star_struck", "🤩"),
        ("kissing_heart", "😘"), ("yum", "😋"), ("stuck_out_tongue", "😛"), ("stuck_out_tongue_winking_eye", "😜"),
        ("upside_down_face", "🙃"), ("sunglasses", "😎"), ("nerd_face", "🤓"), ("hugs hugging_face", "🤗"),
        ("thinking thinking_face", "🤔"), ("neutral_face", "😐"), ("expressionless", "😑"), ("no_mouth", "😶"),
        ("roll_eyes face_with_rolling_eyes", "🙄"), ("smirk", "😏"), ("relieved", "😌"), ("pensive", "😔"),
        ("sleepy", "😪"), ("sleeping", "😴"), ("unamused", "😒"), ("sweat", "😓"), ("confused", "😕"),
        ("slightly_frowning_face", "🙁"), ("frowning_face white_frowning_face", "☹️"), ("worried", "😟"),
        ("disappointed", "😞"), ("cry", "😢"), ("sob", "😭"), ("astonished", "😲"), ("open_mouth", "😮"),
        ("hushed", "😯"), ("flushed", "😳"), ("grimacing", "😬"), ("scream", "😱"), ("fearful", "😨"),
        ("weary", "😩"), ("tired_face", "😫"), ("triumph", "😤"), ("rage", "😡"), ("angry", "😠"),
        ("partying_face", "🥳"), ("shushing_face", "🤫"), ("face_with_monocle", "🧐"), ("mask", "😷"),
        ("dizzy_face", "😵"), ("exploding_head", "🤯"), ("pleading_face", "🥺"), ("melting_face", "🫠"),
        ("saluting_face", "🫡"), ("see_no_evil", "🙈"), ("hear_no_evil", "🙉"), ("speak_no_evil", "🙊"),
        // Hands and people
        ("wave", "👋"), ("ok_hand", "👌"), ("+1 thumbsup", "👍"), ("-1 thumbsdown", "👎"), ("clap", "👏"),
        ("raised_hands", "🙌"), ("pray", "🙏"), ("muscle", "💪"), ("handshake", "🤝"), ("v", "✌️"),
        ("crossed_fingers hand_with_index_and_middle_fingers_crossed", "🤞"), ("point_up", "☝️"),
        ("point_up_2", "👆"), ("point_down", "👇"), ("point_left", "👈"), ("point_right", "👉"),
        ("raised_hand hand", "✋"), ("writing_hand", "✍️"), ("eyes", "👀"), ("shrug", "🤷"),
        ("facepalm face_palm", "🤦"), ("man_shrugging", "🤷‍♂️"), ("woman_shrugging", "🤷‍♀️"),
        // Hearts and symbols
        ("heart", "❤️"), ("orange_heart", "🧡"), ("yellow_heart", "💛"), ("green_heart", "💚"), ("blue_heart", "💙"),
        ("purple_heart", "💜"), ("black_heart", "🖤"), ("white_heart", "🤍"), ("broken_heart", "💔"),
        ("sparkling_heart", "💖"), ("100", "💯"), ("fire", "🔥"), ("star", "⭐"), ("star2", "🌟"), ("sparkles", "✨"),
        ("zap", "⚡"), ("boom collision", "💥"), ("tada", "🎉"), ("confetti_ball", "🎊"), ("balloon", "🎈"),
        ("gift", "🎁"), ("trophy", "🏆"), ("medal sports_medal", "🏅"), ("rocket", "🚀"), ("bulb", "💡"),
        ("warning", "⚠️"), ("no_entry", "⛔"), ("no_entry_sign", "🚫"), ("x", "❌"), ("heavy_check_mark", "✔️"),
        ("white_check_mark", "✅"), ("ballot_box_with_check", "☑️"), ("question", "❓"), ("grey_question", "❔"),
        ("exclamation heavy_exclamation_mark", "❗"), ("grey_exclamation", "❕"), ("bangbang", "‼️"),
        ("interrobang", "⁉️"), ("information_source", "ℹ️"), ("heavy_plus_sign", "➕"), ("heavy_minus_sign", "➖"),
        ("arrow_right", "➡️"), ("arrow_left", "⬅️"), ("arrow_up", "⬆️"), ("arrow_down", "⬇️"),
        ("arrows_counterclockwise", "🔄"), ("repeat", "🔁"), ("red_circle", "🔴"), ("large_blue_circle blue_circle", "🔵"),
        ("white_circle", "⚪"), ("black_circle", "⚫"), ("large_green_circle green_circle", "🟢"),
        ("large_yellow_circle yellow_circle", "🟡"), ("hourglass", "⌛"), ("hourglass_flowing_sand", "⏳"),
        ("alarm_clock", "⏰"), ("stopwatch", "⏱️"), ("watch", "⌚"), ("clock3", "🕒"), ("soon", "🔜"), ("new", "🆕"),
        ("free", "🆓"), ("ok", "🆗"), ("sos", "🆘"), ("copyright", "©️"), ("registered", "®️"), ("tm", "™️"),
        // Things
        ("email envelope", "✉️"), ("e-mail", "📧"), ("incoming_envelope", "📨"), ("mailbox", "📫"),
        ("phone telephone", "☎️"), ("iphone", "📱"), ("calling", "📲"), ("computer", "💻"), ("desktop_computer", "🖥️"),
        ("keyboard", "⌨️"), ("printer", "🖨️"), ("calendar", "📆"), ("date", "📅"), ("spiral_calendar", "🗓️"),
        ("lock", "🔒"), ("unlock", "🔓"), ("key", "🔑"), ("link", "🔗"), ("paperclip", "📎"), ("pushpin", "📌"),
        ("memo pencil", "📝"), ("pencil2", "✏️"), ("page_facing_up", "📄"), ("clipboard", "📋"),
        ("bookmark_tabs", "📑"), ("books", "📚"), ("book open_book", "📖"), ("file_folder", "📁"), ("mag", "🔍"),
        ("gear", "⚙️"), ("wrench", "🔧"), ("hammer", "🔨"), ("hammer_and_wrench", "🛠️"), ("package", "📦"),
        ("truck", "🚚"), ("shopping_cart", "🛒"), ("shopping_bags", "🛍️"), ("moneybag", "💰"), ("credit_card", "💳"),
        ("dollar", "💵"), ("euro", "💶"), ("pound", "💷"), ("receipt", "🧾"), ("chart_with_upwards_trend", "📈"),
        ("chart_with_downwards_trend", "📉"), ("bar_chart", "📊"), ("bell", "🔔"), ("loudspeaker", "📢"),
        ("mega", "📣"), ("speech_balloon", "💬"), ("thought_balloon", "💭"), ("coffee", "☕"), ("tea", "🍵"),
        ("pizza", "🍕"), ("cake", "🍰"), ("birthday", "🎂"), ("cookie", "🍪"), ("beer", "🍺"), ("beers", "🍻"),
        ("wine_glass", "🍷"), ("champagne", "🍾"), ("sunny", "☀️"), ("cloud", "☁️"), ("umbrella", "☔"),
        ("snowflake", "❄️"), ("rainbow", "🌈"), ("earth_africa", "🌍"), ("earth_americas", "🌎"),
        ("earth_asia", "🌏"), ("globe_with_meridians", "🌐"), ("house", "🏠"), ("office", "🏢"), ("car red_car", "🚗"),
        ("airplane", "✈️"), ("train", "🚆"), ("ship", "🚢"), ("dog", "🐶"), ("cat", "🐱"), ("unicorn", "🦄"),
        ("bug", "🐛"), ("seedling", "🌱"), ("rose", "🌹"), ("sunflower", "🌻"), ("christmas_tree", "🎄"),
        ("jack_o_lantern", "🎃"), ("snowman", "⛄"), ("checkered_flag", "🏁"), ("triangular_flag_on_post", "🚩"),
        ("construction", "🚧"), ("rotating_light", "🚨"), ("stop_sign", "🛑"), ("inbox_tray", "📥"), ("outbox_tray", "📤"),
        ("money_with_wings", "💸"), ("smiling_face_with_three_hearts", "🥰"),
        // Cats
        ("smiley_cat", "😺"), ("smile_cat", "😸"), ("joy_cat", "😹"), ("heart_eyes_cat", "😻"), ("smirk_cat", "😼"),
        ("kissing_cat", "😽"), ("scream_cat", "🙀"), ("crying_cat_face", "😿"), ("pouting_cat", "😾"),
        // The flags that also go by their country's code alone
        ("us", "🇺🇸"), ("gb uk", "🇬🇧"), ("de", "🇩🇪"), ("fr", "🇫🇷"), ("es", "🇪🇸"), ("it", "🇮🇹"), ("jp", "🇯🇵"),
        ("kr", "🇰🇷"), ("cn", "🇨🇳"), ("ru", "🇷🇺"),
    ]
}
