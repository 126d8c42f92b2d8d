"""The dependency direction of the design card: akechain -> consensus/state/p2p, never back."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_top_packages(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(
    "package, forbidden",
    [
        ("state", {"akechain", "consensus", "p2p", "trio"}),
        ("consensus", {"akechain", "p2p"}),
        ("p2p", {"akechain", "consensus"}),
    ],
)
def test_lower_layers_never_import_upper_ones(package: str, forbidden: set[str]) -> None:
    offenders = {f: names & forbidden for f, names in imported_top_packages(package).items() if names & forbidden}
    assert offenders == {}


def test_only_the_consensus_shells_touch_trio() -> None:
    """The consensus core is pure: I/O and timers live in the async shells alone (the round
    driver and block sync's fetch loop)."""
    users = {f for f, names in imported_top_packages("consensus").items() if "trio" in names}
    assert users <= {"consensus/driver.py", "consensus/sync.py"}
