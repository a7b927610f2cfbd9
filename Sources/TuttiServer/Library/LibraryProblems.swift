import FoundationEssentials
import Hummingbird
import Ledger

/// Problem types of their own (RFC 9457 §3.1.1), for refusals a client tells apart by type.
enum ProblemType {
    /// A play or purchase refused by the listener's own monthly spending limit.
    static let spendingLimit = "urn:tutti:problem:spending-limit"
    /// A playlist edit made on a version that is no longer the current one.
    static let staleVersion = "urn:tutti:problem:stale-version"
}

extension Problem {
    /// 402 with its own type: the listener's monthly limit refuses the charge (the wallet may
    /// hold enough). Amounts in minor units; `resetsAt` is when the next month begins.
    static func spendingLimitReached(limit: Int64, spent: Int64, needed: Int64, resetsAt: Date) -> Problem {
        var problem = Problem(
            .paymentRequired, title: "Monthly spending limit reached",
            detail: "This needs \(Money.format(needed)) credits, and your monthly limit of \(Money.format(limit)) has \(Money.format(max(0, limit - spent))) left. Raise or remove the limit in your library, or wait for the next month.",
            extensions: ["limit": .int(limit), "spent": .int(spent), "needed": .int(needed),
                         "resetsAt": .string(resetsAt.formatted(.iso8601))])
        problem.type = ProblemType.spendingLimit
        return problem
    }
}
