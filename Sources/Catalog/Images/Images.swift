import FoundationEssentials
import GRDB

/// A rendered cover or avatar: its square sizes, named by content. A release's `coverImage`
/// and an artist profile's `avatarImage` hold its `id`.
public struct StoredImage: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "images"
    /// The SHA-256 of its largest JPEG, lowercase hex: the same picture rendered again gets
    /// the same id (and the same files).
    public var id: String
    /// "cover" or "avatar".
    public var kind: String
    /// The upload's size in pixels (the upload itself is not kept).
    public var sourceWidth: Int
    public var sourceHeight: Int
    public var createdAt: Date

    public init(id: String, kind: String, sourceWidth: Int, sourceHeight: Int, createdAt: Date) {
        self.id = id
        self.kind = kind
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.createdAt = createdAt
    }
}

/// One square size of a `StoredImage`, as JPEG and WebP files named by their SHA-256 in the
/// media store (`images/<sha256>.jpg`, `images/<sha256>.webp`).
public struct StoredImageFile: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "imageFiles"
    public var imageID: String
    /// Edge length in pixels.
    public var size: Int
    /// SHA-256 of the JPEG, lowercase hex: the name of the size's URL.
    public var jpegSHA256: String
    public var jpegBytes: Int
    public var webpSHA256: String
    public var webpBytes: Int

    public init(imageID: String, size: Int, jpegSHA256: String, jpegBytes: Int, webpSHA256: String, webpBytes: Int) {
        self.imageID = imageID
        self.size = size
        self.jpegSHA256 = jpegSHA256
        self.jpegBytes = jpegBytes
        self.webpSHA256 = webpSHA256
        self.webpBytes = webpBytes
    }

    public static func jpegKey(_ sha256: String) -> String { "images/\(sha256).jpg" }
    public static func webpKey(_ sha256: String) -> String { "images/\(sha256).webp" }
}

/// Covers and avatars: which rendered pictures exist and their files.
public struct Images: Sendable {
    private let database: any DatabaseWriter
    private let now: @Sendable () -> Date

    package init(database: any DatabaseWriter, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.now = now
    }

    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("images-1") { db in
            try db.create(table: "images") { t in
                t.primaryKey("id", .text)
                t.column("kind", .text).notNull().check { ["cover", "avatar"].contains($0) }
                t.column("sourceWidth", .integer).notNull()
                t.column("sourceHeight", .integer).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "imageFiles") { t in
                t.column("imageID", .text).notNull().references("images", onDelete: .cascade)
                t.column("size", .integer).notNull().check { $0 > 0 }
                t.column("jpegSHA256", .text).notNull()
                t.column("jpegBytes", .integer).notNull()
                t.column("webpSHA256", .text).notNull()
                t.column("webpBytes", .integer).notNull()
                t.primaryKey(["imageID", "size"])
            }
            // A square of one picture may equal one of another (a cover used as an avatar).
            try db.create(index: "imageFiles_jpeg", on: "imageFiles", columns: ["jpegSHA256"])
        }
    }

    /// Records a rendered picture (files largest first, already in the media store) in one
    /// transaction; the same picture recorded again keeps its first row. Returns its row.
    public func record(kind: String, sourceWidth: Int, sourceHeight: Int, files: [StoredImageFile]) async throws -> (StoredImage, [StoredImageFile]) {
        guard let largest = files.max(by: { $0.size < $1.size }) else { throw CatalogError.invalidField(name: "image", reason: "no sizes") }
        let image = StoredImage(id: largest.jpegSHA256, kind: kind, sourceWidth: sourceWidth, sourceHeight: sourceHeight, createdAt: now())
        let rows = files.map { file in
            var file = file
            file.imageID = image.id
            return file
        }
        return try await database.write { db in
            if let existing = try StoredImage.fetchOne(db, key: image.id) {
                return (existing, try StoredImageFile.filter(Column("imageID") == image.id).order(Column("size").desc).fetchAll(db))
            }
            try image.insert(db)
            for row in rows { try row.insert(db) }
            return (image, rows.sorted { $0.size > $1.size })
        }
    }

    /// A picture and its sizes (largest first), if it exists.
    public func image(id: String) async throws -> (StoredImage, [StoredImageFile])? {
        try await database.read { db in
            guard let image = try StoredImage.fetchOne(db, key: id) else { return nil }
            return (image, try StoredImageFile.filter(Column("imageID") == id).order(Column("size").desc).fetchAll(db))
        }
    }

    /// The sizes of a picture, largest first; none for nil or an unknown id. For the views
    /// that show a release's cover or an artist's avatar, read in their own transaction.
    static func sizes(of imageID: String?, _ db: Database) throws -> [StoredImageFile] {
        guard let imageID else { return [] }
        return try StoredImageFile.filter(Column("imageID") == imageID).order(Column("size").desc).fetchAll(db)
    }

    /// The size whose JPEG has this SHA-256 (the name in an image URL), if any.
    public func file(jpegSHA256: String) async throws -> StoredImageFile? {
        try await database.read { db in
            try StoredImageFile.filter(Column("jpegSHA256") == jpegSHA256).fetchOne(db)
        }
    }

    /// Every image file the rows name (JPEG and WebP of each size), with the size and SHA-256
    /// they record, in key order: what `tutti media migrate` copies and the media sweeper keeps.
    public func storedFiles() async throws -> [StoredFile] {
        let rows = try await database.read { db in try StoredImageFile.fetchAll(db) }
        var files: [String: StoredFile] = [:]
        for row in rows {
            let jpeg = StoredImageFile.jpegKey(row.jpegSHA256)
            let webp = StoredImageFile.webpKey(row.webpSHA256)
            files[jpeg] = StoredFile(key: jpeg, bytes: Int64(row.jpegBytes), sha256: row.jpegSHA256)
            files[webp] = StoredFile(key: webp, bytes: Int64(row.webpBytes), sha256: row.webpSHA256)
        }
        return files.values.sorted { $0.key < $1.key }
    }
}
