"""U-Net (Ronneberger, Fischer & Brox, "U-Net: convolutional networks for biomedical image
segmentation", MICCAI 2015), optionally with the additive attention gates of the Attention U-Net
(Oktay et al., MIDL 2018).

    encoder  level i: ConvBlock(→ base·2ⁱ channels), then max-pool 2     (i = 0 … depth−1)
    bottom   ConvBlock(→ base·2^depth)
    decoder  level i: up-convolution (2×2, stride 2) to base·2ⁱ channels, concatenated with the
             encoder's level-i output (the skip connection), ConvBlock(→ base·2ⁱ)
    head     1×1 convolution to out_channels: logits, one per pixel and class

An attention gate weighs each skip connection by a map α ∈ (0, 1) computed from the skip x and
the decoder's signal g at the same level: α = σ(ψ(ReLU(W_x x + W_g g))) with 1×1 convolutions,
so that the decoder receives α·x — the encoder's features where the decoder finds them relevant.
(Here g is taken after the up-convolution, at the skip's resolution, a common simplification.)
"""

from __future__ import annotations

from minidl.nn import BatchNorm2d, Conv2d, ConvTranspose2d, MaxPool2d, Module, ReLU, Sequential
from minidl.shapes import positive_int
from minidl.tensor import Tensor, concatenate


def conv_block(in_channels: int, out_channels: int) -> Sequential:
    """Two 3×3 convolutions, each followed by batch normalisation and ReLU; the size is kept."""
    return Sequential(
        Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        BatchNorm2d(out_channels),
        ReLU(),
        Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        BatchNorm2d(out_channels),
        ReLU(),
    )


class AttentionGate(Module):
    def __init__(self, skip_channels: int, gate_channels: int, inner_channels: int):
        super().__init__()
        self.skip_projection = Conv2d(skip_channels, inner_channels, 1, bias=False)
        self.gate_projection = Conv2d(gate_channels, inner_channels, 1)
        self.psi = Conv2d(inner_channels, 1, 1)
        self.last_attention: Tensor | None = None  # α of the latest forward pass, (N, 1, H, W)

    def forward(self, skip: Tensor, gate: Tensor) -> Tensor:
        attention = self.psi((self.skip_projection(skip) + self.gate_projection(gate)).relu()).sigmoid()
        self.last_attention = attention
        return skip * attention


class UNet(Module):
    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 1,
        base_channels: int = 8,
        depth: int = 2,
        attention: bool = False,
    ):
        super().__init__()
        self.depth = positive_int("UNet", "depth", depth)
        widths = [base_channels * 2**level for level in range(depth + 1)]
        self.encoders = Sequential(
            *[conv_block(in_channels if level == 0 else widths[level - 1], widths[level]) for level in range(depth)]
        )
        self.pool = MaxPool2d(2)
        self.bottom = conv_block(widths[depth - 1], widths[depth])
        self.ups = Sequential(
            *[ConvTranspose2d(widths[level + 1], widths[level], 2, stride=2) for level in reversed(range(depth))]
        )
        self.decoders = Sequential(*[conv_block(2 * widths[level], widths[level]) for level in reversed(range(depth))])
        self.gates = (
            Sequential(
                *[
                    AttentionGate(widths[level], widths[level], max(1, widths[level] // 2))
                    for level in reversed(range(depth))
                ]
            )
            if attention
            else None
        )
        self.head = Conv2d(widths[0], out_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        multiple = 2**self.depth
        if x.ndim != 4 or x.shape[2] % multiple or x.shape[3] % multiple:
            raise ValueError(
                f"UNet(depth={self.depth}): height and width must be divisible by {multiple} (each of the "
                f"{self.depth} max-pools halves them), e.g. {multiple * 4}, {multiple * 8} or "
                f"{multiple * 16}; got input of shape {x.shape}"
            )
        skips = []
        for encoder in self.encoders:
            x = encoder(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottom(x)
        for index, (up, decoder) in enumerate(zip(self.ups, self.decoders)):
            x = up(x)
            skip = skips[-1 - index]
            if self.gates is not None:
                skip = self.gates[index](skip, x)
            x = decoder(concatenate([skip, x], axis=1))
        return self.head(x)

    def attention_maps(self) -> list[Tensor]:
        """α of each gate from the latest forward pass, from the coarsest level to the finest."""
        if self.gates is None:
            raise ValueError("UNet: this model has no attention gates (build it with attention=True)")
        return [gate.last_attention for gate in self.gates]
