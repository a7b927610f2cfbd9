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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        systemLibrary("COpus", pkgConfig: "opus", apt: ["libopus-dev"]),
        systemLibrary("COgg", pkgConfig: "ogg", apt: ["libogg-dev"]),
        systemLibrary("CSndfile", pkgConfig: "sndfile", apt: ["libsndfile1-dev"]),
        systemLibrary("CSoxr", pkgConfig: "soxr", apt: ["libsoxr-dev"]),
        systemLibrary("CEbur128", pkgConfig: "libebur128", apt: ["libebur128-dev"]),
        systemLibrary("COpusfile", pkgConfig: "opusfile", apt: ["libopusfile-dev"]),

        .target(
            name: "AudioCore",
            dependencies: ["COpus", "COgg", "CSndfile", "CSoxr", "CEbur128"]
        ),
        // Accounts, transfers, pricing and verification of the royalty ledger, on GRDB; no HTTP.
        .target(
            name: "Ledger",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "tutti",
            dependencies: [
                "AudioCore", "Ledger",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Helpers the test targets share: fixtures, a reference Opus reader, third-party tools.
        .target(
            name: "TuttiTestSupport",
            dependencies: ["COpusfile"]
        ),
        .testTarget(
            name: "AudioCoreTests",
            dependencies: ["AudioCore", "TuttiTestSupport"]
        ),
        .testTarget(
            name: "TuttiCommandTests",
            dependencies: ["TuttiTestSupport"]
        ),
        .testTarget(
            name: "LedgerTests",
            dependencies: [
                "Ledger", "TuttiTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
