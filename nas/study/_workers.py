"""Several trials at once on one machine: worker processes sharing one study.

``nas search --workers N`` prepares the study, then starts N ``nas worker`` processes on it
and reports their trials as they finish. Each worker is an ordinary Optuna worker on the
study's storage, exactly like one started by hand, by Slurm or by Kubernetes on another
machine: the storage hands out trial numbers atomically, so no coordinator is needed.

GPUs: ``--devices 0,1`` gives each worker one GPU through ``CUDA_VISIBLE_DEVICES`` (round
robin); ``--trials-per-gpu K`` runs K workers per GPU, which pays off for small models
that leave a GPU mostly idle. Each trial trains with the recipe's ``threads`` CPU threads
(one by default), so parallelism comes from the number of workers: on a CPU-only machine
with no ``--workers`` and no recipe ``workers:``, one per allowed CPU.

Ctrl-C: the workers run in process groups of their own, so the terminal's Ctrl-C reaches
only this process, which passes each press on: the first stops every worker's running
trial after its current batch, a second aborts them.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nas.base import PARENT_ENV, NASError, RecipeError
from nas.study._search import (
    EpochHook,
    PreparedSearch,
    SearchOutcome,
    TrialHook,
    finished_states,
)
from nas.study._storage import STORAGE_ENV, mask_password, sqlite_file

if TYPE_CHECKING:
    import optuna

    from nas.study._recipe import StudyRecipe

SQLITE_MAX_WORKERS = 8  # beyond this, writers queue on SQLite's single lock: use PostgreSQL
POLL_S = 1.0  # how often the launcher looks for finished trials
THREAD_ENVS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")  # torch's intra-op thread pools
INTERRUPTED_EXIT = 130  # the shell convention for "stopped by Ctrl-C" (nas search, nas worker)
CLEAN_EXITS = (0, INTERRUPTED_EXIT, -signal.SIGINT)  # a worker that stopped, not one that died
_log = logging.getLogger("nas.study")


@dataclass(frozen=True)
class WorkerPlan:
    """Which processes ``nas search`` starts."""

    devices: tuple[str | None, ...]  # per worker: its CUDA_VISIBLE_DEVICES (None: inherited)
    threads: int  # CPU threads per worker
    auto: bool = False  # chosen by nas search (no --workers, no recipe workers:)

    @property
    def in_process(self) -> bool:
        """One CPU worker: run the trials in this process (no worker start-up)."""
        return self.devices == (None,)

    @property
    def n_workers(self) -> int:
        return len(self.devices)


def plan_workers(
    workers: int | None,
    devices: Sequence[str] | None,
    trials_per_gpu: int | None,
    *,
    cpu_count: int,
    gpu_count: int,
    threads: int = 1,
    n_trials: int | None = None,
    storage_url: str | None = None,
) -> WorkerPlan:
    """Turn ``--workers``, ``--devices`` and ``--trials-per-gpu`` into one plan.

    ``--devices`` without ``--workers`` means ``len(devices) * trials_per_gpu`` workers;
    ``--trials-per-gpu`` without ``--devices`` uses every visible GPU. With none of them
    (``workers`` None), a CPU-only machine runs one worker per ``threads`` of its
    ``cpu_count`` allowed CPUs (at most ``n_trials``, at most what the store serves; see
    :func:`auto_workers`); a machine with a GPU runs one trial at a time on it.

    Args:
        threads: CPU threads each trial trains with (the recipe's ``threads``).
    """
    if devices is not None:
        devices = [d.strip() for d in devices]
        if not devices or any(not d for d in devices):
            raise RecipeError("--devices: expected GPU indices such as 0,1")
        if gpu_count == 0:
            raise RecipeError(
                f"--devices {','.join(devices)}: no GPU is visible here; on CPU use --workers N"
            )
        unknown = [d for d in devices if d.isdigit() and int(d) >= gpu_count]
        if unknown:
            raise RecipeError(
                f"--devices: GPU {unknown[0]} does not exist; this machine has {gpu_count} "
                f"(0-{gpu_count - 1})"
            )
    elif trials_per_gpu is not None:
        if gpu_count == 0:
            raise RecipeError("--trials-per-gpu: no GPU is visible here; on CPU use --workers N")
        devices = [str(i) for i in range(gpu_count)]
    if devices is None:
        if workers is not None:
            return WorkerPlan((None,) * workers, threads=threads)
        workers = auto_workers(cpu_count, gpu_count, threads, n_trials, storage_url)
        return WorkerPlan((None,) * workers, threads=threads, auto=workers > 1)
    per_gpu = trials_per_gpu or 1
    n = len(devices) * per_gpu
    if workers is not None and workers != n:
        raise RecipeError(
            f"--workers {workers} does not match {len(devices)} GPU(s) x --trials-per-gpu "
            f"{per_gpu} = {n} workers; give --workers or --devices/--trials-per-gpu"
        )
    return WorkerPlan(tuple(devices[i % len(devices)] for i in range(n)), threads=threads)


def auto_workers(
    cpu_count: int,
    gpu_count: int,
    threads: int,
    n_trials: int | None,
    storage_url: str | None,
) -> int:
    """How many trials ``nas search`` runs at once when nothing says: one per ``threads``
    allowed CPUs on a CPU-only machine (``benchmarks/threads.py``: two one-thread workers
    beat one two-thread process idle and under load), capped by ``n_trials`` and by what the
    store serves (SQLite: ``SQLITE_MAX_WORKERS``; in-memory SQLite: one process only).
    With a GPU, one trial at a time (``--trials-per-gpu`` says otherwise)."""
    if gpu_count > 0:
        return 1
    n = max(1, cpu_count // max(1, threads))
    if n_trials is not None:
        n = min(n, n_trials)
    if storage_url is not None and storage_url.startswith("sqlite"):
        n = min(n, SQLITE_MAX_WORKERS if sqlite_file(storage_url) is not None else 1)
    return n


def plan_search(
    recipe: StudyRecipe,
    workers: int | None = None,
    devices: str | None = None,
    trials_per_gpu: int | None = None,
) -> WorkerPlan | None:
    """The worker processes a search starts (None: its trials run in this process), from
    ``--workers`` (else the recipe's ``workers``, else :func:`auto_workers`), ``--devices``
    and ``--trials-per-gpu``, checked against the store (SQLite serves few)."""
    from nas.base import available_cpus
    from nas.study._storage import default_storage

    gpu_count = 0
    workers = workers or recipe.workers
    if workers is None or devices is not None or trials_per_gpu is not None:
        import torch

        gpu_count = torch.cuda.device_count()
    store = recipe.storage or default_storage()
    plan = plan_workers(
        workers,
        devices.split(",") if devices is not None else None,
        trials_per_gpu,
        cpu_count=available_cpus(),
        gpu_count=gpu_count,
        threads=recipe.threads,
        n_trials=recipe.n_trials,
        storage_url=store,
    )
    if plan.in_process:
        return None
    check_storage_for(plan, store)
    return plan


def check_storage_for(plan: WorkerPlan, storage_url: str) -> None:
    """Refuse more local workers than SQLite serves well."""
    if sqlite_file(storage_url) is not None and plan.n_workers > SQLITE_MAX_WORKERS:
        raise RecipeError(
            f"--workers {plan.n_workers}: SQLite serves at most {SQLITE_MAX_WORKERS} workers "
            "on one machine; for more, put the study on PostgreSQL: --storage "
            "postgresql://USER@HOST/DB (see the README, 'Many workers')"
        )


def launch_workers(
    prepared: PreparedSearch,
    plan: WorkerPlan,
    worker_args: Sequence[str],
    *,
    on_trial: TrialHook | None = None,
    on_interrupt: Callable[[], None] | None = None,
    on_epoch: EpochHook | None = None,
    on_message: Callable[[str], None] | None = None,
) -> SearchOutcome:
    """Run ``prepared``'s trials in ``plan.n_workers`` supervised ``nas worker`` processes.

    The workers share one budget: the study's trials now plus the recipe's ``n_trials``
    (or until its ``timeout``). A worker that dies has its trial failed and queued again at
    once, and a new worker takes its place (at most ``MAX_RESTARTS`` per worker), so the
    study ends with the trials asked for. Ctrl-C, SIGTERM and SIGHUP reach every worker
    as Ctrl-C; the workers exit when this process dies, even by SIGKILL.

    Args:
        prepared: the study, already created (so the workers only join it).
        plan: devices and threads of each worker.
        worker_args: the recipe file and the overrides every worker gets (``--sampler``,
            ``--seed``); the storage URL travels in ``$NAS_STORAGE`` so its password never
            shows in a process list.
        on_message: progress lines of a one-shot phase (``search: {mode: one_shot}``),
            which runs here before the workers start; their timeout counts from its end.
        on_epoch: sees the running trials' last reported epoch (read from the store: the
            epochs planned are not stored, so it gets 0 for them).
    """
    from nas.study._interrupt import GracefulInterrupt
    from nas.study._one_shot import run_one_shot
    from nas.study._recovery import StaleWatch

    # the budget counts from before the one-shot phase, whose trials are this run's
    pool = _WorkerPool(prepared, plan, worker_args, on_trial, on_epoch)
    with GracefulInterrupt(on_first=on_interrupt) as interrupt:  # before the workers start
        run_one_shot(prepared, lambda: interrupt.requested, on_message)
    if interrupt.requested:
        return prepared.outcome(0, True)
    pool.start()

    def first_interrupt() -> None:
        if on_interrupt is not None:
            on_interrupt()
        pool.forward_interrupt()

    interrupted = False
    with GracefulInterrupt(on_first=first_interrupt) as interrupt:
        pool.interrupt = interrupt
        try:
            with StaleWatch(prepared.study, prepared.recipe.recovery):
                pool.supervise()
        except KeyboardInterrupt:  # the second Ctrl-C: abort the workers' trials now
            interrupted = True
            pool.abort()
        interrupted = interrupted or interrupt.requested
    pool.report_new()
    if not interrupted:
        pool.check_exits()
    return prepared.outcome(pool.new_trials - pool.rerun, interrupted, pool.rerun)


MAX_RESTARTS = 3  # new workers per worker slot, for workers that die


def describe_exit(code: int) -> str:
    """``exit 1`` or ``killed by SIGKILL``."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit {code}"


@dataclass
class _Worker:
    """One slot of the pool and the process that fills it now."""

    slot: int
    device: str | None
    process: subprocess.Popen[bytes]
    label: str  # host:pid, as recorded on its trials
    restarts: int = 0


class _WorkerPool:
    """The ``nas worker`` processes of one search, and the trials they finished."""

    def __init__(
        self,
        prepared: PreparedSearch,
        plan: WorkerPlan,
        worker_args: Sequence[str],
        on_trial: TrialHook | None,
        on_epoch: EpochHook | None,
    ) -> None:
        from nas.study._loop import claimed_trials

        self.prepared, self.plan, self.worker_args = prepared, plan, worker_args
        self.on_trial, self.on_epoch = on_trial, on_epoch
        self.workers: list[_Worker] = []
        self.exits: list[tuple[int, int]] = []  # (slot, exit code) of workers that died
        self.interrupt: Any = None  # the GracefulInterrupt, once installed
        self.seen = {t.number for t in self._finished()}
        self._surplus: set[int] = set()
        self._seen_before = set(self.seen)
        recipe = prepared.recipe
        self.total = None
        if recipe.n_trials is not None:
            self.total = claimed_trials(prepared.study) + recipe.n_trials
        self.deadline = None if recipe.timeout is None else time.monotonic() + recipe.timeout
        self._next_index = 0

    @property
    def new_trials(self) -> int:
        return len(self._new)

    @property
    def rerun(self) -> int:
        """New failed trials that a retry replaced (the retry counts, they do not)."""
        from nas.study._recovery import replaced_failures

        trials = self.prepared.study.get_trials(deepcopy=False)
        replaced = replaced_failures(trials)
        return sum(1 for t in trials if t.number in replaced and t.number in self._new)

    @property
    def _new(self) -> set[int]:
        return self.seen - self._seen_before

    def _finished(self) -> list[optuna.trial.FrozenTrial]:
        return self.prepared.study.get_trials(deepcopy=False, states=finished_states())

    def start(self) -> None:
        """One process per worker (no more than the trials to run)."""
        n = self.plan.n_workers
        if self.prepared.recipe.n_trials is not None:
            n = min(n, self.prepared.recipe.n_trials)
        for slot in range(n):
            self.workers.append(self._spawn(slot, self.plan.devices[slot]))

    def _spawn(self, slot: int, device: str | None, restarts: int = 0) -> _Worker:
        recipe = self.prepared.recipe
        env = {
            **os.environ,
            STORAGE_ENV: self.prepared.storage_url,
            PARENT_ENV: str(os.getpid()),
        }
        for name in THREAD_ENVS:
            env.setdefault(name, str(self.plan.threads))
        if device is not None:
            env["CUDA_VISIBLE_DEVICES"] = device
        index, self._next_index = self._next_index, self._next_index + 1  # own seed stream
        command = [sys.executable, "-m", "nas", "worker", *self.worker_args]
        command += ["--study-name", recipe.study, "--worker-index", str(index), "--quiet"]
        if self.total is not None:
            command += ["--until", str(self.total)]
        if self.deadline is not None:
            command += ["--timeout", f"{max(0.0, self.deadline - time.monotonic()):.1f}"]
        process = subprocess.Popen(command, env=env, start_new_session=True)
        label = f"{socket.gethostname()}:{process.pid}"
        return _Worker(slot, device, process, label, restarts)

    def report_new(self) -> None:
        """Pass each newly finished trial to ``on_trial`` (not surplus ones, never run)."""
        from nas.study._loop import SURPLUS
        from nas.study._record import TrialRecord

        for trial in self._finished():
            if trial.number in self.seen or trial.number in self._surplus:
                continue
            if TrialRecord.read(trial).fail_reason == SURPLUS:
                self._surplus.add(trial.number)
                continue
            self.seen.add(trial.number)
            if self.on_trial is not None:
                self.on_trial(self.prepared.study, trial)

    def supervise(self) -> None:
        """Report trials as they finish; replace workers that die, until every worker has
        exited and the budget is spent (or cannot be: restarts used up, time out)."""
        while True:
            for worker in list(self.workers):
                code = worker.process.poll()
                if code is not None and code not in CLEAN_EXITS:
                    self._died(worker, code)
            self.report_new()
            self.report_running()
            idle = all(w.process.poll() is not None for w in self.workers)
            if idle and not self._refill():
                return
            time.sleep(POLL_S)

    def _died(self, worker: _Worker, code: int) -> None:
        """Fail the dead worker's trials now (no waiting for their heartbeats) and put a
        new worker in its place while its slot has restarts left."""
        from nas.study._recovery import fail_trials_of

        self.workers.remove(worker)
        self.exits.append((worker.slot, code))
        fail_trials_of(
            self.prepared.study, [worker.label], f"died ({describe_exit(code)})",
            self.prepared.recipe.recovery,
        )  # fmt: skip
        if self._stopping() or worker.restarts >= MAX_RESTARTS:
            return
        _log.warning(
            "worker %d (%s) died (%s); starting another in its place",
            worker.slot, worker.label, describe_exit(code),
        )  # fmt: skip
        self.workers.append(self._spawn(worker.slot, worker.device, worker.restarts + 1))

    def _refill(self) -> bool:
        """Every worker has exited: start one more if trials are still owed (a retry
        queued after the others stopped); False when the search is done."""
        from nas.study._loop import budget_left

        self.workers = [w for w in self.workers if w.process.poll() is None]
        if self._stopping() or self.total is None:
            return False
        if not budget_left(self.prepared.study, self.total):
            return False
        restarts = len(self.exits)
        if restarts >= MAX_RESTARTS * self.plan.n_workers:
            return False
        self.workers.append(self._spawn(0, self.plan.devices[0], restarts))
        return True

    def _stopping(self) -> bool:
        interrupted = self.interrupt is not None and self.interrupt.requested
        timed_out = self.deadline is not None and time.monotonic() >= self.deadline
        return interrupted or timed_out

    def report_running(self) -> None:
        """Pass each running trial's last reported epoch to ``on_epoch``."""
        if self.on_epoch is None:
            return
        from optuna.trial import TrialState

        metric = self.prepared.recipe.objectives[0].metric
        running = self.prepared.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        for trial in running:
            if trial.intermediate_values:
                step = max(trial.intermediate_values)
                value = trial.intermediate_values[step]
                self.on_epoch(trial.number, step + 1, 0, {metric: value})

    def forward_interrupt(self) -> None:
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGINT)

    def abort(self) -> None:
        """The second Ctrl-C: pass it on and wait for the workers to stop."""
        self.forward_interrupt()
        for worker in self.workers:
            worker.process.wait()

    def check_exits(self) -> None:
        """Raise naming the workers that died, if the study did not get its trials anyway
        (their errors went to the terminal)."""
        from nas.study._loop import budget_left

        if not self.exits:
            return
        codes = ", ".join(f"worker {slot}: {describe_exit(code)}" for slot, code in self.exits)
        owed = self.total is not None and budget_left(self.prepared.study, self.total)
        if not owed:
            _log.warning("%d worker(s) died and were replaced (%s)", len(self.exits), codes)
            return
        raise NASError(
            f"{len(self.exits)} workers died ({codes}; their errors are printed above) and "
            f"the study is short of its trials; the trials completed are stored in "
            f"{mask_password(self.prepared.storage_url)}; run the same command to go on"
        )
