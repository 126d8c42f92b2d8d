"""`akechain tx market …`, `akechain query market …`, `akechain market run-job`,
`akechain provider run` and `akechain verifier run`: the compute market from the command line."""
from __future__ import annotations

import functools
import shlex
from pathlib import Path
from typing import Any, Callable

import click

from akechain.cli.common import (
    AMOUNT,
    MAX_FEE_OPTION,
    SIGNING_NAMES,
    UINT63,
    echo_json,
    fail,
    home_option,
    node_option,
    open_wallet,
    passphrase_option,
    query_node,
    sign_and_broadcast,
    signing_options,
)

BPS_RANGE = click.IntRange(0, 10_000)


class ResourcesType(click.ParamType):
    name = "resources"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        from akechain.client.market import MarketInputError, parse_resources

        if not isinstance(value, str):
            return value
        try:
            return parse_resources(value)
        except (MarketInputError, ValueError) as exc:
            self.fail(str(exc), param, ctx)


class Hex32Type(click.ParamType):
    """32 bytes as 64 hex digits: an output hash, a consensus public key."""

    def __init__(self, name: str, what: str) -> None:
        self.name, self.what = name, what

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            self.fail(f"{value!r} is not hex", param, ctx)
        if len(raw) != 32:
            self.fail(f"{self.what} is 32 bytes (64 hex digits), got {len(raw)}", param, ctx)
        return raw


class AddressType(click.ParamType):
    name = "address"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        from akechain.chain.crypto import CryptoError, parse_address

        try:
            return parse_address(value)
        except CryptoError as exc:
            self.fail(str(exc), param, ctx)


RESOURCES, HASH, ADDRESS = ResourcesType(), Hex32Type("hash", "a hash"), AddressType()
RESOURCES_HELP = "field=value list: cpu_cores, gpu_model, gpu_count, memory_mb, storage_gb, bandwidth_mbps (missing = 0)."


def msg_command(build: Callable[..., Any]) -> Callable[..., None]:
    """Turn BUILD (its options → one Msg) into a command with --key and the signing options that
    signs, then broadcasts or prints, that Msg the same way `tx bank send` does."""

    @functools.wraps(build)
    def command(key: str, **kwargs: Any) -> None:
        from akechain.client.market import MarketInputError

        signing = {name: kwargs.pop(name) for name in SIGNING_NAMES}
        try:
            msg = build(**kwargs)
        except MarketInputError as exc:
            fail(str(exc))
        sign_and_broadcast(key, [msg], **signing)

    command = signing_options(command)
    return click.option("--key", required=True, help="Name of the signing key in HOME's keyring.")(command)


def profile_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The provider profile flags of register-provider, update-provider and provider run."""
    for option in reversed((
        click.option("--hardware", type=RESOURCES, default="", help=f"Hardware offered: {RESOURCES_HELP}"),
        click.option("--region", default="", help="Region name (jobs may require one)."),
        click.option("--attribute", "attributes", multiple=True, help="key=value the provider has (repeatable)."),
        click.option("--endpoint", default="", help="Where consumers reach the provider."),
    )):
        command = option(command)
    return command


def job_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The job flags shared by `tx market create-job` and `market run-job`."""
    for option in reversed((
        click.option("--resources", type=RESOURCES, default="", help=f"Required per lease: {RESOURCES_HELP}"),
        click.option("--duration", "duration_blocks", type=AMOUNT, default=10, show_default=True,
                     help="Blocks of service per lease."),
        click.option("--budget", type=AMOUNT, required=True, help="uake moved into escrow."),
        click.option("--max-price", type=AMOUNT, required=True, help="uake per block per lease, at most."),
        click.option("--bid-window", "bid_window_blocks", type=AMOUNT, default=5, show_default=True),
        click.option("--deadline", "deadline_blocks", type=UINT63,
                     help="Blocks until receipts are due (default: bid window + duration + 30)."),
        click.option("--region", default="", help="Required provider region (default: any)."),
        click.option("--attribute", "attributes", multiple=True, help="key=value providers must have (repeatable)."),
        click.option("--image", default="", help="Docker image to run the command in (providers need docker or podman)."),
        click.option("--network", is_flag=True,
                     help="The command needs network access: only providers started with --allow-network run it."),
        click.option("--redundancy", help="K/N: N providers run it, K matching outputs win, dissenters are slashed."),
        click.option("--spot-check", "spot_check_bps", type=BPS_RANGE, help="Spot-check rate in bps."),
    )):
        command = option(command)
    return command


def build_job_spec(cmd: str | None, image: str, network: bool, resources: Any, duration_blocks: int, budget: int, max_price: int,
                   bid_window_blocks: int, deadline_blocks: int | None, region: str, attributes: tuple[str, ...],
                   redundancy: str | None, spot_check_bps: int | None) -> Any:
    from akechain.agents.consumer import JobSpec
    from akechain.client.market import build_policy, encode_workload

    return JobSpec(
        workload=encode_workload(shlex.split(cmd), image, network) if cmd else b"",
        resources=resources,
        duration_blocks=duration_blocks,
        budget=budget,
        max_price=max_price,
        bid_window_blocks=bid_window_blocks,
        deadline_blocks=bid_window_blocks + duration_blocks + 30 if deadline_blocks is None else deadline_blocks,
        policy=build_policy(redundancy, spot_check_bps),
        region=region,
        attributes=tuple(attributes),
    )


# ---------------------------------------------------------------- tx market


@click.group("market")
def market_tx() -> None:
    """Market and verification transactions (each signed with --key)."""


@market_tx.command("register-provider")
@profile_options
@click.option("--collateral", type=UINT63, default=0, show_default=True, help="uake staked now.")
@msg_command
def register_provider(hardware: Any, region: str, attributes: tuple[str, ...], endpoint: str, collateral: int) -> Any:
    """Register the key as a provider with a hardware profile and collateral."""
    from akechain.agents.provider.profile import Profile

    return Profile(hardware, region, sorted_tuple(attributes), endpoint, collateral).register_msg()


@market_tx.command("update-provider")
@profile_options
@msg_command
def update_provider(hardware: Any, region: str, attributes: tuple[str, ...], endpoint: str) -> Any:
    """Replace the provider's hardware, region, attributes and endpoint."""
    from akechain.agents.provider.profile import Profile

    return Profile(hardware, region, sorted_tuple(attributes), endpoint, 0).update_msg()


@market_tx.command("deregister-provider")
@msg_command
def deregister_provider() -> Any:
    """Deregister (no open lease allowed); the collateral is returned."""
    from akechain.chain.modules.market.msgs import MsgDeregisterProvider

    return MsgDeregisterProvider()


@market_tx.command("create-job")
@job_options
@click.option("--cmd", help="Command the providers run (no shell; split like a shell would), stored as the job's workload.")
@click.option("--allow", multiple=True, type=ADDRESS, help="Only these providers may bid (repeatable).")
@click.option("--deny", multiple=True, type=ADDRESS, help="These providers may not bid (repeatable).")
@msg_command
def create_job(allow: tuple[bytes, ...], deny: tuple[bytes, ...], **job: Any) -> Any:
    """Post a job; its budget moves into escrow."""
    from dataclasses import replace

    msg = build_job_spec(**job).create_msg()
    return replace(msg, allow=sorted_tuple(allow), deny=sorted_tuple(deny))


@market_tx.command("bid")
@click.argument("job_id", type=UINT63)
@click.option("--price", type=AMOUNT, required=True, help="uake per block.")
@click.option("--latency-ms", type=UINT63, default=50, show_default=True)
@click.option("--resources", type=RESOURCES, default="",
              help=f"Offered (must cover the job's requirement): {RESOURCES_HELP}")
@msg_command
def bid(job_id: int, price: int, latency_ms: int, resources: Any) -> Any:
    """Bid on JOB_ID as the provider."""
    from akechain.chain.modules.market.msgs import MsgBid

    return MsgBid(job_id, price, latency_ms, resources)


@market_tx.command("submit-receipt")
@click.argument("lease_id", type=UINT63)
@click.option("--commitment", type=HASH, required=True,
              help="sha256(output hash || salt || provider address bytes || lease id as 8 bytes), hex.")
@click.option("--usage", type=RESOURCES, default="", help=f"Measured: {RESOURCES_HELP}")
@click.option("--uptime-bps", type=BPS_RANGE, default=10_000, show_default=True)
@click.option("--latency-ms", type=UINT63, default=50, show_default=True)
@msg_command
def submit_receipt(lease_id: int, commitment: bytes, usage: Any, uptime_bps: int, latency_ms: int) -> Any:
    """Commit to the receipt of LEASE_ID (stops accrual); reveal it with reveal-receipt."""
    from akechain.chain.modules.market.msgs import MsgSubmitReceipt

    return MsgSubmitReceipt(lease_id, commitment, usage, uptime_bps, latency_ms)


@market_tx.command("reveal-receipt")
@click.argument("lease_id", type=UINT63)
@click.option("--output-hash", type=HASH, required=True, help="sha256 of the output, hex.")
@click.option("--salt", type=HASH, required=True, help="The 32-byte salt of the commitment, hex.")
@msg_command
def reveal_receipt(lease_id: int, output_hash: bytes, salt: bytes) -> Any:
    """Open LEASE_ID's committed receipt (a mismatch is slashed)."""
    from akechain.chain.modules.market.msgs import MsgRevealReceipt

    return MsgRevealReceipt(lease_id, output_hash, salt)


@market_tx.command("challenge")
@click.argument("lease_id", type=UINT63)
@click.option("--claimed-hash", type=HASH, required=True, help="The output hash you got by re-executing.")
@msg_command
def challenge(lease_id: int, claimed_hash: bytes) -> Any:
    """Challenge LEASE_ID's receipt, posting the challenge bond."""
    from akechain.chain.modules.verify.msgs import MsgChallenge

    return MsgChallenge(lease_id, claimed_hash)


@market_tx.command("verdict")
@click.argument("challenge_id", type=UINT63)
@click.option("--output-hash", type=HASH, required=True, help="Your own re-execution's output hash.")
@msg_command
def verdict(challenge_id: int, output_hash: bytes) -> Any:
    """As the drawn referee, judge CHALLENGE_ID."""
    from akechain.chain.modules.verify.msgs import MsgVerdict

    return MsgVerdict(challenge_id, output_hash)


# command, its integer arguments (name, type), the Msg class built from them in order, help
NUMBER_MSGS = (
    ("deposit-collateral", (("amount", AMOUNT),), "MsgDepositCollateral", "Add AMOUNT uake to the provider's collateral."),
    ("withdraw-collateral", (("amount", AMOUNT),), "MsgWithdrawCollateral", "Take AMOUNT uake of free collateral back."),
    ("top-up", (("job_id", UINT63), ("amount", AMOUNT)), "MsgTopUp", "Add AMOUNT uake to JOB_ID's escrow."),
    ("cancel-job", (("job_id", UINT63),), "MsgCancelJob", "Cancel your job: pay for blocks served, refund the rest."),
    ("withdraw-bid", (("job_id", UINT63),), "MsgWithdrawBid", "Withdraw your bid while the window is open."),
    ("withdraw-earnings", (("lease_id", UINT63),), "MsgWithdrawEarnings",
     "Take what LEASE_ID has earned so far, minus the protocol take."),
)


def register_number_msg(name: str, arguments: tuple[tuple[str, Any], ...], msg_class: str, help_text: str) -> None:
    def build(**values: int) -> Any:
        from akechain.chain.modules.market import msgs

        return getattr(msgs, msg_class)(*(values[argument] for argument, _ in arguments))

    build.__doc__ = help_text
    command = msg_command(build)
    for argument, kind in reversed(arguments):
        command = click.argument(argument, type=kind)(command)
    market_tx.command(name)(command)


for spec in NUMBER_MSGS:
    register_number_msg(*spec)


def sorted_tuple(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(sorted(set(values)))


# ---------------------------------------------------------------- query market


@click.group("market")
def market_query() -> None:
    """Providers, jobs, leases, escrows, reputations and params of the market."""


@market_query.command("jobs")
@click.option("--all", "include_closed", is_flag=True, help="Include completed, cancelled and unmatched jobs.")
@node_option
def query_jobs(include_closed: bool, node_url: str) -> None:
    """Open jobs (bidding or running)."""
    query_node(lambda client: client.jobs(include_closed), node_url)


@market_query.command("leases")
@click.option("--job", "job_id", type=UINT63, help="Only this job's leases.")
@click.option("--provider", help="Only this provider's leases.")
@node_option
def query_leases(job_id: int | None, provider: str | None, node_url: str) -> None:
    """Leases (all, a job's or a provider's)."""
    query_node(lambda client: client.leases(job_id=job_id, provider=provider), node_url)


# command, its argument (name, type) or None, the NodeClient method answering it, help
LOOKUPS = (
    ("providers", None, "providers", "Every registered provider with free collateral and reputation."),
    ("provider", ("address", str), "provider", "One provider."),
    ("job", ("job_id", UINT63), "job", "One job."),
    ("escrow", ("job_id", UINT63), "escrow", "A job's escrow now: deposited, earned, paid, left, refunded, streams."),
    ("reputation", ("address", str), "reputation", "A provider's score, counters and recent history."),
    ("params", None, "market_params", "The market params."),
)


def register_lookup(group: click.Group, name: str, argument: tuple[str, Any] | None, method: str, help_text: str) -> None:
    """Add to GROUP a query command NAME [ARGUMENT] that prints NodeClient.METHOD's answer."""
    def lookup(node_url: str, **value: Any) -> None:
        query_node(lambda client: getattr(client, method)(*value.values()), node_url)

    lookup.__doc__ = help_text
    command = node_option(lookup)
    if argument is not None:
        command = click.argument(argument[0], type=argument[1])(command)
    group.command(name)(command)


for spec in LOOKUPS:
    register_lookup(market_query, *spec)


# ---------------------------------------------------------------- market run-job and fetch-output

def out_option(required: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
                        required=required, help="Write the job's output (its stdout, checked against the receipt) to FILE.")


@click.group("market")
def market() -> None:
    """Use the compute market as a consumer."""


@market.command("run-job")
@home_option
@click.option("--key", required=True, help="Name of the consumer's key in HOME's keyring.")
@node_option
@passphrase_option
@click.option("--cmd", required=True, help="Command the providers run (no shell; split like a shell would).")
@job_options
@click.option("--fee", type=UINT63, help="Fee per tx in uake (default: the chain's minimum fee).")
@MAX_FEE_OPTION
@click.option("--timeout", type=click.FloatRange(1, 86_400), default=300, show_default=True,
              help="Seconds to wait for the job to settle.")
@click.option("--verify-locally", is_flag=True, help="Also run the command here and compare output hashes.")
@out_option(required=False)
def run_job(home: Path, key: str, node_url: str, passphrase_file: Path | None, fee: int | None,
            max_fee: int | None, timeout: float, verify_locally: bool, out_file: Path | None, **job: Any) -> None:
    """Post a job, wait until it settles, and print the winners, the output hash and the settlement
    (with --out, also fetch the output from a provider and write it to FILE)."""
    from akechain.client.http import NodeClientError
    from akechain.agents.consumer import JobWaitError, post_job, summarise, wait_for_job
    from akechain.client.keystore import KeystoreError
    from akechain.client.market import MarketInputError, decode_workload
    from akechain.client.outputs import OutputError
    from akechain.agents.sandbox import SandboxError, SandboxPolicy, run_sandboxed
    from akechain.client.wallet import TxFailedError

    try:
        spec = build_job_spec(**job)
        wallet = open_wallet(home, key, node_url, passphrase_file, fee=fee, max_fee=max_fee)
        with wallet.client:
            job_id = post_job(wallet, spec)
            click.echo(f"posted job {job_id}; waiting for bids, leases and receipts", err=True)
            report = summarise(wallet.client, wait_for_job(wallet.client, job_id, timeout))
            if out_file is not None:
                try:
                    report.update(deliver_output(wallet, job_id, out_file))
                except OutputError as exc:  # the job settled all the same: report it, then fail
                    report["output_error"] = str(exc)
        if verify_locally:
            workload = decode_workload(spec.workload)
            memory_mb = spec.resources.memory_mb or 512
            # The consumer's own command: the strongest sandbox there is here, else the host.
            own = SandboxPolicy(allow_network=True, unsafe_no_sandbox=True)
            local = run_sandboxed(workload.argv, timeout, memory_mb, workload.image, network=workload.network,
                                  policy=own).output_hash.hex()
            report.update(local_output_hash=local, verified_locally=local == report["output_hash"])
    except (MarketInputError, KeystoreError, NodeClientError, TxFailedError, JobWaitError, SandboxError) as exc:
        fail(str(exc))
    echo_json(report)
    if verify_locally and not report["verified_locally"]:
        fail(f"output hash {report['output_hash']} differs from the local run's {report['local_output_hash']}")
    if "output_error" in report:
        fail(f"no output written to {out_file}: {report['output_error']}")


@market.command("fetch-output")
@click.argument("job_id", type=UINT63)
@home_option
@click.option("--key", required=True, help="Name of the job's consumer key in HOME's keyring.")
@node_option
@passphrase_option
@out_option(required=True)
def fetch_output_command(job_id: int, home: Path, key: str, node_url: str, passphrase_file: Path | None,
                         out_file: Path) -> None:
    """Fetch JOB_ID's output from a provider that receipted it, decrypt it with the consumer's key,
    check it against the receipt's output hash and write it to FILE (nothing is written on a mismatch)."""
    from akechain.client.http import NodeClientError
    from akechain.client.keystore import KeystoreError
    from akechain.client.outputs import OutputError
    from akechain.client.wallet import TxFailedError

    try:
        wallet = open_wallet(home, key, node_url, passphrase_file)
        with wallet.client:
            report = {"job_id": job_id, **deliver_output(wallet, job_id, out_file)}
    except (KeystoreError, NodeClientError, TxFailedError, OutputError) as exc:
        fail(str(exc))
    echo_json(report)


def deliver_output(wallet: Any, job_id: int, out_file: Path) -> dict[str, Any]:
    """Fetch, open and check the job's output, then write it to OUT_FILE (replacing it whole, and
    only once it matches the receipt); what to add to the command's report."""
    import os
    import tempfile

    from akechain.client.outputs import fetch_output

    wallet.check_node()  # the output hash comes from this node: it must be on HOME's chain
    output = fetch_output(wallet.client, wallet.key, job_id)
    fd, tmp = tempfile.mkstemp(prefix=f".{out_file.name}.", dir=out_file.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(output.data)
        os.replace(tmp, out_file)
    except BaseException:
        os.unlink(tmp)
        raise
    return {"output_hash": output.output_hash.hex(), "output_file": str(out_file), "output_bytes": len(output.data),
            "output_provider": output.provider}


# ---------------------------------------------------------------- provider run and verifier run


def start_agent_process() -> Any:
    """Log at INFO and return a threading.Event that SIGINT/SIGTERM set (the agent stops after
    the step in progress)."""
    import logging
    import signal
    import threading

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def sandbox_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The run-the-workload and polling flags of `provider run` and `verifier run` (a verifier keeps
    the providers' defaults so that its re-execution sees what theirs did)."""
    for option in reversed((
        click.option("--time-limit", type=click.FloatRange(0.1, 86_400), default=60, show_default=True,
                     help="Wall-clock seconds a job may run."),
        click.option("--memory-mb", type=click.IntRange(16), default=512, show_default=True,
                     help="Address-space limit of a job that asks for no memory."),
        click.option("--poll", type=click.FloatRange(0.05, 60), default=1.0, show_default=True,
                     help="Seconds between polls."),
        click.option("--allow-network", is_flag=True,
                     help="Run jobs that ask for network access (others always run with no network)."),
        click.option("--unsafe-no-sandbox", is_flag=True,
                     help="Without bubblewrap (apt-get install bubblewrap), run jobs directly on this host as this "
                          "user: they can read its files and keys. Never on a machine holding real keys."),
    )):
        command = option(command)
    return command


def sandbox_policy(allow_network: bool, unsafe_no_sandbox: bool) -> Any:
    from akechain.agents.sandbox import SandboxPolicy, bwrap_path

    if unsafe_no_sandbox and bwrap_path() is None:
        click.echo("warning: --unsafe-no-sandbox: jobs run on this host with this user's rights", err=True)
    return SandboxPolicy(allow_network, unsafe_no_sandbox)


@click.group("provider")
def provider() -> None:
    """Serve the compute market as a provider."""


@provider.command("run")
@home_option
@click.option("--key", required=True, help="Name of the provider's key in HOME's keyring (with --granter: the hot key).")
@click.option("--granter", help="Serve as this provider (ake1…): every tx of --key runs as `authz exec` for it within "
              "its grant (`tx authz grant`), fees paid by its fee allowance (`tx feegrant grant`), so --key holds no funds. "
              "The granter registers itself first.")
@node_option
@passphrase_option
@click.option("--profile", "profile_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="TOML profile (hardware, region, attributes, endpoint, collateral); replaces the flags below.")
@profile_options
@click.option("--collateral", type=UINT63, default=10_000_000, show_default=True, help="uake staked when registering.")
@click.option("--price-policy", default="fraction:8000", show_default=True,
              help="fixed:N (uake per block; skip jobs paying less) or fraction:BPS (of each job's max price).")
@click.option("--latency-ms", type=UINT63, default=50, show_default=True, help="Latency claimed in bids and receipts.")
@sandbox_options
@click.option("--max-jobs", type=UINT63, default=0, help="Stop after serving this many leases (0: until SIGINT/SIGTERM).")
@click.option("--once", is_flag=True, help="Same as --max-jobs 1.")
@click.option("--fee", type=UINT63, help="Fee per tx in uake (default: the chain's minimum fee).")
@MAX_FEE_OPTION
@click.option("--lie", is_flag=True, hidden=True, help="Test only: submit a wrong output hash.")
@click.option("--serve-host", default="127.0.0.1", show_default=True, help="Address the output server listens on.")
@click.option("--serve-port", type=click.IntRange(0, 65_535), default=0, show_default=True,
              help="Port of the output server (0: any free port).")
@click.option("--max-kept-outputs", type=click.IntRange(1), default=256, show_default=True,
              help="Outputs kept for consumers to fetch (the oldest go first).")
@click.option("--max-kept-bytes", type=click.IntRange(1), default=256 * 1024 * 1024, show_default=True,
              help="Bytes of (sealed) outputs kept.")
def provider_run(home: Path, key: str, granter: str | None, node_url: str, passphrase_file: Path | None,
                 profile_file: Path | None,
                 hardware: Any, region: str, attributes: tuple[str, ...], endpoint: str, collateral: int,
                 price_policy: str, latency_ms: int, time_limit: float, memory_mb: int, poll: float,
                 allow_network: bool, unsafe_no_sandbox: bool, max_jobs: int, once: bool, fee: int | None,
                 max_fee: int | None, lie: bool, serve_host: str, serve_port: int, max_kept_outputs: int,
                 max_kept_bytes: int) -> None:
    """Register if needed, then bid on jobs, run the won ones in a sandbox, submit receipts and
    withdraw earnings until SIGINT/SIGTERM (or --max-jobs), serving each job's output sealed to its
    consumer at GET /outputs/{hash} (registered as the endpoint when --endpoint names none)."""
    from akechain.client.http import NodeClientError
    from akechain.client.keystore import KeystoreError
    from akechain.client.market import MarketInputError
    from akechain.agents.provider.agent import Agent, AgentConfig
    from akechain.agents.provider.outputs import ServeConfig
    from akechain.agents.provider.pricing import parse_price_policy
    from akechain.agents.provider.profile import Profile, load_profile
    from akechain.chain.crypto import AddressError
    from akechain.client.wallet import GranteeWallet, TxFailedError

    stop = start_agent_process()
    try:
        profile = load_profile(profile_file) if profile_file else Profile(
            hardware, region, sorted_tuple(attributes), endpoint, collateral)
        config = AgentConfig(profile, parse_price_policy(price_policy), latency_ms, time_limit, memory_mb, poll,
                             1 if once else max_jobs, lie, sandbox_policy(allow_network, unsafe_no_sandbox),
                             ServeConfig(serve_host, serve_port, max_kept_outputs, max_kept_bytes))
        wallet = open_wallet(home, key, node_url, passphrase_file, fee=fee, max_fee=max_fee)
        if granter is not None:
            wallet = GranteeWallet(wallet, granter)
        with wallet.client:
            served = Agent(wallet, config).run(stop)
    except (MarketInputError, KeystoreError, NodeClientError, TxFailedError, ValueError, OSError, AddressError) as exc:
        fail(str(exc))  # OSError: the output server's port is taken
    echo_json({"provider": wallet.address, "leases_served": served})


@click.group("verifier")
def verifier() -> None:
    """Spot-check receipts and referee challenges as a market verifier."""


@verifier.command("run")
@home_option
@click.option("--key", required=True, help="Name of the verifier's key in HOME's keyring (one of the market's verifiers).")
@node_option
@passphrase_option
@click.option("--check-all", is_flag=True,
              help="Also re-execute every receipt of a spot-check job, not only those drawn for this key.")
@sandbox_options
@click.option("--max-checks", type=UINT63, default=0,
              help="Stop after this many re-executions, checks and verdicts (0: until SIGINT/SIGTERM).")
@click.option("--once", is_flag=True, help="Same as --max-checks 1.")
@click.option("--fee", type=UINT63, help="Fee per tx in uake (default: the chain's minimum fee).")
@MAX_FEE_OPTION
def verifier_run(home: Path, key: str, node_url: str, passphrase_file: Path | None, check_all: bool, time_limit: float,
                 memory_mb: int, poll: float, allow_network: bool, unsafe_no_sandbox: bool, max_checks: int,
                 once: bool, fee: int | None, max_fee: int | None) -> None:
    """Re-execute spot-checked receipts, challenge mismatches (posting the bond) and send verdicts on
    the challenges drawn to this key, until SIGINT/SIGTERM (or --max-checks)."""
    from akechain.client.http import NodeClientError
    from akechain.client.keystore import KeystoreError
    from akechain.agents.verifier import Verifier, VerifierConfig
    from akechain.chain.crypto import AddressError
    from akechain.client.wallet import GranteeWallet, TxFailedError

    stop = start_agent_process()
    config = VerifierConfig(time_limit, memory_mb, poll, 1 if once else max_checks, check_all,
                            sandbox_policy(allow_network, unsafe_no_sandbox))
    try:
        wallet = open_wallet(home, key, node_url, passphrase_file, fee=fee, max_fee=max_fee)
        with wallet.client:
            counts = Verifier(wallet, config).run(stop)
    except (KeystoreError, NodeClientError, TxFailedError) as exc:
        fail(str(exc))
    echo_json({"verifier": wallet.address, **counts})
