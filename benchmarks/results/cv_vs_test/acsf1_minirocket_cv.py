import numpy as np
from aeon.datasets import load_classification
from aeon.classification.convolution_based import MiniRocketClassifier
from sklearn.model_selection import StratifiedKFold
X, y = load_classification("ACSF1", split="train")
Xt, yt = load_classification("ACSF1", split="test")
for seed in range(2):
    per=[]; sub=[]
    for tr, va in StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y):
        m = MiniRocketClassifier(random_state=seed).fit(X[tr], y[tr])
        per.append((m.predict(X[va])==y[va]).mean()); sub.append((m.predict(Xt)==yt).mean())
    print(seed, "cv", np.round(per,2), np.mean(per).round(3), "| fold models on test", np.round(sub,2), np.mean(sub).round(3))
