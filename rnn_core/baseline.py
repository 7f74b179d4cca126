"""A model that ignores word order: the baseline every RNN classifier should beat.

Multinomial logistic regression on word and word-pair counts (1–2-grams), TF-IDF weighted,
trained on a task's TRAINING split only. If the network scores no better than this on the
test split, it has not used the order of the words — which is the whole point of reading
them one at a time.

    score = task_baseline(load_task("sentiment", seed=0))   # BaselineScore, or None
    model = fit_bag_of_words(docs, y, n_classes=2)          # any token sequences
    model.predict([["not", "bad"]])                         # (1,) class ids

What a practitioner would build with scikit-learn's ``TfidfVectorizer(ngram_range=(1, 2),
max_features=50_000)`` + ``LogisticRegression()``, in numpy alone:

* **Features.** Every n-gram of order 1..``ngrams`` of a document, never across documents.
  Unigrams need 1 occurrence in the training split, longer n-grams ``min_count`` (default 2;
  unlike scikit-learn's ``min_df``, occurrences, not documents, and words are exempt); the
  ``max_features`` most frequent (by occurrences, as scikit-learn ranks them) survive
  (ties: lower order first, then the order the vectoriser met them, so the choice never
  depends on Python's hash seed).
* **Weights.** ``tf · idf`` with the smoothed ``idf = ln((1 + N) / (1 + df)) + 1`` over the
  N training documents (``df``: how many contain the n-gram), ``tf`` the raw count or
  ``1 + ln(count)`` with ``sublinear_tf``; ``tfidf=False`` keeps ``tf`` alone. Every row is
  then scaled to unit L2 norm (a document with no known n-gram stays a zero row).
* **Model.** Scores ``X @ W + b`` (W ``(F, K)``, b ``(K,)``), softmax over K classes. The
  loss is the mean cross-entropy plus ``l2 / (2N) · ‖W‖²`` — i.e. scikit-learn's objective
  with ``C = 1 / l2`` (the bias is not penalised). Minimised by full-batch L-BFGS with a
  backtracking line search, at most ``iterations`` iterations or until every gradient
  component is below ``tol`` (scikit-learn's defaults: 100 and 1e-4): deterministic, the
  same documents give the same weights bit for bit. Two classes are fitted in the binary
  form ``W = [−w/2, w/2]`` (the same optimum at half the cost).
* **Sparse in numpy.** The design matrix is CSR arrays (:class:`Csr`) built here. Per
  class, ``X @ w`` is ``np.add.reduceat(data * w[indices], row starts)`` and ``Xᵀ @ g`` the
  same over the entries sorted by column once (:class:`Design`) — no ``np.add.at``, no sort
  per step (``np.bincount`` with weights does the same sums, 1.5× slower here).

Speed: ``python -m benchmarks.baseline`` fits 30 000 synthetic texts of two classes (17
tokens on average, 26 600 distinct words, 50 000 features kept) in 0.69 s on the project's
2-core machine, 0.13 s of it vectorising (its docstring has the figures and the load beside
them). The cost of L-BFGS grows with the number of classes: 5 classes took 4.6 s of CPU.
No BLAS call anywhere (see :func:`_dot`), so BLAS threads never matter.

What it shows on the built-in tasks (measured; see tests/core/test_baseline.py):

* sentiment: the test split is made of held-out (negation, adjective) combinations, so the
  baseline's test accuracy IS its accuracy on unseen combinations: 27%, 34% and 34% for
  seeds 0, 1 and 2 — worse than chance, since it reads the adjective and misses the
  negation — where the default GRU reaches 98.5%, 97.6% and 97.7% (``train_to_goal``). A bag
  of words cannot compose "never" with "boring" when it never saw them together.
* parity: token inputs "0"/"1", so it has a baseline — about 50%, chance. Counting the 1s is
  not enough for a linear model; the RNN's toggle is.
* dense tasks (adding, sine) and per-step tasks (chars, words, copy): no baseline
  (:func:`task_baseline` returns None).
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from rnn_core.data import SequenceData

if TYPE_CHECKING:
    from rnn_core.tasks.base import Task

PAD_ID = 0  # rnn_core.tasks.base.PAD_ID: token id 0 is <pad>; id 1 (<unk>) is a token here
BASELINE_NAME = "bag of words (1–2-grams, TF-IDF, logistic regression)"


# ----------------------------------------------------------------------------- sparse rows


class Csr(NamedTuple):
    """A sparse (N, F) matrix in compressed sparse row form.

    indptr: (N + 1,) int64, row i's entries are ``indptr[i]:indptr[i + 1]``;
    indices: (nnz,) int64 column of each entry, ascending within a row;
    data: (nnz,) float64 values.
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    shape: tuple[int, int]

    def rows(self) -> np.ndarray:
        """(nnz,) int64: the row of every entry."""
        return np.repeat(np.arange(self.shape[0], dtype=np.int64), np.diff(self.indptr))

    def to_dense(self) -> np.ndarray:
        """(N, F) float64 (for tests and small cases)."""
        out = np.zeros(self.shape)
        out[self.rows(), self.indices] = self.data
        return out


# ----------------------------------------------------------------------------- vectoriser


@dataclass(frozen=True, eq=False)
class Vectorizer:
    """A fitted n-gram vocabulary with its idf: documents -> :class:`Csr` rows.

    tokens: every token of the training documents, in the order first met (id = position);
    index: token -> id;
    grams: ``grams[k − 1]`` for each order k >= 2: the sorted (n_k,) int64 codes of the
        k-grams met in training, ``code = id of its first k − 1 tokens (their position in
        grams[k − 2], or the token id for k = 2) · U + id of its last token``, U =
        len(tokens); a k-gram's id is its position here. ``grams[0]`` is empty (words
        are their token ids);
    columns: ``columns[k − 1]``: (n_k,) int64 column of each k-gram, or −1 (not a feature);
    idf: (F,) float64 (ones without tf-idf).
    """

    tokens: tuple[Hashable, ...]
    index: dict[Hashable, int]
    grams: tuple[np.ndarray, ...]
    columns: tuple[np.ndarray, ...]
    idf: np.ndarray
    ngrams: int
    sublinear_tf: bool
    tfidf: bool

    @property
    def n_features(self) -> int:
        return int(self.idf.shape[0])

    def counts(self, docs: Sequence[Sequence[Hashable]]) -> Csr:
        """(N, F) raw n-gram counts of ``docs``; n-grams unseen in training are dropped."""
        tok, lengths = _token_ids(docs, self.index)
        keys = _lookup_keys(tok, lengths, self.grams, len(self.tokens))
        return _csr_from_keys(keys, lengths, self.columns, self.n_features)

    def transform(self, docs: Sequence[Sequence[Hashable]]) -> Csr:
        """(N, F) TF-IDF (or tf) rows of ``docs``, each of unit L2 norm (or zero)."""
        return _weigh(self.counts(docs), self.idf, self.sublinear_tf)

    def feature_names(self) -> list[tuple[Hashable, ...]]:
        """The n-gram of each column, as a tuple of tokens: ``[("not",), ("not", "bad"), …]``."""
        U = len(self.tokens)
        names: list[tuple[Hashable, ...]] = [()] * self.n_features

        def name(order: int, gram: int) -> tuple[Hashable, ...]:
            if order == 1:
                return (self.tokens[gram],)
            code = int(self.grams[order - 1][gram])
            return (*name(order - 1, code // U), self.tokens[code % U])

        for order in range(1, self.ngrams + 1):
            cols = self.columns[order - 1]
            for gram in np.flatnonzero(cols >= 0):
                names[int(cols[gram])] = name(order, int(gram))
        return names


def fit_vectorizer(
    docs: Sequence[Sequence[Hashable]],
    *,
    ngrams: int = 2,
    tfidf: bool = True,
    sublinear_tf: bool = False,
    max_features: int = 50_000,
    min_count: int = 2,
) -> tuple[Vectorizer, Csr]:
    """The vocabulary and idf of ``docs`` (see the module docstring), and ``docs`` transformed
    — the same rows ``vectorizer.transform(docs)`` gives, computed once."""
    if not isinstance(ngrams, int) or not 1 <= ngrams <= 5:
        raise ValueError(f"ngrams must be a whole number from 1 to 5; got {ngrams!r}")
    if not isinstance(max_features, int) or max_features < 1:
        raise ValueError(f"max_features must be a whole number >= 1; got {max_features!r}")
    if not isinstance(min_count, int) or min_count < 1:
        raise ValueError(f"min_count must be a whole number >= 1; got {min_count!r}")
    index: dict[Hashable, int] = {}
    tok, lengths = _token_ids(docs, index, grow=True)
    U = len(index)
    keys, grams, counts = _fit_keys(tok, lengths, ngrams, U)

    # Candidates of every order, ranked by count (ties: lower order, then id), capped.
    orders, ids, freq = [], [], []
    for k, cnt in enumerate(counts, start=1):
        keep = np.flatnonzero(cnt >= (1 if k == 1 else min_count))
        orders.append(np.full(len(keep), k, np.int64))
        ids.append(keep)
        freq.append(cnt[keep])
    order_all, id_all, freq_all = (np.concatenate(a) for a in (orders, ids, freq))
    ranked = np.lexsort((id_all, order_all, -freq_all))[:max_features]
    F = len(ranked)
    columns = []
    for k, cnt in enumerate(counts, start=1):
        col = np.full(len(cnt), -1, np.int64)
        chosen = ranked[order_all[ranked] == k]
        col[id_all[chosen]] = np.flatnonzero(order_all[ranked] == k)
        columns.append(col)

    raw = _csr_from_keys(keys, lengths, columns, F)
    N = len(lengths)
    if tfidf:
        df = np.bincount(raw.indices, minlength=F)
        idf = np.log((1.0 + N) / (1.0 + df)) + 1.0
    else:
        idf = np.ones(F)
    for a in (*grams, *columns, idf):
        a.setflags(write=False)
    vec = Vectorizer(
        tokens=tuple(index),
        index=index,
        grams=tuple(grams),
        columns=tuple(columns),
        idf=idf,
        ngrams=ngrams,
        sublinear_tf=bool(sublinear_tf),
        tfidf=bool(tfidf),
    )
    return vec, _weigh(raw, idf, vec.sublinear_tf)


def _token_ids(
    docs: Sequence[Sequence[Hashable]], index: dict[Hashable, int], grow: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Every token of ``docs`` as an id: (M,) int64 (−1: not in ``index``), and the (N,)
    lengths. ``grow``: new tokens are added to ``index`` (ids in the order first met)."""
    if isinstance(docs, (str, bytes)):
        raise TypeError("docs is a sequence of token sequences, not one text")
    lengths = np.fromiter((len(d) for d in docs), np.int64, count=len(docs))
    if grow:
        ids = [index.setdefault(t, len(index)) for d in docs for t in d]
    else:
        get = index.get
        ids = [get(t, -1) for d in docs for t in d]
    return np.array(ids, dtype=np.int64).reshape(-1), lengths


def _positions(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(M,) document of every token and how many tokens its document has from it on."""
    M = int(lengths.sum())
    doc = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    starts = np.cumsum(lengths) - lengths
    remaining = lengths[doc] - (np.arange(M, dtype=np.int64) - starts[doc])
    return doc, remaining


def _fit_keys(
    tok: np.ndarray, lengths: np.ndarray, ngrams: int, U: int
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Per order k: (M,) id of the k-gram starting at each token (−1: it would cross the end
    of its document), the sorted codes of the k-grams (empty for k = 1) and their counts."""
    _, remaining = _positions(lengths)
    keys = [tok]
    grams = [np.zeros(0, np.int64)]
    counts = [np.bincount(tok, minlength=U)]
    for k in range(2, ngrams + 1):
        at = np.flatnonzero(remaining >= k)
        codes = keys[-1][at] * U + tok[at + k - 1]
        uniq, inverse, cnt = np.unique(codes, return_inverse=True, return_counts=True)
        key = np.full(len(tok), -1, np.int64)
        key[at] = inverse.reshape(-1)
        keys.append(key)
        grams.append(uniq)
        counts.append(cnt)
    return keys, grams, counts


def _lookup_keys(
    tok: np.ndarray, lengths: np.ndarray, grams: Sequence[np.ndarray], U: int
) -> list[np.ndarray]:
    """Like :func:`_fit_keys` for new documents: k-grams unseen in training get id −1."""
    _, remaining = _positions(lengths)
    keys = [tok]
    for k in range(2, len(grams) + 1):
        known = grams[k - 1]
        at = np.flatnonzero(remaining >= k)
        at = at[(keys[-1][at] >= 0) & (tok[at + k - 1] >= 0)]
        codes = keys[-1][at] * U + tok[at + k - 1]
        where = np.searchsorted(known, codes)
        found = where < len(known)
        found[found] = known[where[found]] == codes[found]
        key = np.full(len(tok), -1, np.int64)
        key[at[found]] = where[found]
        keys.append(key)
    return keys


def _csr_from_keys(
    keys: Sequence[np.ndarray], lengths: np.ndarray, columns: Sequence[np.ndarray], F: int
) -> Csr:
    """Count each document's feature columns: (N, F) raw counts, columns ascending."""
    doc, _ = _positions(lengths)
    N = len(lengths)
    codes = []
    for key, col in zip(keys, columns, strict=True):
        at = np.flatnonzero(key >= 0)
        c = col[key[at]]
        hit = c >= 0
        codes.append(doc[at[hit]] * F + c[hit])
    uniq, cnt = np.unique(np.concatenate(codes), return_counts=True)
    rows = uniq // max(F, 1)
    indptr = np.zeros(N + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=N), out=indptr[1:])
    return Csr(indptr, uniq - rows * F, cnt.astype(np.float64), (N, F))


def _weigh(raw: Csr, idf: np.ndarray, sublinear_tf: bool) -> Csr:
    """tf (or 1 + ln tf) · idf, each row scaled to unit L2 norm."""
    tf = 1.0 + np.log(raw.data) if sublinear_tf else raw.data
    data = tf * idf[raw.indices]
    rows = raw.rows()
    norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=raw.shape[0]))
    return Csr(raw.indptr, raw.indices, data / norms[rows], raw.shape)


# ----------------------------------------------------------------------------- the model


class Design:
    """A (N, F) :class:`Csr` matrix with what ``X @ w`` and ``Xᵀ @ g`` need, computed once.

    Both products are one gather, one multiply and one ``np.add.reduceat``: over the rows'
    runs of the CSR arrays for ``X @ w``, and over the columns' runs of the same entries
    sorted by column (CSC order, a stable argsort made here) for ``Xᵀ @ g``. Empty rows and
    columns are skipped (``reduceat`` would give them their neighbour's value).
    """

    def __init__(self, X: Csr):
        N, F = X.shape
        self.shape = (N, F)
        self.indices, self.data = X.indices, X.data
        per_row = np.diff(X.indptr)
        self.row_hit = per_row > 0
        self.row_starts = X.indptr[:-1][self.row_hit]
        order = np.argsort(X.indices, kind="stable")
        per_col = np.bincount(X.indices, minlength=F)
        self.col_hit = per_col > 0
        self.col_starts = (np.cumsum(per_col) - per_col)[self.col_hit]
        self.col_rows = X.rows()[order]
        self.col_data = X.data[order]

    def matvec(self, w: np.ndarray) -> np.ndarray:
        """(F,) -> (N,) ``X @ w``."""
        return _runs(self.data * w[self.indices], self.row_starts, self.row_hit)

    def rmatvec(self, g: np.ndarray) -> np.ndarray:
        """(N,) -> (F,) ``Xᵀ @ g``."""
        return _runs(self.col_data * g[self.col_rows], self.col_starts, self.col_hit)


def _runs(values: np.ndarray, starts: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """Sums of the runs of ``values`` beginning at ``starts``, placed where ``hit`` is True
    in a (len(hit),) array of zeros."""
    if len(starts) == len(hit):
        return np.add.reduceat(values, starts)
    out = np.zeros(len(hit))
    if len(starts):
        out[hit] = np.add.reduceat(values, starts)
    return out


def loss_and_grad(
    X: Csr, y: np.ndarray, weights: np.ndarray, bias: np.ndarray, l2: float
) -> tuple[float, np.ndarray, np.ndarray]:
    """The training objective and its gradient.

    X: (N, F) rows; y: (N,) class ids; weights: (F, K); bias: (K,).
    loss = mean_i −log softmax(x_i W + b)[y_i] + l2 / (2N) · ‖W‖².
    Returns (loss, dW (F, K), db (K,)).
    """
    Wt = np.ascontiguousarray(weights.T)
    loss, gWt, gb = _objective(Design(X), np.asarray(y), Wt, np.asarray(bias), l2)
    return loss, gWt.T, gb


def _scores(X: Design, Wt: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, K) ``X @ Wt.T + b``, one product per class."""
    return np.stack([X.matvec(w) for w in Wt], axis=1) + b


def _softmax(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, K) probabilities and (N,) log-sum-exp of each row."""
    top = Z.max(axis=1, keepdims=True)
    E = np.exp(Z - top)
    total = E.sum(axis=1, keepdims=True)
    return E / total, (np.log(total) + top)[:, 0]


def _objective(
    X: Design, y: np.ndarray, Wt: np.ndarray, b: np.ndarray, l2: float
) -> tuple[float, np.ndarray, np.ndarray]:
    """Loss, dWt (K, F) and db (K,), with the weights class-major (K, F)."""
    N = X.shape[0]
    Z = _scores(X, Wt, b)
    P, lse = _softmax(Z)
    picked = np.arange(N)
    loss = float(np.mean(lse - Z[picked, y]) + l2 / (2 * N) * _dot(Wt.ravel(), Wt.ravel()))
    P[picked, y] -= 1.0
    Gt = np.ascontiguousarray(P.T) / N  # (K, N)
    dWt = np.stack([X.rmatvec(g) for g in Gt]) + (l2 / N) * Wt
    return loss, dWt, Gt.sum(axis=1)


def _binary_objective(
    X: Design, sign: np.ndarray, w: np.ndarray, c: float, l2: float
) -> tuple[float, np.ndarray, float]:
    """Two classes: the same objective for ``W = [−w/2, w/2]``, ``b = [−c/2, c/2]`` (the
    form the multinomial optimum takes), at half the cost. sign: (N,) +1 for class 1, −1 for
    class 0. loss = mean softplus(−sign · (x w + c)) + l2 / (4N) · ‖w‖². Returns
    (loss, dw (F,), dc)."""
    N = X.shape[0]
    margin = sign * (X.matvec(w) + c)
    loss = float(np.mean(np.logaddexp(0.0, -margin)) + l2 / (4 * N) * _dot(w, w))
    g = -sign * np.exp(-np.logaddexp(0.0, margin)) / N  # −sign · σ(−margin) / N
    return loss, X.rmatvec(g) + (l2 / (2 * N)) * w, float(g.sum())


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """a · b for 1-D arrays without BLAS: ``np.dot`` would call BLAS, whose threads (unless
    the process limits them to one, as the app and the tests do) spin and fight for the
    cores of a busy machine — 10× slower fits seen here — and whose per-thread partial sums
    round differently for different thread counts. einsum's own loop is single-threaded."""
    return float(np.einsum("i,i->", a, b))


def lbfgs(fun, x0: np.ndarray, iterations: int, memory: int = 10, gtol: float = 1e-6):
    """Minimise ``fun(x) -> (f, g)`` from ``x0`` by L-BFGS with a backtracking (Armijo) line
    search, for at most ``iterations`` iterations or until max |g| ≤ ``gtol``.

    Deterministic. Returns (x, f, iterations taken).
    """
    x = np.array(x0, dtype=np.float64)
    f, g = fun(x)
    S: list[np.ndarray] = []
    Y: list[np.ndarray] = []
    taken = 0
    while taken < iterations and np.max(np.abs(g), initial=0.0) > gtol:
        q = g.copy()
        alphas = []
        for s, yv in zip(reversed(S), reversed(Y), strict=True):
            rho = 1.0 / _dot(yv, s)
            a = rho * _dot(s, q)
            q -= a * yv
            alphas.append((rho, a))
        if S:
            q *= _dot(S[-1], Y[-1]) / _dot(Y[-1], Y[-1])
        else:
            q /= max(1.0, math.sqrt(_dot(g, g)))
        for (s, yv), (rho, a) in zip(zip(S, Y, strict=True), reversed(alphas), strict=True):
            q += s * (a - rho * _dot(yv, q))
        d = -q
        slope = float(_dot(g, d))
        if not slope < 0:  # not a descent direction (rounding): restart from the gradient
            S.clear()
            Y.clear()
            d, slope = -g, -float(_dot(g, g))
        step = 1.0
        for _ in range(40):
            x_new = x + step * d
            f_new, g_new = fun(x_new)
            if f_new <= f + 1e-4 * step * slope:
                break
            step *= 0.5
        else:
            break  # no decrease found: as good as float64 allows
        s, yv = x_new - x, g_new - g
        if _dot(s, yv) > 1e-12 * _dot(yv, yv):
            S.append(s)
            Y.append(yv)
            if len(S) > memory:
                S.pop(0)
                Y.pop(0)
        x, f, g = x_new, f_new, g_new
        taken += 1
    return x, f, taken


@dataclass(frozen=True, eq=False)
class BagOfWords:
    """A fitted bag-of-words classifier (see the module docstring).

    vectorizer: documents -> TF-IDF rows; weights: (F, K); bias: (K,);
    loss: the training objective at the end; iterations: L-BFGS iterations taken.
    """

    vectorizer: Vectorizer
    weights: np.ndarray
    bias: np.ndarray
    n_classes: int
    l2: float
    loss: float
    iterations: int

    @property
    def n_features(self) -> int:
        return self.vectorizer.n_features

    def scores(self, docs: Sequence[Sequence[Hashable]]) -> np.ndarray:
        """(N, K) class scores (logits)."""
        X = Design(self.vectorizer.transform(docs))
        return _scores(X, np.ascontiguousarray(self.weights.T), self.bias)

    def probabilities(self, docs: Sequence[Sequence[Hashable]]) -> np.ndarray:
        """(N, K) softmax probabilities."""
        return _softmax(self.scores(docs))[0]

    def predict(self, docs: Sequence[Sequence[Hashable]]) -> np.ndarray:
        """(N,) int64 class ids (ties: the lower id)."""
        return self.scores(docs).argmax(axis=1).astype(np.int64)

    def accuracy(self, docs: Sequence[Sequence[Hashable]], y: np.ndarray) -> float:
        """Fraction of ``docs`` whose predicted class is ``y`` ((N,) class ids)."""
        y = np.asarray(y)
        if len(docs) == 0 or y.shape != (len(docs),):
            raise ValueError(f"need (N,) labels for N >= 1 documents; got {y.shape}")
        return float(np.mean(self.predict(docs) == y))


def fit_bag_of_words(
    docs: Sequence[Sequence[Hashable]],
    y: np.ndarray,
    n_classes: int,
    *,
    ngrams: int = 2,
    tfidf: bool = True,
    sublinear_tf: bool = False,
    l2: float = 1.0,
    max_features: int = 50_000,
    min_count: int = 2,
    iterations: int = 100,
    tol: float = 1e-4,
) -> BagOfWords:
    """Fit the baseline on ``docs`` (N token sequences: strings, ids, any hashable tokens)
    and ``y`` ((N,) class ids in ``0..n_classes − 1``).

    ``ngrams``: longest n-gram (1: words alone, order invisible); ``l2``: the penalty,
    scikit-learn's ``1 / C`` (default 1.0 as its default C = 1); ``iterations``: the L-BFGS
    budget, stopping earlier once every component of the gradient is below ``tol`` (1e-4,
    scikit-learn's ``tol`` for L-BFGS on the same mean-scaled objective). Deterministic.
    """
    y = np.asarray(y)
    if len(docs) == 0 or y.shape != (len(docs),):
        raise ValueError(f"need (N,) labels for N >= 1 documents; got {y.shape}")
    if not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(f"n_classes must be a whole number >= 2; got {n_classes!r}")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"labels must be class ids in 0..{n_classes - 1}")
    if not (isinstance(l2, (int, float)) and math.isfinite(l2) and l2 >= 0):
        raise ValueError(f"l2 must be a number >= 0; got {l2!r}")
    vec, X = fit_vectorizer(
        docs,
        ngrams=ngrams,
        tfidf=tfidf,
        sublinear_tf=sublinear_tf,
        max_features=max_features,
        min_count=min_count,
    )
    weights, bias, loss, taken = _fit_weights(
        Design(X), y.astype(np.int64), int(n_classes), float(l2), int(iterations), float(tol)
    )
    weights.setflags(write=False)
    bias.setflags(write=False)
    return BagOfWords(vec, weights, bias, int(n_classes), float(l2), loss, taken)


def _fit_weights(
    X: Design, y: np.ndarray, K: int, l2: float, iterations: int, tol: float, binary: bool = True
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """L-BFGS on the objective from zero weights: (W (F, K), b (K,), loss, iterations).
    Two classes take the half-cost binary form unless ``binary`` is False (for the tests)."""
    F = X.shape[1]
    if K == 2 and binary:
        sign = np.where(y == 1, 1.0, -1.0)

        def fun2(theta: np.ndarray) -> tuple[float, np.ndarray]:
            loss, dw, dc = _binary_objective(X, sign, theta[:F], theta[F], l2)
            return loss, np.append(dw, dc)

        theta, loss, taken = lbfgs(fun2, np.zeros(F + 1), iterations, gtol=tol)
        w, c = theta[:F] / 2, theta[F] / 2
        return np.stack([-w, w], axis=1), np.array([-c, c]), float(loss), taken

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        loss, dWt, db = _objective(X, y, theta[: K * F].reshape(K, F), theta[K * F :], l2)
        return loss, np.concatenate([dWt.ravel(), db])

    theta, loss, taken = lbfgs(fun, np.zeros(K * F + K), iterations, gtol=tol)
    weights = np.ascontiguousarray(theta[: K * F].reshape(K, F).T)
    return weights, theta[K * F :].copy(), float(loss), taken


# ----------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class BaselineScore:
    """How the baseline does on a task: accuracies on its test and training splits, the
    seconds the fit took (vectorising and L-BFGS) and the number of n-gram features kept."""

    test_acc: float
    train_acc: float
    seconds: float
    n_features: int
    name: str = BASELINE_NAME


def docs_from(data: SequenceData) -> list[list[int]]:
    """Token ids per row of a token split: the real steps (``mask``), ``<pad>`` (id 0)
    dropped; ``<unk>`` (id 1) kept as a token of its own. Raises ValueError for dense inputs."""
    if data.inputs.ndim != 2 or not np.issubdtype(data.inputs.dtype, np.integer):
        raise ValueError("docs_from needs token ids (N, T); these inputs are dense features")
    keep = data.mask & (data.inputs != PAD_ID)
    return [row[m].tolist() for row, m in zip(data.inputs, keep, strict=True)]


def task_baseline(task: Task, **options) -> BaselineScore | None:
    """Fit the baseline on ``task``'s training split and score both splits.

    Works for every token task with one class per sequence — the built-in sentiment tasks,
    parity (whose baseline is at chance: a bag of bits cannot count parity) and CSV imports
    — straight from the split's token ids. Returns None for tasks it does not apply to:
    dense inputs (adding, sine) and outputs other than one class per sequence (chars,
    words, copy). ``options`` go to :func:`fit_bag_of_words`.
    """
    data = task.data
    if task.output_kind != "class_per_sequence" or data.dense or task.encoder is None:
        return None
    train_docs, test_docs = docs_from(data.train), docs_from(data.test)
    start = time.perf_counter()
    model = fit_bag_of_words(train_docs, data.train.targets, data.output_size, **options)
    seconds = time.perf_counter() - start
    n = model.vectorizer.ngrams
    name = BASELINE_NAME if n == 2 else BASELINE_NAME.replace("1–2-grams", f"1–{n}-grams")
    if n == 1:
        name = BASELINE_NAME.replace("1–2-grams", "words")
    return BaselineScore(
        test_acc=model.accuracy(test_docs, data.test.targets),
        train_acc=model.accuracy(train_docs, data.train.targets),
        seconds=seconds,
        n_features=model.n_features,
        name=name,
    )
