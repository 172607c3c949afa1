"""A stand-in for a training script: reads its parameters from the command line, writes result.json.

bottle runs it once per parameter set (see bottle.yaml beside it), in the task's own output folder.
Nothing here knows about bottle except the convention: whatever lands in result.json is the result.
"""
import argparse
import json
import math
import os
import random

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--seed", type=int, required=True)
parser.add_argument("--epochs", type=int, default=50)
parser.add_argument("--out", default=".")
args = parser.parse_args()

random.seed(args.seed)
# Gradient descent on f(w) = (w - 3)^2 from a random start: the "loss" we report.
w = random.uniform(-10, 10)
for epoch in range(args.epochs):
    w -= args.lr * 2 * (w - 3)
    print(f"epoch {epoch} w={w:.6f}")  # goes to the task's stdout.log
loss = (w - 3) ** 2

with open(os.path.join(args.out, "result.json"), "w") as f:
    json.dump({"loss": loss, "w": w, "converged": math.isfinite(loss) and loss < 1e-3}, f)
