import GRDB
import GRDBSQLite

/// One of GRDB's compiled statements, bound and stepped through the SQLite C API.
///
/// A group commit runs five statements per play; through GRDB each call builds an array
/// of existential arguments and a `Row`, which cost about as much as SQLite's own work.
/// Here a value is bound straight from its Swift storage and a column read straight into
/// an `Int64`. The statement stays in GRDB's cache (GRDB compiles and finalizes it).
///
/// Only for the ledger's own tables inside a write transaction it opened: GRDB's
/// per-statement bookkeeping is skipped, which matters only to transaction observers (the
/// ledger's tables have none). ``step()`` refuses to run outside a transaction, so a
/// transaction SQLite rolled back by itself (disk full, I/O error) can never be followed
/// by writes that would commit one by one.
struct RawStatement {
    let handle: SQLiteStatement
    let connection: SQLiteConnection
    /// For error messages.
    let sql: String

    init(_ statement: Statement, in db: Database) throws {
        guard let connection = db.sqliteConnection else { throw LedgerError.database("the database connection is closed") }
        self.handle = statement.sqliteStatement
        self.connection = connection
        self.sql = statement.sql
    }

    /// SQLite copies the bound bytes (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    /// Binds the parameter at `index` (1-based).
    func bind(_ value: Int64, at index: Int32) {
        checkBinding(sqlite3_bind_int64(handle, index, value), at: index)
    }

    func bind(_ value: Int, at index: Int32) {
        bind(Int64(value), at: index)
    }

    func bind(_ value: Bool, at index: Int32) {
        bind(Int64(value ? 1 : 0), at: index)
    }

    func bind(_ value: String, at index: Int32) {
        var value = value
        value.withUTF8 { utf8 in
            // An empty buffer may have no address, which SQLite would take for NULL.
            guard let base = utf8.baseAddress, !utf8.isEmpty else {
                checkBinding(sqlite3_bind_text(handle, index, "", 0, Self.transient), at: index)
                return
            }
            base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                checkBinding(sqlite3_bind_text(handle, index, $0, Int32(utf8.count), Self.transient), at: index)
            }
        }
    }

    func bind(_ value: String?, at index: Int32) {
        if let value { bind(value, at: index) } else { checkBinding(sqlite3_bind_null(handle, index), at: index) }
    }

    func bind(_ value: Int64?, at index: Int32) {
        if let value { bind(value, at: index) } else { checkBinding(sqlite3_bind_null(handle, index), at: index) }
    }

    func bind(blob value: [UInt8], at index: Int32) {
        value.withUnsafeBytes { bytes in
            checkBinding(
                sqlite3_bind_blob(handle, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), Self.transient),
                at: index)
        }
    }

    /// A binding that failed would leave the previous row's value in place: stop, as GRDB
    /// does (the open transaction is then never committed). SQLite fails a binding only for
    /// a wrong index, a value over a gigabyte, or no memory.
    private func checkBinding(_ code: Int32, at index: Int32) {
        guard code == SQLITE_OK else {
            fatalError("binding parameter \(index) of \(sql) failed: \(String(cString: sqlite3_errstr(code)))")
        }
    }

    /// Runs the statement to its first row: true if there is one (read it with the
    /// `column` accessors, then ``reset()``), false when it is done (already reset).
    ///
    /// - Throws: `DatabaseError` with SQLite's code and message; the statement is reset.
    @discardableResult
    func step() throws -> Bool {
        guard sqlite3_get_autocommit(connection) == 0 else {
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "ledger statement outside a transaction", sql: sql)
        }
        switch sqlite3_step(handle) {
        case SQLITE_ROW:
            return true
        case SQLITE_DONE:
            sqlite3_reset(handle)
            return false
        case let code:
            let message = String(cString: sqlite3_errmsg(connection))
            // Leaves the statement reusable; GRDB's next use of it then resets cleanly.
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
        }
    }

    /// Ends a run that returned a row.
    func reset() {
        sqlite3_reset(handle)
    }

    func int64(at column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    /// The column's integer, nil for NULL.
    func optionalInt64(at column: Int32) -> Int64? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
    }

    /// Rows the last INSERT, UPDATE or DELETE changed.
    var changes: Int { Int(sqlite3_changes(connection)) }

    var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(connection) }
}
