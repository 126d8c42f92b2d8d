"""The dependency direction of the design card: akechain -> consensus/state/p2p, never back; and
inside akechain, chain (pure) <- node <- cli, with agents and clients beside node."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_names(package: str) -> dict[str, set[str]]:
    """File -> every dotted module name it imports (`a.b.c` also counts as `a` and `a.b`)."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                names.update(".".join(parts[: i + 1]) for i in range(len(parts)))
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(package: str, forbidden: set[str]) -> dict[str, set[str]]:
    return {f: names & forbidden for f, names in imported_names(package).items() if names & forbidden}


@pytest.mark.parametrize(
    "package, forbidden",
    [
        ("state", {"akechain", "consensus", "p2p", "trio"}),
        ("consensus", {"akechain", "p2p"}),
        ("p2p", {"akechain", "consensus"}),
        # The state machine is pure: no I/O, clock, randomness or threads, and nothing above it
        ("akechain/chain", {"trio", "socket", "time", "random", "os", "threading", "pathlib", "subprocess",
                            "asyncio", "akechain.node", "akechain.client", "akechain.agents", "akechain.cli"}),
        ("akechain/node", {"akechain.agents", "akechain.cli"}),
        ("akechain/client", {"akechain.node", "akechain.agents", "akechain.cli"}),
        ("akechain/agents", {"akechain.node", "akechain.cli"}),
        # The testing kit runs the state machine alone: no node, network, clients or agents
        ("akechain/testing", {"akechain.node", "akechain.client", "akechain.agents", "akechain.cli", "p2p", "trio"}),
    ],
)
def test_lower_layers_never_import_upper_ones(package: str, forbidden: set[str]) -> None:
    assert offenders(package, forbidden) == {}


def test_only_module_strategies_import_hypothesis_in_the_state_machine() -> None:
    """A node never loads hypothesis: descriptors name their strategies by module path, and only the
    testing kit imports them; the state machine never imports the kit."""
    users = {f for f, names in imported_names("akechain/chain").items() if "hypothesis" in names}
    assert users and all(f.endswith("/strategies.py") for f in users), users
    assert offenders("akechain/chain", {"akechain.testing"}) == {}
    importers = {f for f, names in imported_names("akechain").items()
                 if any(n.startswith("akechain.chain.modules.") and n.endswith(".strategies") for n in names)}
    assert all(f.startswith("akechain/chain/modules/") for f in importers), importers


def test_only_the_consensus_shells_touch_trio() -> None:
    """The consensus core is pure: I/O and timers live in the async shells alone (the round
    driver and block sync's fetch loop)."""
    users = {f for f, names in imported_names("consensus").items() if "trio" in names}
    assert users <= {"consensus/driver.py", "consensus/sync.py"}


def test_akechain_top_level_holds_only_the_layer_packages() -> None:
    top = {p.name for p in (ROOT / "akechain").iterdir() if p.name != "__pycache__"}
    assert top == {"__init__.py", "chain", "node", "client", "agents", "bridge", "cli", "testing"}


def test_the_state_machine_never_imports_the_bridge_adapter() -> None:
    """The bridge module verifies EVM signatures with pure helpers of its own package; the adapter
    (web3, JSON-RPC, the compiled contract) is an off-chain layer like the agents."""
    users = {f for f, names in imported_names("akechain/chain").items() if any(n.startswith("akechain.bridge") for n in names)}
    assert users == set()


def module_dependencies() -> dict[str, set[str]]:
    """State-machine module -> the other modules its files import."""
    deps: dict[str, set[str]] = {}
    for path, names in imported_names("akechain/chain/modules").items():
        module = Path(path).parts[3]
        if module.endswith(".py"):
            continue
        used = {name.split(".")[3] for name in names if name.startswith("akechain.chain.modules.") and name.count(".") >= 3}
        deps.setdefault(module, set()).update(used - {module})
    return deps


def test_modules_import_each_other_without_cycles_and_verify_never_imports_the_market() -> None:
    deps = module_dependencies()
    assert "market" not in deps["verify"] | deps["escrow"] | deps["reputation"]
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle {' -> '.join(path + (module,))}"
        if module not in done:
            for used in deps.get(module, ()):
                visit(used, path + (module,))
            done.add(module)

    for module in deps:
        visit(module, ())
