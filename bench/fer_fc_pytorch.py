#!/usr/bin/env python3
"""The thesis's FER2013 fully connected network (chapter 8) in PyTorch, set up
as Keras sets it up, to tell our Go numbers apart from seed luck.

    /usr/bin/python3 bench/fer_fc_pytorch.py [--data DIR] [--seed N] [--epochs 5]

Keras semantics reproduced: glorot-uniform kernels and zero biases,
BatchNormalization with momentum 0.99 (PyTorch's momentum=0.01) and epsilon
1e-3, Dropout 0.25, Adam(lr=1e-3, eps=1e-7), batch 32, reshuffled every epoch,
inputs /255. Train on Training, validate on PublicTest, test on PrivateTest.
Prints one line per epoch: training loss/accuracy (dropout on, batch
statistics), then PublicTest and PrivateTest accuracy in inference mode.
One CPU thread, so it can run beside other jobs.
"""
import argparse, csv, gzip, os, time

import numpy as np
import torch
import torch.nn as nn


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("FER_DATA_DIR", "../shared/data"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    rows = {"Training": [], "PublicTest": [], "PrivateTest": []}
    path = os.path.join(a.data, "fer2013", "fer2013.csv.gz")
    with gzip.open(path, "rt") as f:
        r = csv.reader(f)
        next(r)
        for emotion, pixels, usage in r:
            rows[usage].append((int(emotion), np.array(pixels.split(), dtype=np.float32)))

    def xy(usage):
        return (torch.tensor(np.stack([p for _, p in rows[usage]]) / 255.0),
                torch.tensor([e for e, _ in rows[usage]]))

    xtr, ytr = xy("Training")
    xva, yva = xy("PublicTest")
    xte, yte = xy("PrivateTest")

    def dense(i, o):
        layer = nn.Linear(i, o)
        nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)
        return layer

    m = nn.Sequential(dense(2304, 288), nn.ReLU(), dense(288, 128), nn.ReLU(), dense(128, 64), nn.ReLU(),
                      dense(64, 64), nn.ReLU(), nn.BatchNorm1d(64, eps=1e-3, momentum=0.01), nn.Dropout(0.25),
                      dense(64, 7))
    opt = torch.optim.Adam(m.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()

    def accuracy(x, y):
        m.eval()
        with torch.no_grad():
            return (m(x).argmax(1) == y).float().mean().item()

    for epoch in range(a.epochs):
        t = time.time()
        m.train()
        perm = torch.randperm(len(xtr))
        total_loss = total_acc = 0.0
        for i in range(0, len(xtr), 32):
            idx = perm[i:i + 32]
            out = m(xtr[idx])
            loss = loss_fn(out, ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total_loss += loss.item() * len(idx)
            total_acc += (out.argmax(1) == ytr[idx]).sum().item()
        print("seed %d epoch %d: loss %.4f accuracy %.4f | PublicTest %.4f | PrivateTest %.4f | %.1fs" % (
            a.seed, epoch + 1, total_loss / len(xtr), total_acc / len(xtr), accuracy(xva, yva), accuracy(xte, yte),
            time.time() - t), flush=True)


if __name__ == "__main__":
    main()
