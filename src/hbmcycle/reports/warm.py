"""Report kernels started from a process that has already imported what every notebook imports.

A fresh kernel spends about 2-3 s of CPU importing ipykernel, altair, polars, numpy, duckdb and
the package before the first cell does any work, and `make report` starts five of them on two
cores. Here the imports happen once, in a multiprocessing *forkserver* (a fresh interpreter that
only imports, so no thread pool or database connection is forked): each render worker is forked
from it, and the worker forks a spare copy of itself before papermill starts (nothing running
yet: no event loop, no ZeroMQ context, no polars or duckdb threads). When papermill asks for a
kernel, the spare receives the kernel's command line, environment and working directory and
becomes that kernel (`IPKernelApp`, as `python -m ipykernel_launcher` would), with its imports
done. The kernel is a real, separate process speaking the Jupyter protocol, so execution,
outputs, errors and timeouts are papermill's as before; only its start is faster.

Every `hbmcycle report` run starts its own forkserver, so kernels always run the code on disk.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

# Imported once in the forkserver, before the notebooks' own hbmcycle modules (see `context`).
PRELOAD = ("hbmcycle.reports.preload",)
KERNEL_MODULE = "ipykernel_launcher"


def context(modules: list[str]) -> BaseContext:
    """A forkserver context whose server imports the renderer, the kernel and ``modules`` first."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([*PRELOAD, *modules])
    return ctx


def prestart(modules: list[str]) -> None:
    """Start the forkserver now: it imports in the background while this process does other work.

    `make report` builds a stale database this way, so the build and the imports share the cores.
    """
    from multiprocessing import forkserver

    context(modules)
    forkserver.ensure_running()


class _Spare:
    """A forked copy of this worker, waiting for the command line of the kernel it will become."""

    def __init__(self) -> None:
        self.reader, self.writer = multiprocessing.Pipe(duplex=False)
        self.process = multiprocessing.get_context("fork").Process(target=_become_kernel, args=(self.reader,))
        self.process.start()
        self.used = False

    def launch(self, cmd: list[str], env: dict[str, str], cwd: str) -> None:
        self.writer.send((cmd, env, cwd))
        self.used = True

    def close(self) -> None:
        if not self.used:
            self.writer.send(None)  # not needed after all: let it exit
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


_spare: _Spare | None = None


@contextmanager
def spare_kernel() -> Iterator[None]:
    """Within this block, `manager_class()` gives papermill a kernel manager that uses a preforked spare.

    Call it only where nothing has started threads yet (a fresh render worker).
    """
    global _spare
    _spare = _Spare()
    try:
        yield
    finally:
        spare, _spare = _spare, None
        spare.close()


def manager_class() -> type[AsyncKernelManager] | None:
    """The kernel manager papermill should use here: the spare's when one waits, else None (papermill's own)."""
    return PreforkedKernelManager if _spare is not None and not _spare.used else None


def render(job, force: bool, state: tuple[dict[str, str], str]):
    """What a render worker runs: one report, its kernel forked from this worker.

    ``state`` is the caller's environment and working directory: a worker is forked from the
    forkserver, which kept those of the moment it started.
    """
    from hbmcycle.reports.render import render as render_one

    env, cwd = state
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    with spare_kernel():
        return render_one(job, force)


def _become_kernel(reader: Connection) -> None:
    request = reader.recv()
    if request is None:
        return
    cmd, env, cwd = request
    os.setsid()  # its own process group, as jupyter_client gives a kernel (interrupts reach only it)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    if sys.path and sys.path[0] == "":
        sys.path.pop(0)
    sys.path.insert(0, cwd)  # `python -m` puts the working directory first
    from ipykernel.kernelapp import IPKernelApp

    argv = cmd[cmd.index(KERNEL_MODULE) + 1 :]
    if "JPY_PARENT_PID" in env:  # IPKernelApp read it at import, in the forkserver: give it the worker's
        argv.append(f"--IPKernelApp.parent_handle={env['JPY_PARENT_PID']}")
    IPKernelApp.launch_instance(argv=argv)


class _ProcessHandle:
    """The parts of subprocess.Popen that jupyter_client's LocalProvisioner uses, over the spare."""

    stdin = stdout = stderr = None

    def __init__(self, process: multiprocessing.process.BaseProcess) -> None:
        assert process.pid is not None, "the spare has been started"
        self._process = process
        self.pid: int = process.pid

    def poll(self) -> int | None:
        return None if self._process.is_alive() else self._process.exitcode

    def wait(self, timeout: float | None = None) -> int | None:
        self._process.join(timeout)
        return self._process.exitcode

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def kill(self) -> None:
        self._process.kill()

    def terminate(self) -> None:
        self._process.terminate()


class PreforkedProvisioner(LocalProvisioner):
    """LocalProvisioner whose kernel is the waiting spare instead of a new `python -m ipykernel_launcher`."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        spare = _spare
        if spare is None or spare.used or KERNEL_MODULE not in cmd:
            return await super().launch_kernel(cmd, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        if not kwargs.get("independent"):
            env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launcher: the kernel exits with us
        spare.launch(cmd, env, str(kwargs.get("cwd") or os.getcwd()))
        self.process = _ProcessHandle(spare.process)  # type: ignore[assignment]
        self.pid = self.pgid = spare.process.pid
        self.cwd = kwargs.get("cwd") or os.getcwd()
        return self.connection_info


class PreforkedKernelManager(AsyncKernelManager):
    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or _new_id()
            self.provisioner = PreforkedProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)


def _new_id() -> str:
    import uuid

    return str(uuid.uuid4())
