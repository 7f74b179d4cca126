"""benchmarks/real_text.py without the registry: a fake vaderSentiment sdist of the same shape
(the real one is fetched by the benchmark itself, and its figures are in benchmarks/RESULTS.md,
not asserted)."""

from __future__ import annotations

import hashlib
import io
import tarfile

import numpy as np
import pytest

from benchmarks import real_text as rt
from rnn_core.tasks.csv_import import import_csv

GOOD = ("great", "lovely", "superb", "fun", "moving")
BAD = ("awful", "dull", "boring", "bad", "tedious")


def _tar(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def fake_sdist(path, n: int = 120) -> bytes:
    """An sdist with the real layout: each ground-truth file holds ``n`` rated texts (one in 20
    rated exactly 0), the rating's sign set by the text's words."""
    rng = np.random.default_rng(0)
    files = {}
    for corpus, (name, _) in rt.CORPORA.items():
        lines = []
        for i in range(n):
            sign = 1 if i % 2 else -1
            words = [*rng.choice(GOOD if sign > 0 else BAD, 3).tolist(), "the", corpus, "film"]
            rating = 0.0 if i % 20 == 0 else sign * (0.5 + i / n)
            lines.append(f"{i + 1}\t{rating}\t{' '.join(rng.permutation(words))}")
        files[f"hutto_ICWSM_2014/{name}"] = "\n".join(lines).encode()
    data = _tar({rt.INNER: _tar(files)})
    path.write_bytes(data)
    return data


def test_labels_follow_the_sign_of_the_mean_rating():
    rows = [('good, "really"', 1.5), ("bad", -0.2), ("meh", 0.0), ("fine", 0.1), ("no", -4)]
    text = rt.to_csv(rows)
    assert text.splitlines()[:2] == ["text,label", '"good, ""really""",positive']
    task = import_csv(text)
    assert task.class_names == ("negative", "positive")
    assert len(task.data.train) + len(task.data.test) == 4  # the 0-rated text is left out


def test_reads_one_corpus_or_all_from_the_nested_archive(tmp_path):
    sdist = tmp_path / rt.SDIST
    fake_sdist(sdist)
    tweets = rt.read_corpus(sdist, "tweets")
    assert len(tweets) == 120 and all("tweets" in text for text, _ in tweets)
    assert len(rt.read_corpus(sdist, rt.ALL)) == 4 * 120


def test_a_changed_file_is_refused_and_the_benchmark_skips(tmp_path, monkeypatch, capsys):
    fake_sdist(tmp_path / rt.SDIST)  # not the real sdist: its SHA-256 differs
    monkeypatch.setenv("RNNX_BENCH_CACHE", str(tmp_path))
    with pytest.raises(rt.Unavailable, match="SHA-256"):
        rt.fetch_sdist(tmp_path)
    assert rt.main([]) == 0
    assert capsys.readouterr().out.startswith("SKIPPED: the real-text data cannot be had here")


def test_runs_end_to_end_on_a_small_corpus(tmp_path, monkeypatch, capsys):
    data = fake_sdist(tmp_path / rt.SDIST, n=200)
    monkeypatch.setenv("RNNX_BENCH_CACHE", str(tmp_path))
    monkeypatch.setattr(rt, "SDIST_SHA256", hashlib.sha256(data).hexdigest())
    assert rt.main(["--corpus", "nyt", "--seeds", "2", "--seconds", "3", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "texts: 190 (152 train, 38 test); classes: negative 90, positive 100" in out
    assert out.count("  seed ") == 2 and "RNN median over 2 seeds" in out
    assert "baseline " in out and "load average after" in out
    assert out.rstrip().splitlines()[-1].startswith("| nyt (190 texts, 2 classes) |")
