"""Devices for the roofline: peak arithmetic throughput per dtype, memory bandwidth and memory
size, each preset's figures from its vendor's datasheet; and this machine's CPU, measured.

Which peak, exactly (a roofline is only as honest as its roof):

* ``fp32``: ordinary FP32 arithmetic (CUDA cores or SIMD FMA units), never tensor cores and
  never TF32. PyTorch lets cuDNN run fp32 convolutions as TF32 on Ampere and later
  (``torch.backends.cudnn.allow_tf32`` is on by default), so a real fp32 conv there can beat
  this roof; matmuls stay FP32 unless ``torch.backends.cuda.matmul.allow_tf32`` is set.
* ``fp16`` / ``bf16``: dense tensor-core throughput with FP32 accumulation, as mixed-precision
  training uses it — *without* 2:4 structured sparsity (datasheets print the sparse figure,
  twice the dense one, with a footnote) and without FP16 accumulation (the RTX 4090's
  whitepaper lists that separately, at twice the rate).
* A dtype a device has no arithmetic for (BF16 on Volta) or no published figure for has no
  peak; asking for it is refused, naming the dtypes the device has.

Memory sizes: vendors' "GB" of GPU memory are 2³⁰ bytes (an "80 GB" A100 has 81,920 MiB), so
``memory_bytes`` is GiB × 2³⁰. Bandwidths are decimal, as printed (bytes per second).

``this_cpu()`` measures the CPU the code runs on, once per process: the best of repeated
square matmuls per dtype for the peak, the best of repeated copies of a buffer larger than
any cache for the bandwidth (bytes read + bytes written), with torch's thread count set as
``googlenet.checks`` sets it for latency measurements, and a time bound.
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass

from .errors import SpecError, shown
from .texts import text as coded

DTYPES = ("fp32", "fp16", "bf16")
GiB = 2**30
T = 1e12
G = 1e9


@dataclass(frozen=True)
class Device:
    """One device: what bounds a layer's speed on it."""

    name: str  # the key: --device NAME
    title: str
    kind: str  # "data-centre GPU" | "consumer GPU" | "CPU"
    peaks: tuple[tuple[str, float], ...]  # (dtype, FLOP/s), only the dtypes it has a figure for
    bandwidth: float  # memory bytes per second
    memory_bytes: int
    source: str  # the datasheet: title and address
    basis: str  # which figures, exactly
    measured: bool = False

    def peak(self, dtype: str) -> float:
        """Peak FLOP/s at ``dtype``; refused (naming the dtypes it has) when it has none."""
        check_dtype(dtype)
        for d, flops in self.peaks:
            if d == dtype:
                return flops
        have = ", ".join(d for d, _ in self.peaks)
        raise SpecError("dtype", "device.dtype", device=self.title, dtype=dtype, choices=have)

    def has(self, dtype: str) -> bool:
        return any(d == dtype for d, _ in self.peaks)

    @property
    def dtypes(self) -> tuple[str, ...]:
        return tuple(d for d, _ in self.peaks)

    def ridge(self, dtype: str) -> float:
        """The arithmetic intensity (FLOP/byte) above which a layer is compute-bound here."""
        return self.peak(dtype) / self.bandwidth

    @property
    def line(self) -> str:
        """One line for ``python -m googlenet devices``."""
        peaks = ", ".join(f"{d} {_flops_text(f)}" for d, f in self.peaks)
        return f"{self.name}  {self.title}: {peaks}; {self.bandwidth / G:,.0f} GB/s; {self.memory_bytes / GiB:,.0f} GiB — {self.source}"


def _flops_text(f: float) -> str:
    return f"{f / T:,.1f} TFLOP/s" if f >= 1e12 else f"{f / G:,.0f} GFLOP/s"


def check_dtype(dtype) -> None:
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise SpecError("dtype", "choice", choices=", ".join(DTYPES), value=shown(dtype))


PRESETS: dict[str, Device] = {
    d.name: d
    for d in (
        Device(
            "v100", "NVIDIA Tesla V100 SXM2 32 GB (Volta, 2017)", "data-centre GPU",
            (("fp32", 15.7 * T), ("fp16", 125 * T)),
            900 * G, 32 * GiB,
            "NVIDIA Tesla V100 GPU Accelerator datasheet, V100 SXM2 column "
            "(images.nvidia.com/content/technologies/volta/pdf/volta-v100-datasheet-update-us-1165301-r5.pdf)",
            "single-precision 15.7 TFLOPS; 'tensor performance' 125 TFLOPS (FP16 multiply, FP32 accumulate; "
            "Volta has no sparsity and no BF16); HBM2 900 GB/s; 32 GB",
        ),
        Device(
            "a100", "NVIDIA A100 SXM4 80 GB (Ampere, 2020)", "data-centre GPU",
            (("fp32", 19.5 * T), ("fp16", 312 * T), ("bf16", 312 * T)),
            2_039 * G, 80 * GiB,
            "NVIDIA A100 Tensor Core GPU datasheet, A100 80GB SXM column "
            "(nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf)",
            "FP32 19.5 TFLOPS; FP16 and BF16 Tensor Core 312 TFLOPS dense (the 624 printed beside them is with "
            "sparsity); HBM2e 2,039 GB/s; 80 GB",
        ),
        Device(
            "h100", "NVIDIA H100 SXM5 80 GB (Hopper, 2022)", "data-centre GPU",
            (("fp32", 67 * T), ("fp16", 989.5 * T), ("bf16", 989.5 * T)),
            3_350 * G, 80 * GiB,
            "NVIDIA H100 Tensor Core GPU datasheet, H100 SXM column "
            "(resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet)",
            "FP32 67 TFLOPS; FP16 and BF16 Tensor Core 1,979 TFLOPS printed 'with sparsity', "
            "'one-half lower without sparsity': 989.5 dense; HBM3 3.35 TB/s; 80 GB",
        ),
        Device(
            "rtx-4090", "NVIDIA GeForce RTX 4090 (Ada Lovelace, 2022)", "consumer GPU",
            (("fp32", 82.6 * T), ("fp16", 165.2 * T), ("bf16", 165.2 * T)),
            1_008 * G, 24 * GiB,
            "NVIDIA Ada GPU Architecture whitepaper, Appendix A, GeForce RTX 4090 column "
            "(images.nvidia.com/aem-dam/Solutions/geforce/ada/nvidia-ada-gpu-architecture.pdf)",
            "peak FP32 82.6 TFLOPS (boost clock); peak FP16 and BF16 Tensor TFLOPS with FP32 accumulate "
            "165.2 dense (330.4 with sparsity; FP16 accumulate is twice that); GDDR6X 1,008 GB/s; 24 GB",
        ),
        Device(
            "ryzen-9-7950x", "AMD Ryzen 9 7950X (Zen 4 desktop CPU, 2022)", "CPU",
            (("fp32", 16 * 4.5e9 * 32),),
            2 * 8 * 5_200e6, 128 * GiB,
            "AMD Ryzen 9 7950X product specifications (amd.com/en/products/processors/desktops/ryzen/7000-series/"
            "amd-ryzen-9-7950x.html) and the Software Optimization Guide for the AMD Zen4 Microarchitecture (pub. 57647)",
            "AMD publishes cores and clocks, not FLOPs: 16 cores × 4.5 GHz base × 32 FP32 FLOP per cycle (two 256-bit "
            "FMA pipes × 8 lanes × 2; a 512-bit AVX-512 op takes both halves) = 2.3 TFLOP/s; no published 16-bit "
            "peak; 2 channels × DDR5-5200 × 8 bytes = 83.2 GB/s; 128 GB, the platform maximum at launch",
        ),
    )
}

THIS_CPU = "this-cpu"

# This machine's CPU described, by code (its title, source and basis are ``texts.Text``: English
# with the code and values, which an interface translates).
TEXTS: dict[str, str] = {
    "cpu.title": "This machine's CPU ({cpu}, {threads} threads)",
    "cpu.title.one": "This machine's CPU ({cpu}, 1 thread)",
    "cpu.title.unnamed": "This machine's CPU (this CPU, {threads} threads)",
    "cpu.title.unnamed.one": "This machine's CPU (this CPU, 1 thread)",
    "cpu.source": (
        "measured here with torch {torch}: the best of repeated square matmuls per dtype, "
        "and of copies of a {mb} MB buffer"
    ),
    "cpu.basis": (
        "peaks: the fastest matmul per dtype; bandwidth: bytes read + written by the fastest copy; "
        "memory: the machine's physical memory; load average {load} while measuring"
    ),
    "cpu.basis.no_load": (
        "peaks: the fastest matmul per dtype; bandwidth: bytes read + written by the fastest copy; "
        "memory: the machine's physical memory; load average unknown while measuring"
    ),
}
DEFAULT = "a100"


def names() -> list[str]:
    """Every device name the CLI and the page accept: the presets, then this machine's CPU."""
    return [*PRESETS, THIS_CPU]


def get(name: str, measure: bool = True) -> Device:
    """A preset by name, or this machine's CPU (measured on first use unless ``measure`` is off:
    then refused while it has not been measured)."""
    if name == THIS_CPU:
        if measure:
            return this_cpu()
        got = measured()
        if got is None:
            raise SpecError("device", "device.unmeasured", name=THIS_CPU)
        return got
    try:
        return PRESETS[name]
    except (KeyError, TypeError):
        raise SpecError("device", "device.unknown", value=shown(name), names=", ".join(names())) from None


# --- this machine's CPU --------------------------------------------------------------------------

MAX_SECONDS = 2.0  # the whole measurement, every dtype and the copy
WAIT_SECONDS = 60.0  # for a running measurement to finish first
COPY_BYTES = 128 * 2**20  # per buffer: larger than the last-level cache of any CPU we expect
_lock = threading.Lock()
_cpu: Device | None = None


def measured() -> Device | None:
    """This machine's CPU if it has been measured in this process, else None (never measures)."""
    return _cpu


def this_cpu() -> Device:
    """This machine's CPU, measured once per process (about 2 s; see ``measure_cpu``), in its turn
    with the other measurements (``checks``' lock, waited for at most ``WAIT_SECONDS``: the
    benchmark is short, and measures on regardless then)."""
    global _cpu
    with _lock:
        if _cpu is None:
            from .checks import _LOCK

            turn = _LOCK.acquire(timeout=WAIT_SECONDS)
            try:
                _cpu = measure_cpu()
            finally:
                if turn:
                    _LOCK.release()
        return _cpu


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _best(fn, budget: float, least: int = 2) -> float:
    """The shortest of repeated calls of ``fn`` (seconds): at least ``least``, then more while
    ``budget`` seconds last."""
    best = math.inf
    start = time.perf_counter()
    n = 0
    while n < least or time.perf_counter() - start < budget:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        n += 1
    return best


def _cpu_name() -> str | None:
    """The CPU's model name (None when the system does not say)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return " ".join(line.split(":", 1)[1].split())[:80]
    except OSError:
        pass
    import platform

    return platform.processor() or None


def _load() -> str | None:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):  # pragma: no cover - not POSIX
        return None


def _title(cpu: str | None, threads: int):
    code = "cpu.title" + (".unnamed" if cpu is None else "") + (".one" if threads == 1 else "")
    return coded(TEXTS, code, **({} if cpu is None else {"cpu": cpu}), **({} if threads == 1 else {"threads": threads}))


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return 0


def matmul_flops(dtype: str, budget: float) -> float | None:
    """The best FLOP/s of square matmuls at ``dtype`` on the CPU within about ``budget`` seconds,
    or None if torch cannot multiply at that dtype here. Small products run far below the peak
    (some dtypes take a slow path below 512), so sizes 512, 1024 and 2048 are tried in turn while
    one product takes less than a tenth of what is left."""
    import torch

    tdt = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[dtype]
    deadline = time.perf_counter() + budget
    rate = 0.0
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        for n in (512, 1024, 2048):
            left = deadline - time.perf_counter()
            a, b = torch.randn(n, n, dtype=tdt), torch.randn(n, n, dtype=tdt)
            t0 = time.perf_counter()
            try:
                a @ b  # warm-up, and how long one product takes
            except RuntimeError:
                return None
            once = time.perf_counter() - t0
            t = _best(lambda: a @ b, max(0.0, min(left, deadline - time.perf_counter()) / 2), least=2)
            rate = max(rate, 2 * n**3 / t)
            if once * 8 * 3 > deadline - time.perf_counter():  # the next size: 8× the work, 3 products
                break
    return rate


def copy_bandwidth(budget: float, nbytes: int = COPY_BYTES) -> float:
    """The best bytes per second of ``dst.copy_(src)`` on two buffers of ``nbytes``, counting the
    bytes read and the bytes written; about ``budget`` seconds with the allocation."""
    import torch

    t0 = time.perf_counter()
    src = torch.ones(nbytes // 4)
    dst = torch.empty_like(src)
    dst.copy_(src)  # the pages are touched: what follows copies, it does not fault
    t = _best(lambda: dst.copy_(src), max(0.0, budget - (time.perf_counter() - t0)), least=3)
    return 2 * nbytes / t


def measure_cpu(max_seconds: float = MAX_SECONDS) -> Device:
    """Measure this machine's CPU (see the module docstring); ``max_seconds`` bounds the whole."""
    import torch

    from .checks import MAX_THREADS

    threads = min(MAX_THREADS, _cpus())
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        a = torch.ones(512, 512)
        _best(lambda: a @ a, max_seconds / 20)  # start the thread pool and the BLAS before timing
        share = (max_seconds * 19 / 20) / 4  # three dtypes and the copy
        peaks = []
        for dtype in DTYPES:
            f = matmul_flops(dtype, share)
            if f is not None:
                peaks.append((dtype, f))
        bandwidth = copy_bandwidth(share)
    finally:
        torch.set_num_threads(saved)
    load = _load()
    return Device(
        THIS_CPU, _title(_cpu_name(), threads), "CPU",
        tuple(peaks), bandwidth, _memory_bytes(),
        coded(TEXTS, "cpu.source", torch=torch.__version__, mb=COPY_BYTES // 2**20),
        coded(TEXTS, "cpu.basis", load=load) if load is not None else coded(TEXTS, "cpu.basis.no_load"),
        measured=True,
    )
