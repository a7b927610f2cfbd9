// swift-tools-version:6.1
import PackageDescription

/// A Debian library reached through a module map and a small shim header.
func systemLibrary(_ name: String, pkgConfig: String, apt: [String]) -> Target {
    .systemLibrary(name: name, path: "Sources/\(name)", pkgConfig: pkgConfig, providers: [.apt(apt)])
}

let package = Package(
    name: "tutti",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tutti", targets: ["tutti"]),
        .library(name: "AudioCore", targets: ["AudioCore"]),
        .library(name: "Ledger", targets: ["Ledger"]),
        .library(name: "Catalog", targets: ["Catalog"]),
        .library(name: "Governance", targets: ["Governance"]),
        .library(name: "TuttiStorage", targets: ["TuttiStorage"]),
        .library(name: "TuttiServer", targets: ["TuttiServer"]),
        .library(name: "MediaStore", targets: ["MediaStore"]),
        .library(name: "ImageCore", targets: ["ImageCore"]),
        .library(name: "ZipArchives", targets: ["ZipArchives"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // Without default traits: ConfigReader initialisers and full-Foundation form decoding are
        // not used, and default traits made `swift build` and `swift test` rebuild each other.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // The S3 client of MediaStore (shares SwiftNIO with Hummingbird; HummingbirdTesting pulls it in already).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        systemLibrary("COpus", pkgConfig: "opus", apt: ["libopus-dev"]),
        systemLibrary("COgg", pkgConfig: "ogg", apt: ["libogg-dev"]),
        systemLibrary("CSndfile", pkgConfig: "sndfile", apt: ["libsndfile1-dev"]),
        systemLibrary("CSoxr", pkgConfig: "soxr", apt: ["libsoxr-dev"]),
        systemLibrary("CEbur128", pkgConfig: "libebur128", apt: ["libebur128-dev"]),
        systemLibrary("COpusfile", pkgConfig: "opusfile", apt: ["libopusfile-dev"]),
        systemLibrary("CVips", pkgConfig: "vips", apt: ["libvips-dev"]),
        systemLibrary("CLibZ", pkgConfig: "zlib", apt: ["zlib1g-dev"]),

        .target(
            name: "AudioCore",
            dependencies: ["COpus", "COgg", "CSndfile", "CSoxr", "CEbur128"]
        ),
        // Cover art and avatars: sniff, check the header, decode, turn upright, strip metadata and
        // cut to square sizes with libvips; outputs named by SHA-256. No server code.
        .target(
            name: "ImageCore",
            dependencies: ["CVips", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Hostile-input ZIP extraction with limits checked while extracting, and a streaming ZIP
        // writer with its exact size known up front (zlib for inflate and CRC-32). No server code.
        .target(
            name: "ZipArchives",
            dependencies: ["CLibZ"]
        ),
        // Accounts, transfers, pricing and verification of the royalty ledger, on GRDB; no HTTP.
        .target(
            name: "Ledger",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                // The C API, for the hot statements of a group commit (see RawStatement).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Users, tokens, tracks, renditions and the transcode job queue, on GRDB; no HTTP.
        .target(
            name: "Catalog",
            dependencies: [
                "AudioCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Members, proposals, votes and tallies of artist-governed pricing, on GRDB; no HTTP.
        .target(
            name: "Governance",
            dependencies: [
                "Ledger",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // Every module's storage opened once (today SQLite through GRDB): what the server and the
        // CLI hold instead of a database connection.
        .target(
            name: "TuttiStorage",
            dependencies: ["Catalog", "Ledger", "Governance", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        // The PostgreSQL backend of the storage protocols (postgres-nio's pooled client), for
        // several nodes sharing one database.
        .target(
            name: "PostgresStorage",
            dependencies: [
                "Ledger",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        // Where media files live: the local data folder or an S3-compatible bucket (AWS Signature
        // Version 4 on swift-crypto, requests on AsyncHTTPClient); no Hummingbird.
        .target(
            name: "MediaStore",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ]
        ),
        // Starting child processes with posix_spawn: the server's jobs and the tests' tools.
        .target(name: "Spawning"),
        // The Hummingbird application: contexts, controllers, middleware, services.
        .target(
            name: "TuttiServer",
            dependencies: [
                "AudioCore", "Catalog", "Ledger", "Governance", "TuttiStorage", "ImageCore", "ZipArchives", "MediaStore", "Spawning",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            // The web pages, compiled into the binary (served by WebController; listed in WebAssets).
            resources: ["index.html", "app.css", "icon.svg", "app.js", "api.js", "format.js", "auth.js", "catalog.js",
                        "player.js", "waveform.js", "wallet.js", "artist.js", "charts.js",
                        "governance.js", "release.js", "profile.js", "studio.js", "library.js", "embed.js", "splits.js"].map { .embedInCode("Web/\($0)") },
            // The server reaches storage through TuttiStorage's types only: a GRDB member used
            // here without `import GRDB` does not compile (and ModuleSeamTests refuses the import).
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        .executableTarget(
            name: "tutti",
            dependencies: [
                "AudioCore", "Catalog", "Ledger", "Governance", "TuttiStorage", "PostgresStorage", "TuttiServer", "ImageCore", "MediaStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),

        // Helpers the test targets share: fixtures, a reference Opus reader, third-party tools.
        .target(
            name: "TuttiTestSupport",
            dependencies: ["COpusfile", "Spawning"]
        ),
        .testTarget(
            name: "AudioCoreTests",
            dependencies: ["AudioCore", "TuttiTestSupport"]
        ),
        .testTarget(
            name: "ImageCoreTests",
            dependencies: ["ImageCore", "CVips", "TuttiTestSupport"]
        ),
        .testTarget(
            name: "ZipArchivesTests",
            dependencies: ["ZipArchives", "CLibZ", "TuttiTestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        // Each storage protocol's contract, run against SQLite and a PostgreSQL the suite starts.
        .testTarget(
            name: "StorageContractTests",
            dependencies: ["Ledger", "PostgresStorage", "TuttiTestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "TuttiCommandTests",
            dependencies: ["TuttiTestSupport", "Catalog", "Ledger", "MediaStore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "LedgerTests",
            dependencies: [
                "Ledger", "TuttiTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "GovernanceTests",
            dependencies: ["Governance", "Ledger", "Catalog", "TuttiTestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "CatalogTests",
            dependencies: ["Catalog", "Ledger", "Governance", "TuttiTestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "MediaStoreTests",
            dependencies: [
                "MediaStore", "TuttiTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TuttiServerTests",
            dependencies: [
                "TuttiServer", "Catalog", "AudioCore", "Ledger", "Governance", "TuttiStorage", "MediaStore", "TuttiTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                // MD5 of Subsonic's token sign-in, as apps compute it.
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
