# Golden split indices from scikit-learn, for split_test.go.
# Run with Debian's Python (scikit-learn 1.2.1, NumPy 1.24.2):
#   /usr/bin/python3 gen_splits.py > splits_circles.txt
import hashlib
import numpy as np
from sklearn.datasets import make_circles
from sklearn.model_selection import StratifiedKFold, train_test_split


def line(name, idx):
    idx = [int(i) for i in idx]
    text = ",".join(map(str, idx))
    print(f"{name} n={len(idx)} sha256={hashlib.sha256(text.encode()).hexdigest()} head={','.join(map(str, idx[:10]))}")


X, y = make_circles(n_samples=1000, noise=0.1, random_state=1)
for k, (train, test) in enumerate(StratifiedKFold(n_splits=5).split(X, y)):
    line(f"circles_skf5_fold{k}_test", test)
r = np.arange(1000)
for seed in (0, 1, 42):
    tr, te = train_test_split(r, test_size=0.2, stratify=y, random_state=seed)
    line(f"circles_stratified_test0.2_seed{seed}_train", tr)
    line(f"circles_stratified_test0.2_seed{seed}_test", te)
tr, te = train_test_split(np.arange(60000), train_size=0.7, random_state=100)
line("mnist_train0.7_seed100_train", tr)
line("mnist_train0.7_seed100_test", te)
