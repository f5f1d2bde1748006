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
        let etag: String
    }

    private let assets: [String: Asset]

    /// Loads every file of the `Public` resource folder.
    static func load() throws -> StaticAssets {
        guard let root = Bundle.module.url(forResource: "Public", withExtension: nil) else {
            throw StaticAssetsError.missing("the Public resource folder")
        }
        var assets: [String: Asset] = [:]
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let url = files?.nextObject() as? URL {
            guard !url.hasDirectoryPath, !url.lastPathComponent.hasPrefix(".") else { continue }
            let data = try Data(contentsOf: url)
            let name = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
            let digest = Hex.string(SHA256.hash(data: data).prefix(8))
            assets[name] = Asset(body: ByteBuffer(bytes: data), contentType: contentType(of: name), etag: "\"\(digest)\"")
        }
        return StaticAssets(assets: assets)
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
        if request.headers[.ifNoneMatch] == asset.etag {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentLength] = String(asset.body.readableBytes)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.body))
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
    var description: String {
        switch self {
        case .missing(let what): "\(what) is missing from the Baton installation"
        }
    }
}
