import FoundationEssentials
import Governance
import Logging
import ServiceLifecycle

/// Closes governance proposals at their closing times, beside the HTTP server.
///
/// At start it closes those whose time passed while the server was down; then it sleeps
/// until the next closing time (through `configuration.waitUntil`, so tests drive it with
/// their clock), woken early when a proposal opens. Plays do not depend on its promptness:
/// the play meter closes due proposals itself before pricing a play.
struct ProposalCloser: Service {
    let services: AppServices
    let logger: Logger

    /// How long to wait before trying again after a failed close.
    static let retryDelay: Duration = .seconds(5)
    /// How long to sleep when no proposal is open (a proposal opening wakes it anyway).
    static let idleWait: Duration = .seconds(3_600)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await services.closeDueProposals(logger: logger)
                } catch {
                    logger.error("closing proposals failed; will retry", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: Self.retryDelay)
                    continue
                }
                await sleepUntilNextClose()
            }
        }
    }

    /// Returns at the next closing time, when a proposal opens, or after `idleWait`.
    private func sleepUntilNextClose() async {
        let (next, waitUntil, signal) = (services.governance.nextClosingTime, services.configuration.waitUntil, services.governanceSignal)
        await withTaskGroup(of: Void.self) { group in
            if let next {
                group.addTask { try? await waitUntil(next) }
            }
            group.addTask { await signal.wait(timeout: Self.idleWait) }
            await group.next()
            group.cancelAll()
        }
    }
}
