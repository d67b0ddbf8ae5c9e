import numpy as np, time
from aeon.datasets import load_regression
from aeon.regression.convolution_based import MiniRocketRegressor
from sklearn.model_selection import KFold
X, y = load_regression("Covid3Month", split="train")
Xt, yt = load_regression("Covid3Month", split="test")
print(X.shape, Xt.shape, np.percentile(y,[0,25,50,75,90,99,100]).round(4), np.percentile(yt,[0,50,90,100]).round(4))
for seed in range(3):
    oof = np.zeros_like(y); per=[]
    for tr, va in KFold(5, shuffle=True, random_state=seed).split(X):
        m = MiniRocketRegressor(random_state=seed).fit(X[tr], y[tr]); p = m.predict(X[va]); oof[va]=p
        per.append(np.sqrt(np.mean((p-y[va])**2)))
    m = MiniRocketRegressor(random_state=seed).fit(X, y)
    print(seed, "cv fold rmse", np.round(per,4), "mean", np.mean(per).round(4), "test", np.sqrt(np.mean((m.predict(Xt)-yt)**2)).round(4),
          "predict-mean test", np.sqrt(np.mean((y.mean()-yt)**2)).round(4), "cv of mean", np.sqrt(np.mean((y.mean()-y)**2)).round(4))
