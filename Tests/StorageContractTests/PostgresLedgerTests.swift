import Foundation
import Ledger
import PostgresStorage
import Testing
import TuttiTestSupport

/// What PostgreSQL itself enforces for the ledger, whatever a node does, and what survives
/// a crash of the database server. (SQLite's triggers have their own tests in LedgerTests.)
@Suite("The ledger on PostgreSQL", .postgres(settings: ["synchronous_commit": "on"]), .serialized)
struct PostgresLedgerTests {
    static func server() throws -> PostgresServer {
        try #require(PostgresServer.current)
    }

    static func withStore<T>(_ server: PostgresServer, database name: String? = nil, _ body: (PostgresLedgerStore, String) async throws -> T) async throws -> T {
        let name = if let name { name } else { try await server.createDatabase("ledger") }
        let database = PostgresDatabase(unixSocketPath: server.socketPath, user: server.user, database: name)
        do {
            let store = PostgresLedgerStore(client: database.client)
            try await store.migrate()
            let value = try await body(store, name)
            await database.close()
            return value
        } catch {
            await database.close()
            throw error
        }
    }

    @Test("the database refuses to edit history: UPDATE, DELETE and TRUNCATE of transfers, plays and pricing versions, a fork or gap in the chain, a play number charged twice, an account below zero or shrinking")
    func databaseRefusals() async throws {
        let server = try Self.server()
        try await Self.withStore(server) { store, name in
            try await store.submit([LedgerStoreContractTests.topUp("t1", "lena", 1_000)])
            try await store.submit([LedgerStoreContractTests.topUp("t2", "lena", 1_500)])
            guard case .charged = try await store.chargePlay(LedgerStoreContractTests.play("p1", "lena")) else {
                Issue.record("the play was not charged")
                return
            }
            let refusals = [
                ("UPDATE ledger_transfers SET amount = 1 WHERE sequence = 1", "append-only"),
                ("DELETE FROM ledger_transfers WHERE sequence = 2", "append-only"),
                ("TRUNCATE ledger_transfers CASCADE", "append-only"),
                // A second transfer after #1 (a fork), and one after a missing transfer past the head (a gap).
                ("""
                 INSERT INTO ledger_transfers (sequence, id, debit_account_id, credit_account_id, amount, code, created_at_ms, previous_hash, hash)
                 SELECT 2, 'fork', 2, 1, 5, 'adjustment', 0, hash, hash FROM ledger_transfers WHERE sequence = 1
                 """, "duplicate key"),
                ("""
                 INSERT INTO ledger_transfers (sequence, id, debit_account_id, credit_account_id, amount, code, created_at_ms, previous_hash, hash)
                 SELECT sequence + 2, 'gap', 2, 1, 5, 'adjustment', 0, hash, hash FROM ledger_transfers
                 WHERE sequence = (SELECT max(sequence) FROM ledger_transfers)
                 """, "does not follow the head"),
                ("UPDATE ledger_accounts SET debits_posted = debits_posted + 2000 WHERE kind = 'listener_wallet'", "check"),
                ("UPDATE ledger_accounts SET credits_posted = 0 WHERE kind = 'listener_wallet'", "only grow"),
                ("DELETE FROM ledger_accounts WHERE kind = 'listener_wallet'", "never deleted"),
                // Plays and pricing versions are append-only too, and a play number is charged once.
                ("UPDATE ledger_plays SET price = 0, artist_part = 0, cooperative_part = 0", "append-only"),
                ("DELETE FROM ledger_plays", "append-only"),
                ("TRUNCATE ledger_plays", "append-only"),
                ("UPDATE ledger_pricing_versions SET base_price = 1", "append-only"),
                ("DELETE FROM ledger_pricing_versions", "append-only"),
                ("""
                 INSERT INTO ledger_plays (sequence, play_id, listener_id, artist_id, track_id, play_number, price, artist_part,
                     cooperative_part, pricing_version, completes_ownership, wallet_balance_after, played_at_ms, recorded_at_ms)
                 SELECT sequence + 1, 'again', listener_id, artist_id, track_id, play_number, price, artist_part, cooperative_part,
                     pricing_version, completes_ownership, wallet_balance_after, played_at_ms, recorded_at_ms FROM ledger_plays
                 """, "duplicate key"),
            ]
            for (sql, expected) in refusals {
                let output = try await server.psql(name, sql)
                #expect(output.status != 0, "PostgreSQL accepted: \(sql)")
                #expect(output.stderr.lowercased().contains(expected), "\(sql): \(output.stderr)")
            }
            let report = try await store.verify(anchors: [])
            #expect(report.isIntact && report.transfers == 4, "\(report)")
            #expect(try await store.balance(of: .listenerWallet("lena")).balance == 2_500 - 2_000)
        }
    }

    @Test("verify finds a transfer altered behind the triggers' back (by a superuser who disabled them)")
    func verifyFindsAlteredRows() async throws {
        let server = try Self.server()
        try await Self.withStore(server) { store, name in
            for index in 1...3 { try await store.submit([LedgerStoreContractTests.topUp("t\(index)", "lena", 100)]) }
            let altered = try await server.psql(name, """
                ALTER TABLE ledger_transfers DISABLE TRIGGER USER;
                UPDATE ledger_transfers SET amount = 90 WHERE sequence = 2;
                ALTER TABLE ledger_transfers ENABLE TRIGGER USER;
                """)
            #expect(altered.status == 0, "\(altered.stderr)")
            let report = try await store.verify(anchors: [])
            #expect(report.failures.contains { $0.check == .hashChain && $0.sequence == 2 }, "\(report)")
            #expect(report.failures.contains { $0.check == .accountTotals }, "\(report)")
        }
    }

    @Test("two nodes (two pooled clients) booking on one database at once: one chain, each booking once")
    func twoNodes() async throws {
        let server = try Self.server()
        let name = try await server.createDatabase("nodes")
        let nodes = (0..<2).map { _ in PostgresDatabase(unixSocketPath: server.socketPath, user: server.user, database: name) }
        do {
            let stores = nodes.map { PostgresLedgerStore(client: $0.client) }
            // Both migrate at once, as two nodes starting together do.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for store in stores { group.addTask { try await store.migrate() } }
                try await group.waitForAll()
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (node, store) in stores.enumerated() {
                    for writer in 0..<4 {
                        group.addTask {
                            for index in 0..<25 {
                                // Both nodes book every id: a request retried on the other node.
                                let request = LedgerStoreContractTests.topUp("w\(writer)-\(index)", "listener-\(writer)", Int64(index + 1))
                                let booked = try await store.submit([request])
                                #expect(booked.count == 1 && booked[0].amount == request.amount, "node \(node)")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let report = try await stores[0].verify(anchors: [])
            #expect(report.isIntact, "\(report)")
            #expect(report.transfers == 100 && report.totalAmount == 4 * (1...25).reduce(0, +))
            #expect(try await stores[1].verify(anchors: []).headHash == report.headHash)
        } catch {
            for node in nodes { await node.close() }
            throw error
        }
        for node in nodes { await node.close() }
    }

    @Test("every acknowledged booking survives a crash of PostgreSQL (immediate stop, recovery from its log)")
    func survivesCrash() async throws {
        let server = try Self.server()
        let name = try await Self.withStore(server) { store, name in
            for index in 1...50 { try await store.submit([LedgerStoreContractTests.topUp("t\(index)", "lena", Int64(index))]) }
            return name
        }
        try await server.crash()
        try await server.restart()
        try await Self.withStore(server, database: name) { store, _ in
            let report = try await store.verify(anchors: [])
            #expect(report.isIntact && report.transfers == 50, "\(report)")
            #expect(try await store.balance(of: .listenerWallet("lena")).balance == (1...50).reduce(0, +))
            // The chain goes on where it was.
            #expect(try await store.submit([LedgerStoreContractTests.topUp("t51", "lena", 51)]).first?.sequence == 51)
        }
    }
}

@Suite("postgres:// URLs")
struct PostgresLocationTests {
    @Test("TCP, a Unix socket folder, a password, and what is refused")
    func urls() throws {
        let tcp = try PostgresLocation(url: "postgres://tutti:s%40cret@db.example:6543/coop")
        #expect(try tcp == PostgresLocation.expected(user: "tutti", password: "s@cret", host: "db.example", port: 6543, database: "coop", socket: nil))
        let socket = try PostgresLocation(url: "postgres://tutti@/coop?host=/run/postgresql")
        #expect(socket.socketPath == "/run/postgresql/.s.PGSQL.5432" && socket.host == nil && socket.database == "coop")
        #expect(try PostgresLocation(url: "postgresql://tutti@localhost/coop").port == 5432)
        for bad in ["mysql://tutti@localhost/coop", "postgres://localhost/coop", "postgres://tutti@localhost/", "not a url"] {
            #expect(throws: PostgresStorageError.self, "\(bad)") { try PostgresLocation(url: bad) }
        }
    }
}

extension PostgresLocation {
    static func expected(user: String, password: String?, host: String?, port: Int, database: String, socket: String?) throws -> PostgresLocation {
        var location = try PostgresLocation(url: "postgres://x@localhost/x")
        location.user = user
        location.password = password
        location.host = host
        location.port = port
        location.database = database
        location.socketPath = socket
        return location
    }
}

extension PostgresLedgerTests {
    @Test("tutti ledger bench --database postgres://: every play charged, the ledger verified; SQLite's options refused with a message")
    func benchCommand() async throws {
        let server = try Self.server()
        let name = try await server.createDatabase("bench")
        let url = "postgres://\(server.user)@/\(name)?host=\(server.socketFolder)"
        let run = try await ThirdPartyTools.run(Fixtures.tuttiExecutable, [
            "ledger", "bench", "--database", url, "--plays", "600", "--listeners", "20", "--mode", "group", "--concurrency", "16", "--verify",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(result["backend"] as? String == "postgres")
        #expect(result["charged"] as? Int == 600 && result["verified"] as? Bool == true)
        #expect((result["settings"] as? [String: String])?["synchronous_commit"] == "on")
        let count = try await server.psql(name, "SELECT count(*) FROM ledger_plays")
        #expect(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "600")

        let refused = try await ThirdPartyTools.run(Fixtures.tuttiExecutable, [
            "ledger", "bench", "--database", url, "--plays", "10", "--listeners", "2", "--mode", "group", "--sessions",
        ])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--sessions"), "\(refused.stderr)")
        let unreachable = try await ThirdPartyTools.run(Fixtures.tuttiExecutable, [
            "ledger", "bench", "--database", "postgres://\(server.user)@/no_such_database?host=\(server.socketFolder)",
            "--plays", "10", "--listeners", "2", "--mode", "group",
        ])
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("no_such_database"), "\(unreachable.stderr)")
    }
}

extension PostgresLedgerTests {
    @Test("a singleton role is held by one node at a time and moves when its node dies (its session ends)")
    func singletonMoves() async throws {
        let server = try Self.server()
        let name = try await server.createDatabase("roles")
        let nodes = (0..<2).map { _ in PostgresDatabase(unixSocketPath: server.socketPath, user: server.user, database: name) }
        do {
            try await Self.rolesMove(server, name, nodes)
        } catch {
            for node in nodes { await node.close() }
            throw error
        }
        for node in nodes { await node.close() }
    }

    static func rolesMove(_ server: PostgresServer, _ name: String, _ nodes: [PostgresDatabase]) async throws {
        let first = PostgresSingleton("proposal-closer", database: nodes[0])
        let second = PostgresSingleton("proposal-closer", database: nodes[1])
        let other = PostgresSingleton("media-sweeper", database: nodes[1])
        #expect(try await first.tryAcquire())
        #expect(try await first.tryAcquire(), "holding it, asking again keeps it")
        #expect(try await second.tryAcquire() == false)
        #expect(try await other.tryAcquire(), "another role is another lock")

        // The first node dies: PostgreSQL ends its session (as it does when a process is killed).
        let ended = try await server.psql(name, """
            SELECT count(*) FROM (SELECT pg_terminate_backend(l.pid) FROM pg_locks l
            WHERE l.locktype = 'advisory' AND l.granted AND (l.classid::bigint << 32 | l.objid::bigint) = \(first.key)) t
            """)
        #expect(ended.status == 0 && ended.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "\(ended.stderr)")
        try await waitUntil("the second node takes the role once the first one's session is gone") {
            try await second.tryAcquire()
        }
        try await waitUntil("the first node sees it lost the role") { await first.isHeld == false }
        #expect(try await first.tryAcquire() == false)
        await second.release()
        #expect(try await first.tryAcquire(), "released, the role is free again")
        await first.release()
        await other.release()
    }
}
