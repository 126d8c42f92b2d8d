"""PeerScores: junk accumulates, the score recovers over time, a ban lasts one cool-down."""
from p2p.scores import PENALTY, Offence, PeerScores, ScoreParams


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_penalties_accumulate_and_recover() -> None:
    clock = FakeClock()
    scores = PeerScores(ScoreParams(ban_threshold=-100, recovery_per_second=1.0), clock=clock)
    assert scores.score("p") == 0.0
    scores.penalize("p", Offence.INVALID_MESSAGE)
    scores.penalize("p", Offence.OVERSIZE)
    assert scores.score("p") == -(PENALTY[Offence.INVALID_MESSAGE] + PENALTY[Offence.OVERSIZE])
    clock.now = 5.0
    assert scores.score("p") == -(PENALTY[Offence.INVALID_MESSAGE] + PENALTY[Offence.OVERSIZE]) + 5.0
    clock.now = 1000.0
    assert scores.score("p") == 0.0
    assert scores.score("other") == 0.0


def test_ban_under_threshold_once_for_a_cooldown() -> None:
    clock = FakeClock()
    banned: list[str] = []
    scores = PeerScores(ScoreParams(ban_threshold=-100, cooldown=60), clock=clock, on_ban=banned.append)
    results = [scores.penalize("p", Offence.MALFORMED_FRAME) for _ in range(3)]
    assert results == [False, True, False]  # the third lands during the ban: no second ban
    assert banned == ["p"] and scores.is_banned("p")
    assert scores.ban_remaining("p") == 60
    clock.now = 60.0
    assert not scores.is_banned("p") and scores.score("p") == 0.0
    assert not scores.penalize("p", Offence.MALFORMED_FRAME)
