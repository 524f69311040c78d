#!/usr/bin/python3
"""PyTorch CPU reference for `fer bench`: the thesis's two CNNs, batch 32, Adam.

Builds mnist-cnn (chapter 6) and fer-cnn (chapter 8) exactly as fer/architectures.go
does (same layers, same parameter counts), trains them on random images for a few
timed windows after a warm-up, and prints the median training and inference
throughput in images/second, plus the process CPU time per training step (steadier
than wall time when other processes share the cores).

Run with Debian's interpreter, which is the one python3-torch installs into:

    /usr/bin/python3 bench/pytorch_bench.py --model mnist-cnn
    /usr/bin/python3 bench/pytorch_bench.py --model fer-cnn --threads 2 --channels-last
"""

import argparse
import statistics
import time
import warnings

import torch
from torch import nn


class Rescale(nn.Module):
    """Multiplies by a constant, like Keras' Rescaling(1/255)."""

    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return x * self.scale


def mnist_cnn():
    """/255 → 4 × [Conv relu → MaxPool 2] (256 3×3 valid, 128 2×2 valid, 64 2×2 same, 64 2×2 same) → Dense 10."""
    return nn.Sequential(
        Rescale(1 / 255),
        nn.Conv2d(1, 256, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(256, 128, 2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(128, 64, 2, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 2, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64, 10),  # softmax is in the loss
    )


def fer_cnn():
    """/255 → 4 × [Conv 3×3 same relu → MaxPool 3/2 → BatchNorm → Dropout 0.25] → Dense 7."""
    layers = [Rescale(1 / 255)]
    cin = 1
    for f in (64, 64, 256, 256):
        layers += [nn.Conv2d(cin, f, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(3, 2),
                   nn.BatchNorm2d(f), nn.Dropout(0.25)]
        cin = f
    layers += [nn.Flatten(), nn.Linear(2 * 2 * 256, 7)]
    return nn.Sequential(*layers)


MODELS = {
    "mnist-cnn": (mnist_cnn, (1, 28, 28), 10, 183690),
    "fer-cnn": (fer_cnn, (1, 48, 48), 7, 785095),
}


def timed_windows(step, windows, steps):
    """Runs `step` steps×windows times; returns (seconds, cpu seconds) per window."""
    out = []
    for _ in range(windows):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        out.append((time.perf_counter() - w0, time.process_time() - c0))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=sorted(MODELS), default="mnist-cnn")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=10, help="steps per timed window")
    ap.add_argument("--windows", type=int, default=5, help="timed windows (the median is reported)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (the machine has 2 cores)")
    ap.add_argument("--channels-last", action="store_true", help="use the channels-last memory format")
    args = ap.parse_args()

    # padding="same" with an even kernel pads asymmetrically (0 before, 1 after), as Keras does.
    warnings.filterwarnings("ignore", message="Using padding='same' with even kernel")
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    build, shape, classes, want_params = MODELS[args.model]
    model = build()
    # Keras counts BatchNorm's moving mean and variance as (non-trainable) parameters.
    params = sum(p.numel() for p in model.parameters()) + sum(
        b.numel() for name, b in model.named_buffers() if name.endswith(("running_mean", "running_var")))
    assert params == want_params, f"{args.model}: {params} parameters, want {want_params}"
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    x = (torch.rand(args.batch, *shape) * 255).to(memory_format=fmt)
    y = torch.randint(0, classes, (args.batch,))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    def infer_step():
        with torch.no_grad():
            model(x)

    model.train()
    for _ in range(args.warmup):
        train_step()
    train = timed_windows(train_step, args.windows, args.steps)
    model.eval()
    for _ in range(args.warmup):
        infer_step()
    infer = timed_windows(infer_step, args.windows, args.steps)

    n = args.batch * args.steps
    train_ips = [n / wall for wall, _ in train]
    infer_ips = [n / wall for wall, _ in infer]
    cpu_ms = [1000 * cpu / args.steps for _, cpu in train]
    layout = "channels-last" if args.channels_last else "NCHW"
    print(f"pytorch {torch.__version__} {args.model} {layout} threads={args.threads} batch={args.batch} "
          f"params={params}")
    print(f"train: median {statistics.median(train_ips):.1f} images/s "
          f"(windows: {' '.join(f'{v:.1f}' for v in train_ips)}); "
          f"median CPU {statistics.median(cpu_ms):.1f} ms/step")
    print(f"infer: median {statistics.median(infer_ips):.1f} images/s "
          f"(windows: {' '.join(f'{v:.1f}' for v in infer_ips)})")


if __name__ == "__main__":
    main()
