import GRDB
@testable import TuttiServer
import TuttiStorage

extension AppServices {
    /// The server's own SQLite database, for tests that look at its tables.
    var database: DatabasePool { storage.sqlite }
}
