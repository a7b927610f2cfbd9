import Governance
import Testing

@Suite("Governance: the tally rule")
struct TallyTests {
    /// Turnout (abstentions included) over the roll must reach the quorum; yes must strictly exceed no.
    @Test(arguments: [
        (roll: 10, yes: 1, no: 0, abstain: 0, outcome: Tally.Outcome.quorumNotReached),
        (roll: 10, yes: 2, no: 0, abstain: 0, outcome: .passed),          // exactly 20 %
        (roll: 10, yes: 1, no: 0, abstain: 1, outcome: .passed),          // an abstention makes the quorum
        (roll: 10, yes: 0, no: 0, abstain: 5, outcome: .notMajority),     // quorum, but no yes
        (roll: 10, yes: 3, no: 3, abstain: 0, outcome: .notMajority),     // a tie fails
        (roll: 10, yes: 3, no: 4, abstain: 0, outcome: .notMajority),
        (roll: 3, yes: 1, no: 0, abstain: 0, outcome: .passed),           // 1 of 3 is 33 %
        (roll: 6, yes: 1, no: 0, abstain: 0, outcome: .quorumNotReached), // 1 of 6 is 16.7 %
        (roll: 5, yes: 1, no: 0, abstain: 0, outcome: .passed),           // 1 of 5 is exactly 20 %
        (roll: 1, yes: 0, no: 0, abstain: 0, outcome: .quorumNotReached),
    ])
    func rule(roll: Int, yes: Int, no: Int, abstain: Int, outcome: Tally.Outcome) {
        #expect(Tally.decide(rollSize: roll, yes: yes, no: no, abstain: abstain, quorumBasisPoints: 2_000) == outcome)
    }

    @Test("no vote at all never passes, even with a zero quorum")
    func zeroQuorum() {
        #expect(Tally.decide(rollSize: 4, yes: 0, no: 0, abstain: 0, quorumBasisPoints: 0) == .quorumNotReached)
        #expect(Tally.decide(rollSize: 4, yes: 1, no: 0, abstain: 0, quorumBasisPoints: 0) == .passed)
    }

    @Test("a 100 % quorum needs every member on the roll")
    func fullQuorum() {
        #expect(Tally.decide(rollSize: 4, yes: 3, no: 0, abstain: 0, quorumBasisPoints: 10_000) == .quorumNotReached)
        #expect(Tally.decide(rollSize: 4, yes: 3, no: 0, abstain: 1, quorumBasisPoints: 10_000) == .passed)
    }
}
