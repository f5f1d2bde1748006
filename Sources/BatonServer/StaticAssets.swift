import BatonCore
import Crypto
import Foundation
import Hummingbird

/// The files Baton serves itself (widget, demo page), read once at start and kept in
/// memory with their ETag.
struct StaticAssets: Sendable {
    struct Asset: Sendable {
        let body: ByteBuffer
        let contentType: String
        /// Hex digits of the content's SHA-256: its ETag, and the version in the address of
        /// a file the widget fetches (`widget/v1/languages/CODE.json?v=VERSION`).
        let version: String
        var etag: String { "\"\(version)\"" }
    }

    private let assets: [String: Asset]

    /// Loads every file of the `Public` resource folder.
    static func load() throws -> StaticAssets {
        guard let root = Bundle.module.url(forResource: "Public", withExtension: nil) else {
            throw StaticAssetsError.missing("the Public resource folder")
        }
        var files: [String: Data] = [:]
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let url = walker?.nextObject() as? URL {
            // (A folder's README is for whoever edits it, not served.)
            guard !url.hasDirectoryPath, !url.lastPathComponent.hasPrefix("."), url.pathExtension != "md" else { continue }
            let name = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
            files[name] = try Data(contentsOf: url)
        }
        try composeLanguages(&files)
        try composeShared(&files)
        var assets: [String: Asset] = [:]
        for (name, data) in files {
            assets[name] = Asset(body: ByteBuffer(bytes: data), contentType: contentType(of: name), version: version(of: data))
        }
        return StaticAssets(assets: assets)
    }

    private static func version(of data: Data) -> String { Hex.string(SHA256.hash(data: data).prefix(8)) }

    /// The widget's words, one JSON file per language (`languages/CODE.json`, exactly the
    /// codes of `WidgetSettings.languages`). English is built into widget.js in place of its
    /// `// @include languages` line, with the version of every other language; the widget
    /// fetches another language when it is to speak it (`widget/v1/languages/CODE.json`,
    /// served as they are). The dashboard gets them all, in `WidgetSettings.languages`'
    /// order, as the module `dashboard/widget-languages.js` (its Language settings list them).
    static func composeLanguages(_ files: inout [String: Data]) throws {
        let found = Set(files.keys.filter { $0.hasPrefix("languages/") })
        let expected = Set(WidgetSettings.languages.map { "languages/\($0).json" })
        if let stray = found.subtracting(expected).sorted().first {
            throw StaticAssetsError.unexpected("\(stray) is in the Baton installation, but its language is not among the widget's (WidgetSettings.languages)")
        }
        if let missing = expected.subtracting(found).sorted().first { throw StaticAssetsError.missing(missing) }
        guard var widget = files["widget.js"].map({ String(decoding: $0, as: UTF8.self) }) else {
            throw StaticAssetsError.missing("widget.js")
        }
        let languages = files
        func text(_ code: String) -> String {
            String(decoding: languages["languages/\(code).json"]!, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let versions = WidgetSettings.languages.filter { $0 != "en" }
            .map { "\"\($0)\": \"\(version(of: files["languages/\($0).json"]!))\"" }
        try replace("// @include languages", in: &widget, with: """
            const LANGUAGES = { "en": \(text("en")) };
            const LANGUAGE_VERSIONS = { \(versions.joined(separator: ", ")) };
            """)
        files["widget.js"] = Data(widget.utf8)

        let entries = WidgetSettings.languages.map { "    \"\($0)\": \(indented(text($0), by: "    ").dropFirst(4))" }
        let module = """
            // The languages the widget speaks (Public/languages/), for the dashboard's Language settings.
            function batonWidgetLanguages() {
              return {
            \(entries.joined(separator: ",\n"))
              };
            }
            export { batonWidgetLanguages };

            """
        files["dashboard/widget-languages.js"] = Data(module.utf8)
    }

    /// Code the widget and the dashboard share lives in `shared/`, written once: the widget
    /// (one script, embedded on other sites) gets a shared file in place of its
    /// `// @include shared/NAME` line, and the dashboard gets it as the module
    /// `dashboard/NAME` exporting its one top-level function. `shared/` itself is not served.
    static func composeShared(_ files: inout [String: Data]) throws {
        let shared = files.keys.filter { $0.hasPrefix("shared/") }
        guard var widget = files["widget.js"].map({ String(decoding: $0, as: UTF8.self) }) else {
            throw StaticAssetsError.missing("widget.js")
        }
        for name in shared {
            let code = String(decoding: files.removeValue(forKey: name)!, as: UTF8.self)
            try replace("// @include \(name)", in: &widget, with: code.trimmingCharacters(in: .newlines))
            guard let function = topLevelFunction(in: code) else {
                throw StaticAssetsError.missing("a top-level function in \(name)")
            }
            let module = "dashboard/" + name.dropFirst("shared/".count)
            files[module] = Data((code + "\nexport { \(function) };\n").utf8)
        }
        files["widget.js"] = Data(widget.utf8)
    }

    /// Puts `code` in place of `line` in `text`, indented as the line is, so that the served
    /// widget reads as one file.
    private static func replace(_ line: String, in text: inout String, with code: String) throws {
        guard let marker = text.range(of: line) else { throw StaticAssetsError.missing("widget.js's \(line)") }
        let lineStart = text[..<marker.lowerBound].lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
        let indent = String(text[lineStart ..< marker.lowerBound])
        text.replaceSubrange(marker, with: indented(code, by: indent).dropFirst(indent.count))
    }

    /// Every line of `code` but empty ones with `indent` before it.
    private static func indented(_ code: String, by indent: String) -> String {
        code.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : indent + $0 }.joined(separator: "\n")
    }

    /// The name of the first function declared at the start of a line (`function NAME(`).
    /// Plain string search: a regex here would pull the regex engine's code into every
    /// start for one line.
    static func topLevelFunction(in code: String) -> Substring? {
        var rest = code[...]
        while let declaration = rest.range(of: "\nfunction ") {
            let after = rest[declaration.upperBound...]
            let name = after.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            if !name.isEmpty, after.dropFirst(name.count).first == "(" { return name }
            rest = after
        }
        return nil
    }

    func asset(_ name: String) -> Asset? { assets[name] }

    /// A response for the asset, or 304 when the client's copy is current.
    func response(for name: String, request: Request, maxAge: Int = 300) -> Response? {
        guard let asset = assets[name] else { return nil }
        var headers: HTTPFields = [
            .contentType: asset.contentType,
            .eTag: asset.etag,
            .cacheControl: "public, max-age=\(maxAge)",
            .init("X-Content-Type-Options")!: "nosniff",
        ]
        if Self.matches(request.headers[.ifNoneMatch], asset.etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentLength] = String(asset.body.readableBytes)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.body))
    }

    /// Whether `If-None-Match` names `etag`: one of its tags, weak or strong (a proxy that
    /// compresses the file, such as nginx with `gzip on`, passes it on as `W/"…"`), or `*`.
    static func matches(_ ifNoneMatch: String?, _ etag: String) -> Bool {
        guard let ifNoneMatch else { return false }
        return ifNoneMatch.split(separator: ",").contains { tag in
            let tag = tag.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }

    private static func contentType(of name: String) -> String {
        switch name.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "json": "application/json"
        case "yaml": "application/yaml"
        default: "application/octet-stream"
        }
    }
}

enum StaticAssetsError: Error, CustomStringConvertible {
    case missing(String)
    case unexpected(String)
    var description: String {
        switch self {
        case .missing(let what): "\(what) is missing from the Baton installation"
        case .unexpected(let what): what
        }
    }
}
