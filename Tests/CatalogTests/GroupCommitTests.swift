@testable import Catalog
import Foundation
import GRDB
import Testing
import TuttiTestSupport

@Suite("Group commit of small writes", .ownThreads)
struct GroupCommitTests {
    /// Counts committed transactions.
    final class Commits: TransactionObserver, @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        var value: Int { lock.withLock { count } }
        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
        func databaseDidChange(with event: DatabaseEvent) {}
        func databaseDidCommit(_ db: Database) { lock.withLock { count += 1 } }
        func databaseDidRollback(_ db: Database) {}
    }

    private func pool(_ label: String = #function) throws -> (DatabasePool, String) {
        let path = Fixtures.scratch(label).appendingPathComponent("g.sqlite").path
        let pool = try TuttiDatabase.open(path: path)
        try pool.write { try $0.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE)") }
        return (pool, path)
    }

    @Test("writes that arrive during a commit share the next one; each returns its own result once durable; one that throws fails alone")
    func batches() async throws {
        let (pool, path) = try pool()
        let commits = Commits()
        pool.add(transactionObserver: commits, extent: .databaseLifetime)
        let group = GroupCommit(database: pool)

        // Hold the writer so that every write below is in line before the first commit ends.
        let release = DispatchSemaphore(value: 0)
        pool.asyncWriteWithoutTransaction { _ in release.wait() }
        let writers = 200
        let outcomes = try await withThrowingTaskGroup(of: (Int, Result<Int64, any Error>).self) { tasks in
            for n in 0..<writers {
                tasks.addTask {
                    do {
                        // Writer 7 breaks the UNIQUE constraint against writer 3.
                        let value = n == 7 ? "v3" : "v\(n)"
                        let id = try await group.write { db -> Int64 in
                            try db.execute(sql: "INSERT INTO t (value) VALUES (?)", arguments: [value])
                            return db.lastInsertedRowID
                        }
                        return (n, .success(id))
                    } catch {
                        return (n, .failure(error))
                    }
                }
            }
            // Release once all but the first (already handed to the writer) wait in line.
            do {
                try await waitUntil("\(writers - 1) writes to wait in line behind the held writer", every: .milliseconds(1)) {
                    group.waitingCount >= writers - 1
                }
            } catch {
                release.signal()  // a failure must not leave the writer held (and the test hanging)
                throw error
            }
            release.signal()
            var outcomes: [Int: Result<Int64, any Error>] = [:]
            for try await (n, outcome) in tasks { outcomes[n] = outcome }
            return outcomes
        }
        let failed = outcomes.filter { if case .failure = $0.value { true } else { false } }.map(\.key)
        #expect(failed.count == 1 && (failed == [7] || failed == [3]))
        let ids = outcomes.compactMap { try? $0.value.get() }
        #expect(Set(ids).count == writers - 1)
        // The held job, the first write alone, then all the others together.
        #expect(commits.value == 2)

        // Durable: a fresh connection to the file sees every row that succeeded.
        try pool.close()
        let reopened = try DatabaseQueue(path: path)
        #expect(try await reopened.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM t") } == writers - 1)
    }

    @Test("a write that fails the whole transaction fails every write of it")
    func transactionFailure() async throws {
        let (pool, _) = try pool()
        let group = GroupCommit(database: pool)
        // A deferred foreign key violation is only found at COMMIT: the whole batch fails.
        try await pool.write { try $0.execute(sql: "CREATE TABLE c (p INTEGER REFERENCES t(id) DEFERRABLE INITIALLY DEFERRED)") }
        await #expect(throws: DatabaseError.self) {
            try await group.write { db in try db.execute(sql: "INSERT INTO c (p) VALUES (42)") }
        }
        #expect(try await pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM c") } == 0)
        // The line is usable afterwards.
        try await group.write { db in try db.execute(sql: "INSERT INTO t (value) VALUES ('after')") }
        #expect(try await pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM t") } == 1)
    }
}
