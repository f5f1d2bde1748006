// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "baton",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "baton", targets: ["baton"]),
        .executable(name: "mattermost-sandbox", targets: ["mattermost-sandbox"]),
        .executable(name: "baton-bench", targets: ["baton-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // The domain: no NIO, no Hummingbird; it counts through swift-metrics' API only.
        .target(name: "BatonCore", dependencies: [
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        .target(name: "BatonBot", dependencies: [
            "BatonCore",
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "BatonStore", dependencies: [
            "BatonCore",
            .product(name: "SQLKit", package: "sql-kit"),
            .product(name: "SQLiteKit", package: "sqlite-kit"),
            .product(name: "PostgresKit", package: "postgres-kit"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "BatonServer", dependencies: [
            "BatonCore", "BatonBot", "BatonStore", "BatonMattermost", "BatonMail", "OpenAPIContract", "ConnectionGuard",
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], resources: [.copy("Public")]),
        .target(name: "BatonMattermost", dependencies: [
            "BatonCore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            // The event stream's own client channel (EventStreamChannel) runs WSCore's handler.
            .product(name: "WSClient", package: "swift-websocket"),
            .product(name: "WSCore", package: "swift-websocket"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            // The event stream's CONNECT through a proxy (NIOHTTP1ProxyConnectHandler).
            .product(name: "NIOExtras", package: "swift-nio-extras"),
            .product(name: "NIOSOCKS", package: "swift-nio-extras"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        // Email to visitors (the replies they missed) through an SMTP server.
        .target(name: "BatonMail", dependencies: [
            "BatonCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // The Mattermost stand-in: tests run Baton against it; `mattermost-sandbox` runs it alone.
        .target(name: "MattermostSandbox", dependencies: [
            "ConnectionGuard",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "mattermost-sandbox", dependencies: [
            "MattermostSandbox",
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Checks HTTP exchanges against an OpenAPI 3 document (used by tests).
        .target(name: "OpenAPIContract", dependencies: [
            .product(name: "Yams", package: "Yams"),
        ]),
        // Child processes started with posix_spawn (not Foundation's Process), for the tests
        // and the bench.
        .target(name: "ChildProcesses"),
        // The first handler of every accepted connection, in Baton and in the stand-in.
        .target(name: "ConnectionGuard", dependencies: [
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // What the tests share: a live Baton on a loopback port, a widget client, WebDriver.
        .target(name: "BatonTestSupport", dependencies: [
            "BatonServer", "BatonStore", "BatonMattermost", "ChildProcesses",
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOExtras", package: "swift-nio-extras"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
        ]),
        .executableTarget(name: "baton", dependencies: [
            "BatonServer", "BatonStore", "BatonCore", "BatonMail",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], exclude: ["baton.order"], linkerSettings: releaseLinking + startupOrder),
        // The load generator and benchmark: drives a running `baton` (and a bare echo server,
        // the baseline) through real sockets; docs/PERFORMANCE.md.
        .executableTarget(name: "baton-bench", dependencies: [
            "MattermostSandbox", "BatonCore", "BatonStore", "ChildProcesses",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ], linkerSettings: releaseLinking),
        .testTarget(name: "BatonCoreTests", dependencies: ["BatonCore"]),
        .testTarget(name: "ConnectionGuardTests", dependencies: [
            "ConnectionGuard",
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(name: "BatonBotTests", dependencies: ["BatonBot"]),
        .testTarget(name: "BatonMailTests", dependencies: ["BatonMail", "BatonTestSupport"]),
        .testTarget(name: "BatonStoreTests", dependencies: ["BatonStore", "BatonTestSupport"]),
        .testTarget(name: "BatonMattermostTests", dependencies: [
            "BatonMattermost", "BatonCore", "BatonServer", "BatonStore", "BatonTestSupport", "MattermostSandbox", "OpenAPIContract",
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "MattermostSandboxTests", dependencies: [
            "MattermostSandbox", "OpenAPIContract", "BatonTestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
        ]),
        .testTarget(name: "BatonServerTests", dependencies: [
            "BatonServer", "BatonStore", "BatonTestSupport",
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
    ]
)

/// Release executables carry the Swift runtime and Foundation inside them, with unused code
/// dropped: an idle `baton` then maps about 4 MiB less (docs/PERFORMANCE.md). They export no
/// symbols (nothing loads them as a library; SwiftPM asks for `-export-dynamic`), which keeps
/// about 3 MiB of symbol tables out of memory and lets more unused code go; lld packs the
/// relative relocations (3.4 MiB of them otherwise, read at every start).
var releaseLinking: [LinkerSetting] {
    let release = BuildSettingCondition.when(platforms: [.linux], configuration: .release)
    // Modules compiled against the shared Foundation do not ask for its static parts.
    let foundationParts = ["CoreFoundation", "_FoundationICU", "_FoundationCShims", "_FoundationCollections",
                           "FoundationEssentials", "FoundationInternationalization", "swiftSynchronization"]
    return [.unsafeFlags(["-static-stdlib", "-use-ld=lld", "-Xlinker", "--gc-sections",
                          "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"], release)]
        + foundationParts.map { .linkedLibrary($0, release) }
}

/// The release link places the code a running server uses first, together, in the order it
/// first runs (Sources/baton/baton.order, written by scripts/order-baton): the kernel maps
/// executable pages 64 KiB at a time around each one that runs, and code spread over the
/// whole executable kept about 9 MB more of it in an idle server's memory
/// (docs/PERFORMANCE.md, "Idle server"). A name the order no longer finds is skipped: an old
/// order places less, it breaks nothing. SwiftPM does not see that the link reads the file,
/// so a changed order takes effect at the next link.
var startupOrder: [LinkerSetting] {
    let order = Context.packageDirectory + "/Sources/baton/baton.order"
    return [.unsafeFlags(["-Xlinker", "--symbol-ordering-file=" + order, "-Xlinker", "--no-warn-symbol-ordering"],
                         .when(platforms: [.linux], configuration: .release))]
}

// Each function of Baton's own modules in a section of its own in release builds, so that
// the link can place it by the order above (and drop it when unused). By default Swift
// gives public functions sections of their own but puts private ones, closures and the
// parts of async functions together in one per file. Dependencies keep their settings.
for target in package.targets where target.type != .test {
    target.swiftSettings = (target.swiftSettings ?? [])
        + [.unsafeFlags(["-Xfrontend", "-function-sections"], .when(platforms: [.linux], configuration: .release))]
}
