"""Multi-process training under `torchrun`: one process per GPU (or CPU worker).

torchrun sets RANK, LOCAL_RANK and WORLD_SIZE; when WORLD_SIZE > 1 we join the process
group (NCCL on GPUs, gloo on CPUs) and the trainer wraps G and D in
DistributedDataParallel. Rank 0 alone writes the run folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def mean_(self, tensor: torch.Tensor) -> torch.Tensor:
        """Average a tensor across processes in place (a no-op in a single process)."""
        if self.enabled:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
            tensor /= self.world_size
        return tensor

    def sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """Sum a tensor across processes (returns the same tensor in a single process)."""
        if self.enabled:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor

    def any(self, flag: bool, device: torch.device) -> bool:
        """True on every process if it is True on any: used to stop all ranks at the same step."""
        if not self.enabled:
            return flag
        value = torch.tensor([1.0 if flag else 0.0], device=device)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item() > 0)


def context_from_env() -> DistContext:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistContext()
    return DistContext(
        rank=int(os.environ.get("RANK", "0")),
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
        world_size=world,
    )


def init_distributed(ctx: DistContext, device_request: str) -> torch.device:
    """Join the process group and return this process's device."""
    if not ctx.enabled:
        raise RuntimeError("init_distributed needs WORLD_SIZE > 1")
    use_cuda = device_request in ("auto", "cuda") and torch.cuda.is_available()
    if use_cuda:
        torch.cuda.set_device(ctx.local_rank)
        device = torch.device("cuda", ctx.local_rank)
    else:
        device = torch.device("cpu")
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return device


def shutdown_distributed(ctx: DistContext, *, clean: bool = True) -> None:
    """Leave the process group. After an error, leave at once so torchrun sees the failure."""
    if ctx.enabled and dist.is_initialized():
        if clean:
            dist.barrier()  # gloo aborts a process whose peer has already left
        dist.destroy_process_group()
