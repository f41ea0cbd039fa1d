"""Faster routes for training convolutions on a CPU, applied by the trainer to plain models.

The models are plain PyTorch (`nn.Conv2d`, `nn.ConvTranspose2d`). `speed_up(module, plan)`
turns their layers into `FastConv2d` / `FastConvTranspose2d`: the same parameters, the same
`state_dict` and the same results up to float rounding, which only while training on a
CPU (autograd on) take another route where it is faster, for each layer shape:

* Layers that are really matrix products: the generator's first layer (a 4x4 transposed
  convolution of a 1x1 "image", i.e. the latent vector) and the discriminator's last
  one (a 4x4 convolution over a 4x4 map, one number per image). As one matrix product
  each, forward and both gradients, they run 2-4x faster than through oneDNN's
  convolution kernels, whose set-up cost dominates at these shapes.
* The weight gradient of a strided convolution with small maps and many channels (the
  discriminator's 8->4 px layers and the generator's 4->8 px ones). oneDNN computes
  it at 100-230 GFLOP/s in bf16 on a CPU whose bf16 matrix units reach 1,300-1,900 in
  a plain matrix product; written as one matrix product over the image patches
  (im2col) it runs 2-5x faster there.
* The forward pass of a convolution as the same patch matrix times the weights. Tried
  for every layer; on the AMX CPU it won only for the textbook discriminator's 8->4 px
  layer (256->512 channels).
* A 4x4 stride-2 transposed convolution (the generator's upsampling, and the input
  gradient of the discriminator's downsampling) as one 3x3 convolution that computes
  the four interleaved output phases as channels, then a pixel shuffle. It does 9/4 of
  the multiplications, but for the RGB layers (3 output channels: the generator's last
  layer, the gradient into the discriminator's first) oneDNN's transposed kernels run at
  a tenth of its convolution speed, and this route took 0.40 ms where they took 0.96
  (bf16, batch 64, 16->32 px, AVX-512 BF16 without AMX).

Each layer shape's route is fixed by the rules in `_rule_route`, drawn from those
measurements, never timed: timing picks differently from one process to the next (it
did here for the generator's last weight gradient), and then the same seed, or a run
resumed in another process, would not give the same numbers. The plan of routes also
travels in the checkpoint, so a run resumed by a later version with other rules still
continues bit for bit. `TrainConfig.cpu_routes = False` (`--set train.cpu_routes=false`)
is the off switch: PyTorch's own layers throughout.

Inference (no autograd: sample grids, the explorer, exported artwork) always takes
PyTorch's own convolution, so rendering a saved piece gives the same pixels as before.
Under `torch.compile` and on GPUs the layers are plain PyTorch layers too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


# The patch matrix repeats every input pixel k*k/stride^2 times (4x for the DCGAN's layers).
# Above this size it is not even tried: such layers have large maps, where oneDNN wins,
# and a 256 px model's first layers would need 0.5-1 GB for it.
PATCH_LIMIT_BYTES = 64 * 2**20


class RoutePlan:
    """The route for each (computation, layer shape): chosen by rule on first use, then fixed.

    A trainer owns one and saves it in its checkpoints (`state_dict`), so a run resumed in
    another process takes the routes it trained with, and its numbers continue exactly.
    """

    def __init__(self) -> None:
        self.routes: dict[tuple, str] = {}
        self._saved: dict[str, str] = {}  # from a checkpoint, by the key's text, until first used

    def choose(self, key: tuple, make_candidates: Callable[[], dict[str, Callable[[], torch.Tensor]]]) -> str:
        """The route for `key`: as saved, as chosen before, or by rule among the candidates.

        `make_candidates` is only called the first time a key is seen.
        """
        choice = self.routes.get(key)
        if choice is None:
            choice = self._saved.get(repr(key))
            if choice is None:
                choice = _rule_route(key, set(make_candidates()))
            self.routes[key] = choice
        return choice

    def state_dict(self) -> dict[str, str]:
        """Plain strings (a checkpoint is read with weights_only=True)."""
        return {**self._saved, **{repr(key): route for key, route in self.routes.items()}}

    def load_state_dict(self, state: dict[str, str]) -> None:
        known = {"onednn", "matmul", "phase"}
        self._saved = {str(k): str(v) for k, v in (state or {}).items() if v in known}
        self.routes.clear()


def _rule_route(key: tuple, names: set[str]) -> str:
    """The route for one computation of one layer shape, among the candidate `names`.

    key = (computation, geometry, input shape, weight shape, dtype, channels-last). The rules
    follow the measurements in the module docstring: a dense layer is one matrix product;
    a weight gradient where the smaller map is 4x4 or less (many channels, few pixels) is
    one too; a 4x4 stride-2 transposed convolution to or from an image (4 channels or fewer)
    takes the phase route; everything else, PyTorch's own (oneDNN).
    """
    what, g, x_shape, w_shape = key[0], key[1], key[2], key[3]
    if g.transposed:
        dense = g.padding == 0 and tuple(x_shape[2:]) == (1, 1)
        in_map, out_map = x_shape[2], (x_shape[2] - 1) * g.stride - 2 * g.padding + g.kernel
        image_side = w_shape[1] <= 4  # output channels: the generator's last layer
    else:
        dense = g.padding == 0 and tuple(x_shape[2:]) == (g.kernel, g.kernel)
        in_map, out_map = x_shape[2], (x_shape[2] + 2 * g.padding - g.kernel) // g.stride + 1
        image_side = w_shape[1] <= 4  # input channels: the discriminator's first layer
    if "matmul" in names and dense:
        return "matmul"
    if what == "weight grad" and "matmul" in names and min(in_map, out_map) <= 4:
        return "matmul"
    if what in ("forward", "input grad") and "phase" in names and image_side:
        return "phase"
    return "onednn"


# Layers built as FastConv2d directly (tests, benchmarks) share this one; a trainer passes its own.
PROCESS_PLAN = RoutePlan()


def plans() -> dict[tuple, str]:
    """The routes chosen so far by layers that use the process-wide plan."""
    return dict(PROCESS_PLAN.routes)


@dataclass(frozen=True)
class ConvGeometry:
    """What the fast route needs to know about a layer: square kernel, stride, padding."""

    kernel: int
    stride: int
    padding: int
    transposed: bool


def _geometry(layer: nn.Module) -> ConvGeometry | None:
    """The layer's geometry, or None when it is outside what the fast route handles."""
    square = all(len(set(v)) == 1 for v in (layer.kernel_size, layer.stride, layer.padding))
    plain = (
        layer.groups == 1
        and set(layer.dilation) == {1}
        and set(layer.output_padding) == {0}
        and layer.padding_mode == "zeros"
        and not isinstance(layer.padding, str)
    )
    if not (square and plain):
        return None
    return ConvGeometry(layer.kernel_size[0], layer.stride[0], layer.padding[0], layer.transposed)


def _channels_last(t: torch.Tensor) -> bool:
    return t.dim() == 4 and t.is_contiguous(memory_format=torch.channels_last) and not t.is_contiguous()


def _in_format_of(t: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """`t` laid out like `reference` (mixing layouts sends later element-wise ops down a slow path)."""
    fmt = torch.channels_last if _channels_last(reference) else torch.contiguous_format
    return t.contiguous(memory_format=fmt)


def _patches(x: torch.Tensor, g: ConvGeometry, out_h: int, out_w: int) -> torch.Tensor:
    """im2col: every kernel-sized window of x as one row, (N * out_h * out_w, k * k * C).

    Columns are ordered (kernel row, kernel column, channel), the channels-last order.
    """
    n, c, h, w = x.shape
    k, s, p = g.kernel, g.stride, g.padding
    nhwc = x.permute(0, 2, 3, 1)
    if p:
        padded = nhwc.new_zeros(n, h + 2 * p, w + 2 * p, c)
        padded[:, p : p + h, p : p + w] = nhwc
    else:
        padded = nhwc.contiguous()
    hp, wp = padded.shape[1], padded.shape[2]
    windows = padded.as_strided((n, out_h, out_w, k, k, c), (hp * wp * c, s * wp * c, s * c, wp * c, c, 1))
    return windows.reshape(n * out_h * out_w, k * k * c)


def _weight_matrix(weight: torch.Tensor) -> torch.Tensor:
    """(A, B, k, k) weight as (A, k * k * B), columns in the channels-last order."""
    return weight.permute(0, 2, 3, 1).reshape(weight.shape[0], -1)


def _weight_grad_matmul(inp: torch.Tensor, grad_out: torch.Tensor, g: ConvGeometry) -> torch.Tensor:
    """Gradient of a convolution's weight as one matrix product: grad_out^T @ patches(inp).

    (O, C, k, k) for a convolution of `inp` (N, C, H, W) giving `grad_out` (N, O, OH, OW).
    A transposed convolution's weight gradient is this with the roles of input and
    output swapped, which is how the caller uses it.
    """
    n, o, oh, ow = grad_out.shape
    cols = _patches(inp, g, oh, ow)
    rows = grad_out.permute(0, 2, 3, 1).reshape(n * oh * ow, o)
    return (rows.t() @ cols).reshape(o, g.kernel, g.kernel, inp.shape[1]).permute(0, 3, 1, 2)


def _patches_fit(inp: torch.Tensor, g: ConvGeometry, out_h: int, out_w: int) -> bool:
    """Whether the patch matrix of `inp` for these output sizes is within PATCH_LIMIT_BYTES."""
    n, c = inp.shape[0], inp.shape[1]
    return n * out_h * out_w * g.kernel * g.kernel * c * inp.element_size() <= PATCH_LIMIT_BYTES


def _conv_output_size(x: torch.Tensor, g: ConvGeometry) -> tuple[int, int]:
    """(height, width) of a (non-transposed) convolution's output for input x."""
    return tuple((size + 2 * g.padding - g.kernel) // g.stride + 1 for size in x.shape[2:])


def _is_dense(x: torch.Tensor, g: ConvGeometry) -> bool:
    """True when the layer is a plain matrix product (one output pixel, or a 1x1 input)."""
    if g.padding:
        return False
    if g.transposed:
        return x.shape[2] == 1 and x.shape[3] == 1
    return x.shape[2] == g.kernel and x.shape[3] == g.kernel


# The DCGAN's up- and downsampling: 4x4 kernel, stride 2, padding 1 (what the phase route handles).
_PHASE_GEOMETRY = (4, 2, 1)
# Output row 2m + a of such a transposed convolution sums input rows m-1, m and m+1 (taps 0, 1,
# 2) times these kernel rows: kernel row a + 3 - 2 * tap, where 4 (past the kernel) means none.
_PHASE_KERNEL_ROWS = torch.tensor([[3, 1, 4], [4, 2, 0]])


def _phase_fits(g: ConvGeometry) -> bool:
    return (g.kernel, g.stride, g.padding) == _PHASE_GEOMETRY


def _phase_weight(weight: torch.Tensor) -> torch.Tensor:
    """(Cin, Cout, 4, 4) transposed-convolution weight as a (4 * Cout, Cin, 3, 3) convolution's.

    Output channel (c, a, b) of the 3x3 convolution is output channel c at row phase a and
    column phase b; the 5 of its 9 taps per phase that no kernel entry reaches are zeros.
    """
    cin, cout = weight.shape[:2]
    rows = _PHASE_KERNEL_ROWS  # the fast routes run on the CPU only
    padded = F.pad(weight.permute(1, 0, 2, 3), (0, 1, 0, 1))  # kernel index 4 reads a zero
    taps = padded[:, :, rows[:, :, None, None], rows[None, None, :, :]]  # (Cout, Cin, a, ty, b, tx)
    phases = taps.permute(0, 2, 4, 1, 3, 5).reshape(4 * cout, cin, 3, 3)
    return _in_format_of(phases, weight)


def _phase_transposed(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """conv_transpose2d(x, weight, stride=2, padding=1) as a 3x3 convolution and a pixel shuffle."""
    return _in_format_of(F.pixel_shuffle(F.conv2d(x, _phase_weight(weight), None, 1, 1), 2), x)


class _FastConvFunction(torch.autograd.Function):
    """A convolution (or transposed one) whose forward and gradients take the faster route.

    The backward is written with differentiable operations, so double backward (R1 and
    gradient penalties) works through it. Once a layer shape's routes are chosen, a call
    is a dictionary lookup and the chosen computation; the candidates (closures for the
    autotuner) are only built the first time. A step makes ~30 of these calls.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, g: ConvGeometry, plan: RoutePlan):
        ctx.save_for_backward(x, weight)
        ctx.geometry = g
        ctx.has_bias = bias is not None
        # torch.Size is a tuple: hashable and equal to the plain tuple of the same sizes.
        shape_key = (g, x.shape, weight.shape, x.dtype, _channels_last(x))
        ctx.shape_key = shape_key
        ctx.plan = plan
        key = ("forward",) + shape_key
        route = plan.choose(key, lambda: _forward_candidates(x, weight, bias, g))
        return _FORWARD_ROUTES[route](x, weight, bias, g)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        g = ctx.geometry
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        grad_out = _in_format_of(grad_out, weight)  # the layout the forward gave its output
        w_route = x_route = None
        if need_w:
            key = ("weight grad",) + ctx.shape_key
            w_route = ctx.plan.choose(key, lambda: _weight_grad_candidates(grad_out, x, weight, g))
        if need_x:
            key = ("input grad",) + ctx.shape_key
            x_route = ctx.plan.choose(key, lambda: _input_grad_candidates(grad_out, x, weight, g))
        if x_route == w_route == "onednn":
            grad_x, grad_w = _onednn_backward(grad_out, x, weight, g, (True, True))  # one call, shared set-up
        else:
            grad_w = _WEIGHT_GRAD_ROUTES[w_route](grad_out, x, weight, g) if need_w else None
            grad_x = _INPUT_GRAD_ROUTES[x_route](grad_out, x, weight, g) if need_x else None
        if grad_w is not None:
            grad_w = _in_format_of(grad_w, weight)
        if grad_x is not None:
            grad_x = _in_format_of(grad_x, x)
        grad_b = grad_out.sum(dim=(0, 2, 3)) if ctx.has_bias and need_b else None
        return grad_x, grad_w, grad_b, None, None


def _forward_candidates(x, weight, bias, g: ConvGeometry) -> dict[str, Callable[[], torch.Tensor]]:
    """The routes that can compute this forward pass, as calls for the autotuner to time."""
    names = ["onednn"]
    if _is_dense(x, g) if g.transposed else _patches_fit(x, g, *_conv_output_size(x, g)):
        names.append("matmul")  # a transposed layer only when dense: otherwise it would need col2im
    if g.transposed and _phase_fits(g):
        names.append("phase")
    return {name: functools.partial(_FORWARD_ROUTES[name], x, weight, bias, g) for name in names}


def _weight_grad_candidates(grad_out, x, weight, g: ConvGeometry) -> dict[str, Callable[[], torch.Tensor]]:
    names = ["onednn"]
    patch_source, rows = (grad_out, x) if g.transposed else (x, grad_out)
    if _patches_fit(patch_source, g, rows.shape[2], rows.shape[3]):
        names.append("matmul")
    return {name: functools.partial(_WEIGHT_GRAD_ROUTES[name], grad_out, x, weight, g) for name in names}


def _input_grad_candidates(grad_out, x, weight, g: ConvGeometry) -> dict[str, Callable[[], torch.Tensor]]:
    names = ["onednn"]
    if _is_dense(x, g):
        names.append("matmul")
    if not g.transposed and _phase_fits(g) and x.shape[2:] == tuple(2 * n for n in grad_out.shape[2:]):
        names.append("phase")  # a convolution's input gradient is the transposed convolution of grad_out
    return {name: functools.partial(_INPUT_GRAD_ROUTES[name], grad_out, x, weight, g) for name in names}


def _onednn_forward(x, weight, bias, g: ConvGeometry) -> torch.Tensor:
    if g.transposed:
        return F.conv_transpose2d(x, weight, bias, g.stride, g.padding)
    return F.conv2d(x, weight, bias, g.stride, g.padding)


def _onednn_backward(grad_out, x, weight, g: ConvGeometry, mask: tuple[bool, bool]):
    s, p = [g.stride] * 2, [g.padding] * 2
    grad_x, grad_w, _ = torch.ops.aten.convolution_backward(
        grad_out, x, weight, None, s, p, [1, 1], g.transposed, [0, 0], 1, [mask[0], mask[1], False]
    )
    return grad_x, grad_w


def _matmul_forward(x, weight, bias, g: ConvGeometry) -> torch.Tensor:
    n = x.shape[0]
    if g.transposed:  # dense only: (N, Cin, 1, 1) @ (Cin, k * k * Cout)
        rows, matrix = x.reshape(n, -1), _weight_matrix(weight)
        out_c, out_h, out_w = weight.shape[1], g.kernel, g.kernel
    else:
        out_h, out_w = _conv_output_size(x, g)
        rows, matrix = _patches(x, g, out_h, out_w), _weight_matrix(weight).t()
        out_c = weight.shape[0]
    # The product is written straight into the output tensor, which must not be a view:
    # the next layer may be an in-place activation.
    if _channels_last(weight):
        out = torch.empty((n, out_c, out_h, out_w), dtype=x.dtype, memory_format=torch.channels_last)
        torch.mm(rows, matrix, out=out.permute(0, 2, 3, 1).view(rows.shape[0], matrix.shape[1]))
    else:
        out = torch.empty((n, out_c, out_h, out_w), dtype=x.dtype)
        out.copy_((rows @ matrix).reshape(n, out_h, out_w, out_c).permute(0, 3, 1, 2))
    if bias is not None:
        out += bias.view(1, -1, 1, 1)
    return out


def _phase_forward(x, weight, bias) -> torch.Tensor:
    out = _phase_transposed(x, weight)
    if bias is not None:
        out += bias.view(1, -1, 1, 1)
    return out


def _matmul_weight_grad(x, grad_out, g: ConvGeometry) -> torch.Tensor:
    if g.transposed:  # the transposed layer's weight (Cin, Cout, k, k): input and output swap roles
        return _weight_grad_matmul(grad_out, x, g)
    return _weight_grad_matmul(x, grad_out, g)


def _matmul_input_grad(grad_out, x, weight, g: ConvGeometry) -> torch.Tensor:
    """Input gradient of a dense layer (see _is_dense) as one matrix product."""
    n = x.shape[0]
    if g.transposed:  # (N, k * k * Cout) @ (k * k * Cout, Cin) -> (N, Cin, 1, 1)
        rows = grad_out.permute(0, 2, 3, 1).reshape(n, -1)
        return (rows @ _weight_matrix(weight).t()).reshape(n, -1, 1, 1)
    # (N, O) @ (O, k * k * C) -> (N, k, k, C)
    grad = grad_out.reshape(n, -1) @ _weight_matrix(weight)
    return grad.reshape(n, g.kernel, g.kernel, x.shape[1]).permute(0, 3, 1, 2)


# Every route of each computation, with one signature per computation.
_FORWARD_ROUTES: dict[str, Callable[..., torch.Tensor]] = {
    "onednn": _onednn_forward,
    "matmul": _matmul_forward,
    "phase": lambda x, weight, bias, g: _phase_forward(x, weight, bias),
}
_WEIGHT_GRAD_ROUTES: dict[str, Callable[..., torch.Tensor]] = {
    "onednn": lambda grad_out, x, weight, g: _onednn_backward(grad_out, x, weight, g, (False, True))[1],
    "matmul": lambda grad_out, x, weight, g: _matmul_weight_grad(x, grad_out, g),
}
_INPUT_GRAD_ROUTES: dict[str, Callable[..., torch.Tensor]] = {
    "onednn": lambda grad_out, x, weight, g: _onednn_backward(grad_out, x, weight, g, (True, False))[0],
    "matmul": lambda grad_out, x, weight, g: _matmul_input_grad(grad_out, x, weight, g),
    "phase": lambda grad_out, x, weight, g: _phase_transposed(grad_out, weight),
}


def _fast_route_applies(layer: nn.Module, x: torch.Tensor) -> bool:
    return (
        layer.fast
        and layer.geometry is not None
        and x.device.type == "cpu"
        and x.dim() == 4
        and torch.is_grad_enabled()
        and not torch.compiler.is_compiling()
        # Without autocast, mismatched dtypes go to PyTorch, which reports them in its own words.
        and (torch.is_autocast_enabled("cpu") or x.dtype == layer.weight.dtype)
    )


def _fast_conv(layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    weight, bias = layer.weight, layer.bias
    if torch.is_autocast_enabled("cpu"):
        # Cast as autocast would for a convolution, then run the function without it.
        dtype = torch.get_autocast_dtype("cpu")
        x, weight = x.to(dtype), weight.to(dtype)
        bias = bias.to(dtype) if bias is not None else None
        with torch.autocast("cpu", enabled=False):
            return _FastConvFunction.apply(x, weight, bias, layer.geometry, layer.plan)
    return _FastConvFunction.apply(x, weight, bias, layer.geometry, layer.plan)


class FastConv2d(nn.Conv2d):
    """nn.Conv2d that trains faster on a CPU (see the module docstring); same weights."""

    def __init__(self, *args, plan: RoutePlan | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        _make_fast(self, plan or PROCESS_PLAN)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _fast_route_applies(self, x):
            return _fast_conv(self, x)
        return nn.Conv2d.forward(self, x)


class FastConvTranspose2d(nn.ConvTranspose2d):
    """nn.ConvTranspose2d that trains faster on a CPU (see the module docstring); same weights."""

    def __init__(self, *args, plan: RoutePlan | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        _make_fast(self, plan or PROCESS_PLAN)

    def forward(self, x: torch.Tensor, output_size: list[int] | None = None) -> torch.Tensor:
        if output_size is None and _fast_route_applies(self, x):
            return _fast_conv(self, x)
        return nn.ConvTranspose2d.forward(self, x, output_size)


def _make_fast(layer: nn.Module, plan: RoutePlan) -> None:
    layer.geometry = _geometry(layer)
    layer.plan = plan
    layer.fast = True  # False: always PyTorch's own convolution


_FAST_CLASS = {nn.Conv2d: FastConv2d, nn.ConvTranspose2d: FastConvTranspose2d}


def speed_up(module: nn.Module, plan: RoutePlan) -> int:
    """Give every plain convolution in `module` the fast routes, choosing them with `plan`.

    The layers keep their parameters and state_dict (only their class changes); returns how
    many layers were changed. Layers of other types are left alone.
    """
    changed = 0
    for layer in module.modules():
        fast_class = _FAST_CLASS.get(type(layer))
        if fast_class is not None:
            layer.__class__ = fast_class
            _make_fast(layer, plan)
            changed += 1
        elif isinstance(layer, (FastConv2d, FastConvTranspose2d)):
            _make_fast(layer, plan)
    return changed


def use_stock_convolutions(module: nn.Module, stock: bool = True) -> nn.Module:
    """Make every fast layer in `module` use PyTorch's own convolution (or undo that)."""
    for layer in module.modules():
        if isinstance(layer, (FastConv2d, FastConvTranspose2d)):
            layer.fast = not stock
    return module
