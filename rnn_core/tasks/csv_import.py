"""A user's own text-classification data, from a CSV file of ``text,label`` rows.

    task = import_csv(uploaded_bytes, seed=0)        # -> Task named "csv"
    trainer = Trainer(task.default_config, task.data)

The file comes from a stranger on a hosted demo, so it is treated as hostile: every way it can
be wrong ends in a :class:`CsvError` (a ``ValueError``) whose message names the row or the
limit, and nothing else is ever raised for any bytes or text. The rules, in the order they
are checked:

* **Size and encoding.** At most :data:`MAX_BYTES` bytes of UTF-8 (a leading byte order mark
  is dropped). Any other encoding is refused with the offending byte and its offset; NUL
  bytes and control characters (other than tab, line breaks, vertical tab and form feed)
  mean a binary file and are refused too.
* **Delimiter.** Comma, semicolon, tab or pipe: the one that splits the most of the first
  100 rows into exactly two fields; on a tie, :class:`csv.Sniffer`'s guess (restricted to
  those four) if it is among the best, else the first in that order. Quoting is the csv
  module's: ``"a text, with commas"``, ``"a ""quoted"" word"``, line breaks inside quotes.
* **Rows.** Every row has exactly two fields, text then label; blank rows are skipped. At
  most :data:`MAX_ROWS` data rows (and at most as many blank ones). Rows are numbered as a
  spreadsheet shows them (the header and blank rows count; a quoted text with line breaks is
  one row); when that differs from the line in a text editor, the message gives the lines too.
* **Header.** Optional. Unless ``header`` is given, the first row is a header when its second
  field is a usual name for a label column ("label", "class", "sentiment", "target", …; see
  :data:`LABEL_NAMES`) or its first a usual name for a text column ("text", "sentence",
  "review", …; :data:`TEXT_NAMES`), or when its label occurs in no other row while every
  other label occurs at least twice (read as data it would be a class with one example: the
  only reading under which the file is valid makes it a header). The description says when
  a header was found.
* **Texts and labels.** Both are stripped of surrounding spaces and must then be non-empty;
  labels are at most :data:`MAX_LABEL_CHARS` characters and are compared exactly (case
  matters). Texts are tokenized by :func:`~rnn_core.tasks.base.tokenize`, the one text rule,
  and cut to their first ``max_tokens`` tokens (the description counts the cuts).
* **Classes.** 2 to :data:`MAX_CLASSES` classes, each with at least 2 rows (one to train on,
  one to test on). Class ids follow the labels' sorted order — numerically when every label
  is a number ("2" before "10"), else alphabetically — so shuffling the file's rows does not
  renumber the classes.

The test split is STRATIFIED: every class gives ``round(n_c × test_fraction)`` of its rows
(at least 1, at most n_c − 1) chosen by ``np.random.default_rng(seed)``, so every class is in
both splits in (nearly) the same proportion. The :class:`~rnn_core.tasks.base.Encoder` is
built from the TRAINING texts only (the ``vocab_size`` most frequent tokens): test words never
seen in training read as ``<unk>``, as a new sentence typed on the Explore page would.

The target is honest about unknown data. Always answering the most common training class
scores the **majority baseline** on the test split (the description states it); the goal is a
test accuracy that beats it by more than luck: the smallest accuracy a model no better than
the baseline would reach with probability ≤ 5% (a one-sided binomial test over the test
texts the trainer evaluates). Whether a file's labels can be learned from its words at all
is for the data to say, so there is no time limit, and a file of random labels never meets it.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from rnn_core.checks import is_int
from rnn_core.data import Dataset, SequenceData, pad_sequences
from rnn_core.tasks.base import Encoder, Goal, Task, tokenize
from rnn_core.train import TrainConfig

MAX_BYTES = 5_000_000  # largest file accepted (5 MB)
MAX_ROWS = 50_000  # most data rows (the header and blank rows do not count)
MAX_CLASSES = 50  # most distinct labels
MAX_LABEL_CHARS = 100  # longest label, in characters
MAX_TOKENS = 200  # default: texts are cut to their first this many tokens
MAX_TOKENS_LIMIT = 1_000  # the largest max_tokens allowed
VOCAB_SIZE = 5_000  # default vocabulary cap, <pad> and <unk> included
DELIMITERS = (",", ";", "\t", "|")  # the delimiters recognised, in order of preference
ALPHA = 0.05  # the goal: beat the majority baseline at this one-sided significance level

# Usual names of the label column and of the text column (compared case-insensitively).
LABEL_NAMES = frozenset(
    {"label", "labels", "class", "classes", "category", "categories", "sentiment", "target"}
    | {"targets", "y", "tag", "tags", "intent", "topic", "topics", "emotion", "polarity"}
    | {"stance", "rating", "genre", "language", "lang", "output", "outcome", "annotation"}
)
TEXT_NAMES = frozenset(
    {"text", "texts", "sentence", "sentences", "review", "reviews", "comment", "comments"}
    | {"message", "messages", "content", "document", "doc", "tweet", "tweets", "utterance"}
    | {"input", "x", "body", "headline", "question", "query", "phrase"}
)

_SAMPLE_CHARS = 65_536  # the delimiter is chosen on the first rows within this many characters
_SAMPLE_ROWS = 100
_SNIFF_LINES, _SNIFF_CHARS = 20, 2_048  # csv.Sniffer is quadratic on hostile text: keep it small
# Control characters that mean a binary file: C0 except tab, LF, VT, FF, CR; DEL; C1.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"\r\n?|\n")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


class CsvError(ValueError):
    """Why a CSV file cannot be imported, in words for the person who uploaded it."""


@dataclass(frozen=True)
class CsvRows:
    """The rows of a CSV file that passed every check, before the split.

    texts, labels: stripped, non-empty; rows: each one's spreadsheet row number (1-based).
    """

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    rows: tuple[int, ...]
    header: tuple[str, str] | None  # the header row's two fields, if there was one
    delimiter: str  # one of DELIMITERS
    skipped_blank: int  # blank rows skipped


# --------------------------------------------------------------------------- reading


def read_rows(data, header: bool | None = None, delimiter: str | None = None) -> CsvRows:
    """Check and parse a CSV file of ``text,label`` rows (see the module docstring).

    ``data``: bytes (or bytearray/memoryview), str, a binary or text file object, or a path.
    ``header``: True/False, or None to detect it. ``delimiter``: one of :data:`DELIMITERS`, or
    None to detect it. Raises :class:`CsvError` with a precise message, and nothing else.
    """
    if header not in (None, True, False):
        raise CsvError(f"header must be True, False or None (detect); got {header!r}")
    if delimiter is not None and delimiter not in DELIMITERS:
        raise CsvError(f"delimiter must be one of {DELIMITERS} or None (detect); got {delimiter!r}")
    text = _decode(data)
    if delimiter is None:
        delimiter = _choose_delimiter(text)
    records, skipped = _records(text, delimiter)
    if not records:
        raise CsvError("the file has no rows: it is empty or every row is blank")
    first = records[0]
    has_header = _is_header(first, [r.fields[1] for r in records[1:]], header)
    data_rows = records[1:] if has_header else records
    if not data_rows:
        raise CsvError("the file has a header row but no data rows")
    if len(data_rows) > MAX_ROWS:
        raise CsvError(
            f"the file has more than {_n(MAX_ROWS)} rows; the limit is {_n(MAX_ROWS)} — "
            f"upload a sample of your data"
        )
    texts = [r.fields[0].strip() for r in data_rows]
    labels = [r.fields[1].strip() for r in data_rows]
    rows = [r.row for r in data_rows]
    _check_fields(texts, labels, rows)
    _check_classes(texts, labels, rows)
    header_fields = (first.fields[0].strip(), first.fields[1].strip()) if has_header else None
    return CsvRows(tuple(texts), tuple(labels), tuple(rows), header_fields, delimiter, skipped)


def _decode(data) -> str:
    """Bytes / str / file / path -> the file's text, size- and encoding-checked."""
    if isinstance(data, os.PathLike):
        try:
            with open(data, "rb") as f:
                data = f.read(MAX_BYTES + 1)
        except OSError as e:
            raise CsvError(f"could not read the file: {e.strerror or e}") from None
    elif hasattr(data, "read") and not isinstance(data, (str, bytes, bytearray, memoryview)):
        try:
            data = data.read(MAX_BYTES + 1)
        except (OSError, ValueError, TypeError, UnicodeDecodeError) as e:
            raise CsvError(f"could not read the file: {e}") from None
    if isinstance(data, str):
        return _check_text(data)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CsvError(f"expected the file's bytes or text; got {type(data).__name__}")
    raw = bytes(data)
    if len(raw) > MAX_BYTES:
        raise CsvError(f"the file is larger than {_mb(MAX_BYTES)}, the limit — upload a sample")
    bom = 0
    if raw.startswith(b"\xef\xbb\xbf"):
        bom = 3
    elif raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise CsvError(
            f"the file is not UTF-8 text (byte 0x{raw[0]:02x} at offset 0: it looks like "
            f"UTF-16) — save it as UTF-8 and try again"
        )
    try:
        text = raw[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        at = bom + e.start
        before = raw[:at].decode("utf-8")  # the bytes before ``at`` are valid UTF-8
        line = _line_of(before, len(before))
        raise CsvError(
            f"the file is not UTF-8 text (byte 0x{raw[at]:02x} at offset {at}, line {line}) "
            f"— save it as UTF-8 and try again"
        ) from None
    return _check_control(text, lambda pos: bom + len(text[:pos].encode("utf-8")))


def _check_text(text: str) -> str:
    """A str given directly: the same limits as bytes (and no unpaired surrogates)."""
    if len(text) > MAX_BYTES:  # each character is at least one byte
        raise CsvError(f"the file is larger than {_mb(MAX_BYTES)}, the limit — upload a sample")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as e:
        raise CsvError(
            f"the text is not valid Unicode (an unpaired surrogate U+{ord(text[e.start]):04X} "
            f"at offset {e.start}) — save it as UTF-8 and try again"
        ) from None
    if size > MAX_BYTES:
        raise CsvError(f"the file is larger than {_mb(MAX_BYTES)}, the limit — upload a sample")
    text = text.removeprefix("\ufeff")
    return _check_control(text, lambda pos: pos)


def _check_control(text: str, offset) -> str:
    """Refuse NUL bytes and control characters: the signs of a binary file.

    ``offset``: character position -> the offset to report (bytes for bytes input)."""
    bad = _CONTROL.search(text)
    if bad is None:
        return text
    pos, char = bad.start(), bad.group()
    where = f"offset {offset(pos)}, line {_line_of(text, pos)}"
    if char == "\x00":
        what = f"a NUL byte ({where})"
    else:
        what = f"the control character U+{ord(char):04X} ({where})"
    raise CsvError(
        f"the file contains {what}: it looks like a binary file (a spreadsheet such as "
        f".xlsx, or UTF-16 text) — export it as a UTF-8 CSV file and try again"
    )


def _line_of(text: str, pos: int) -> int:
    """The 1-based line of character ``pos`` (\\r\\n, \\n and \\r each end a line)."""
    return len(_LINE_BREAK.findall(text, 0, pos)) + 1


def _choose_delimiter(text: str) -> str:
    """The delimiter that splits the most of the first rows into exactly 2 fields (ties: the
    csv.Sniffer's guess if it is among the best, then the order of DELIMITERS)."""
    sample = text[:_SAMPLE_CHARS]
    partial = len(text) > _SAMPLE_CHARS  # the sample's last row may be cut short: ignore it
    scores = {d: _two_field_rows(sample, d, partial) for d in DELIMITERS}
    best = max(scores.values())
    sniffed = _sniff(sample)
    if sniffed is not None and scores[sniffed] == best:
        return sniffed
    return next(d for d in DELIMITERS if scores[d] == best)


def _two_field_rows(sample: str, delimiter: str, partial: bool) -> int:
    rows = []
    try:
        for fields in csv.reader(io.StringIO(sample, newline=""), **_dialect(delimiter)):
            if any(f.strip() for f in fields):
                rows.append(len(fields) == 2)
            if len(rows) > _SAMPLE_ROWS:
                break
    except csv.Error:
        pass  # a row too long for the csv module: score what came before it
    if partial and rows:
        rows.pop()
    return sum(rows[:_SAMPLE_ROWS])


def _sniff(sample: str) -> str | None:
    """csv.Sniffer's delimiter for the first few lines, or None if it cannot tell."""
    head = "\n".join(sample.splitlines()[:_SNIFF_LINES])[:_SNIFF_CHARS]
    try:
        found = csv.Sniffer().sniff(head, delimiters="".join(DELIMITERS)).delimiter
    except Exception:  # a heuristic on arbitrary text: any failure just means "no guess"
        return None
    return found if found in DELIMITERS else None


def _dialect(delimiter: str) -> dict:
    """Standard CSV quoting (``"…"``, ``""`` for a quote) and spaces after a delimiter ignored."""
    return {
        "delimiter": delimiter,
        "quotechar": '"',
        "doublequote": True,
        "skipinitialspace": True,
        "strict": False,
    }


@dataclass(frozen=True)
class _Record:
    row: int  # as a spreadsheet numbers it: every record counts, blank ones too
    lines: tuple[int, int]  # first and last line in a text editor
    fields: list[str]

    def where(self) -> str:
        first, last = self.lines
        if first == last == self.row:
            return f"row {self.row}"
        if first == last:
            return f"row {self.row} (line {first})"
        return f"row {self.row} (lines {first}–{last})"


def _records(text: str, delimiter: str) -> tuple[list[_Record], int]:
    """The non-blank records, each with exactly two fields, and how many blank rows there were.

    Reads at most MAX_ROWS + 2 non-blank records (a header and one too many) and refuses more
    than MAX_ROWS blank ones."""
    reader = csv.reader(io.StringIO(text, newline=""), **_dialect(delimiter))
    records: list[_Record] = []
    row = skipped = last_line = 0
    while len(records) <= MAX_ROWS + 1:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            where = f"row {row + 1} (from line {last_line + 1})"
            if "field limit" in str(e):
                limit = _n(csv.field_size_limit())
                raise CsvError(
                    f"{where}: a field is longer than {limit} characters — is a quote left open?"
                ) from None
            raise CsvError(f"{where} cannot be read: {e}") from None
        row += 1
        first_line, last_line = last_line + 1, reader.line_num
        if not any(f.strip() for f in fields):
            skipped += 1
            if skipped > MAX_ROWS:  # a flood of blank rows costs time for nothing
                raise CsvError(
                    f"the file has more than {_n(MAX_ROWS)} blank rows; the limit is "
                    f"{_n(MAX_ROWS)} rows — remove the blank ones"
                )
            continue
        record = _Record(row, (first_line, last_line), fields)
        if len(fields) != 2:
            raise CsvError(_field_count_message(record, delimiter))
        records.append(record)
    return records, skipped


def _field_count_message(record: _Record, delimiter: str) -> str:
    n, name = len(record.fields), _DELIMITER_NAMES[delimiter]
    message = (
        f"{record.where()} has {n} field{'s' if n != 1 else ''}; expected 2: text,label "
        f"(separated by a {name})"
    )
    if any("\n" in f or "\r" in f for f in record.fields):
        message += (
            f" — a quote that opens on line {record.lines[0]} seems never to close, so the "
            f"lines after it were read as one text"
        )
    elif n > 2:
        message += f" — put quotes around a text that contains a {name}"
    return message


def _is_header(first: _Record, other_labels: list[str], header: bool | None) -> bool:
    """The header rule (module docstring): a known column name, or a label seen nowhere else
    in a column whose other labels all occur at least twice."""
    if header is not None:
        return header
    text, label = (f.strip().casefold() for f in first.fields)
    if text in LABEL_NAMES and label in TEXT_NAMES:
        raise CsvError(
            f"{first.where()} is a header with the columns the other way round "
            f"({', '.join(f.strip() for f in first.fields)}): put the text first, then the label"
        )
    if label in LABEL_NAMES or text in TEXT_NAMES:
        return True
    counts = Counter(f.strip() for f in other_labels)
    return bool(counts) and first.fields[1].strip() not in counts and min(counts.values()) >= 2


def _check_fields(texts: list[str], labels: list[str], rows: list[int]) -> None:
    """Empty texts and labels, labels too long, texts with no token."""
    for values, what in ((texts, "text"), (labels, "label")):
        empty = [r for r, v in zip(rows, values, strict=True) if not v]
        if empty:
            raise CsvError(f"row {empty[0]}: the {what} is empty{_and_more('row', empty)}")
    long = [r for r, v in zip(rows, labels, strict=True) if len(v) > MAX_LABEL_CHARS]
    if long:
        raise CsvError(
            f"row {long[0]}: the label is longer than {MAX_LABEL_CHARS} characters — is the "
            f"label in the second column?{_and_more('row', long)}"
        )


def _check_classes(texts: list[str], labels: list[str], rows: list[int]) -> None:
    counts = Counter(labels)
    if len(counts) == 1:
        raise CsvError(
            f"every row has the label {_show(labels[0])}: a classifier needs at least 2 classes"
        )
    if len(counts) > MAX_CLASSES:
        raise CsvError(
            f"the file has {_n(len(counts))} different labels; the limit is {MAX_CLASSES} "
            f"classes{_swapped_hint(texts, counts)}"
        )
    first_row = {}
    for r, label in zip(rows, labels, strict=True):
        first_row.setdefault(label, r)
    lonely = sorted((first_row[c], c) for c, k in counts.items() if k < 2)
    if lonely:
        named = ", ".join(f"{_show(c)} (row {r})" for r, c in lonely[:5])
        more = f" and {len(lonely) - 5} more" if len(lonely) > 5 else ""
        subject = f"the class {named} has" if len(lonely) == 1 else f"{len(lonely)} classes have"
        listing = "" if len(lonely) == 1 else f": {named}{more}"
        raise CsvError(
            f"{subject} only 1 example{listing}; every class needs at least 2 (one to train "
            f"on, one to test on){_swapped_hint(texts, counts)}"
        )


def _swapped_hint(texts: list[str], counts: Counter) -> str:
    """A hint when the first column looks more like labels than the second does."""
    firsts = Counter(texts)
    if len(firsts) < len(counts) and 2 <= len(firsts) <= MAX_CLASSES:
        return (
            f" (the first column has only {len(firsts)} different values: are the columns "
            f"swapped? The text comes first, then the label)"
        )
    return ""


def _and_more(what: str, rows: list[int]) -> str:
    if len(rows) == 1:
        return ""
    if len(rows) == 2:
        return f" (so is {what} {rows[1]})"
    others = ", ".join(str(r) for r in rows[1:4])
    more = f" and {_n(len(rows) - 4)} more" if len(rows) > 4 else ""
    return f" (so are {what}s {others}{more})"


def _show(s: str, limit: int = 40) -> str:
    """A user's string, quoted and shortened for a message."""
    return repr(s if len(s) <= limit else s[: limit - 1] + "…")


def _n(k: int) -> str:
    """1234567 -> '1 234 567'."""
    return f"{k:,}".replace(",", " ")


def _pct(x: float) -> str:
    """A share as a whole percentage, without rounding a small non-zero share down to 0%."""
    return "under 1%" if 0 < x < 0.005 else f"{x:.0%}"


def _mb(nbytes: int) -> str:
    return f"{nbytes / 1e6:g} MB"


# --------------------------------------------------------------------------- the task


def import_csv(
    data,
    seed: int = 0,
    test_fraction: float = 0.2,
    *,
    header: bool | None = None,
    delimiter: str | None = None,
    max_tokens: int = MAX_TOKENS,
    vocab_size: int = VOCAB_SIZE,
    min_count: int = 1,
) -> Task:
    """A classification task ("csv", class_per_sequence) from a user's ``text,label`` file.

    data: bytes, str, a file object or a path (see :func:`read_rows` and the module docstring).
    seed: the test split and the default config's seed (int >= 0).
    test_fraction: share of every class held out for testing, 0.05–0.5.
    header: True/False, or None to detect it. delimiter: ",", ";", "\\t", "|" or None to detect.
    max_tokens: texts are cut to their first this many tokens, 1–1000 (default 200).
    vocab_size: vocabulary cap including <pad> and <unk>, 10–100 000 (default 5 000).
    min_count: a training token must occur this often to be in the vocabulary, 1–100.

    Inputs are (N, T) token ids (T: the longest text after cutting), targets (N,) class ids.
    Raises :class:`CsvError` (a ValueError) for a bad file or a bad option, and nothing else.
    """
    _check_options(seed, test_fraction, max_tokens, vocab_size, min_count)
    parsed = read_rows(data, header=header, delimiter=delimiter)
    class_names = _class_order(set(parsed.labels))
    class_id = {c: i for i, c in enumerate(class_names)}
    y = np.array([class_id[label] for label in parsed.labels], dtype=np.int64)
    train_idx, test_idx = stratified_split(y, test_fraction, np.random.default_rng(seed))

    tokens = [tokenize(t) for t in parsed.texts]
    blank = [r for r, t in zip(parsed.rows, tokens, strict=True) if not t]
    if blank:  # stripped texts always have a token; this guards the rule should it change
        raise CsvError(f"row {blank[0]}: the text has no words{_and_more('row', blank)}")
    cut = sum(len(t) > max_tokens for t in tokens)
    encoder = Encoder.build(
        [parsed.texts[i] for i in train_idx], min_count=min_count, max_size=vocab_size
    )
    ids = [encoder.encode(t[:max_tokens]) for t in tokens]

    def split(idx: np.ndarray) -> SequenceData:
        inputs, mask = pad_sequences([ids[i] for i in idx])
        return SequenceData(inputs, y[idx], mask)

    train, test = split(train_idx), split(test_idx)
    dataset = Dataset(train, test, input_size=len(encoder), output_size=len(class_names))

    config = default_config(len(train), seed)
    majority = int(np.bincount(train.targets, minlength=len(class_names)).argmax())
    baseline = float(np.mean(test.targets == majority))
    n_eval = min(len(test), config.eval_size)
    k = beat_baseline(baseline, n_eval)
    threshold = min(k, n_eval) / n_eval
    unknown = float(np.mean(test.inputs[test.mask] == 1))
    stats = _Stats(parsed, class_names, len(train), len(test), len(encoder), cut, max_tokens)
    return Task(
        name="csv",
        title="Your CSV data",
        description=_describe(stats, class_names[majority], baseline, unknown),
        data=dataset,
        output_kind="class_per_sequence",
        default_config=config,
        target=_target_words(threshold, k, n_eval, baseline, config.steps),
        goal=Goal("test_acc", threshold - 1e-9, None),  # -1e-9: k/n computed as a float mean
        encoder=encoder,
        class_names=class_names,
        example=_example(parsed.texts, tokens, test_idx),
    )


def _check_options(seed, test_fraction, max_tokens, vocab_size, min_count) -> None:
    if not is_int(seed) or seed < 0:
        raise CsvError(f"seed must be a whole number >= 0; got {seed!r}")
    if not (
        isinstance(test_fraction, (int, float, np.floating))
        and not isinstance(test_fraction, bool)
        and 0.05 <= test_fraction <= 0.5
    ):
        raise CsvError(f"test_fraction must be a number from 0.05 to 0.5; got {test_fraction!r}")
    for name, value, lo, hi in (
        ("max_tokens", max_tokens, 1, MAX_TOKENS_LIMIT),
        ("vocab_size", vocab_size, 10, 100_000),
        ("min_count", min_count, 1, 100),
    ):
        if not is_int(value) or not lo <= value <= hi:
            raise CsvError(f"{name} must be a whole number from {lo} to {_n(hi)}; got {value!r}")


def _class_order(labels: set[str]) -> tuple[str, ...]:
    """Numeric order when every label is a number ("2" before "10"), else alphabetical."""
    if all(_NUMBER.fullmatch(label) for label in labels):
        return tuple(sorted(labels, key=lambda s: (float(s), s)))
    return tuple(sorted(labels, key=lambda s: (s.casefold(), s)))


def stratified_split(
    y: np.ndarray, test_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(N,) class ids -> (train, test) row indices, each sorted in file order.

    Class c's n_c rows give ``round(n_c × test_fraction)`` to the test split, at least 1 and
    at most n_c − 1 (so every class with ≥ 2 rows is in both splits); which rows is drawn by
    ``rng``, class by class in class-id order.
    """
    train, test = [], []
    for c in range(int(y.max()) + 1):
        rows = rng.permutation(np.flatnonzero(y == c))
        if len(rows) == 0:
            continue
        n_test = min(max(math.floor(len(rows) * test_fraction + 0.5), 1), len(rows) - 1)
        test.append(rows[:n_test])
        train.append(rows[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def beat_baseline(p0: float, n: int, alpha: float = ALPHA) -> int:
    """The fewest right answers out of ``n`` that a model scoring ``p0`` per answer (the
    majority baseline) would reach with probability ≤ ``alpha``: the smallest k with
    P(Binomial(n, p0) ≥ k) ≤ alpha. Returns n + 1 when even n of n is not that unlikely."""
    if p0 <= 0.0:
        return 1
    if p0 >= 1.0:
        return n + 1
    log_p, log_q = math.log(p0), math.log1p(-p0)
    tail = 0.0
    for k in range(n, -1, -1):
        log_pmf = (
            math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
            + k * log_p + (n - k) * log_q
        )  # fmt: skip
        tail += math.exp(log_pmf)
        if tail > alpha:
            return k + 1
    return 0


def default_config(n_train: int, seed: int = 0) -> TrainConfig:
    """An embedding GRU for about 3 epochs: at least 300 and at most 3 000 steps.

    Tuned on real text (``python -m benchmarks.real_text``: human-rated movie-review sentences,
    tuned on a split of the benchmark's training texts alone). With no dropout or weight decay
    the network starts to memorise its training texts after 2-4 epochs and its test accuracy
    falls back by 1-3 points, so the budget stops there; 64 units and a 64-wide embedding were
    about 1-2 points better than 32 and 16, both at that point and after memorising. Small files
    still get 300 steps (many epochs), which they need to beat the majority baseline.
    """
    batch = 32
    steps = min(3_000, max(300, 3 * math.ceil(n_train / batch)))
    return TrainConfig(
        cell="gru",  # gates keep a word's evidence until the end of the text
        hidden_size=64,  # units: on real text 1-2 points above 32; ~3× the time per step
        input_kind="embedding",  # vocabularies of thousands of words: one-hot would be wasteful
        embed_size=64,  # embedding width: room for what a word says about each class
        optimizer="adam",
        lr=0.005,  # Adam's step size
        batch_size=batch,  # texts per step
        clip="norm",  # global-norm clipping at 5: rare long texts cannot blow up a step
        clip_value=5.0,
        steps=steps,  # the step budget
        eval_every=max(10, min(100, steps // 30)),  # about 30 evaluations per run
        seed=seed,
    )


@dataclass(frozen=True)
class _Stats:
    parsed: CsvRows
    class_names: tuple[str, ...]
    n_train: int
    n_test: int
    vocab: int
    cut: int
    max_tokens: int


def _describe(s: _Stats, majority: str, baseline: float, unknown: float) -> str:
    counts = Counter(s.parsed.labels)
    n = len(s.parsed.labels)
    classes = ", ".join(f"{_show(c)} {counts[c] / n:.0%}" for c in s.class_names[:10])
    if len(s.class_names) > 10:
        classes += f" and {len(s.class_names) - 10} more"
    notes = []
    if s.parsed.header is not None:
        notes.append(f"the first row was read as a header ({', '.join(s.parsed.header)})")
    if s.cut:
        plural = "s were" if s.cut != 1 else " was"
        notes.append(f"{_n(s.cut)} text{plural} cut to their first {s.max_tokens} tokens")
    if s.parsed.skipped_blank:
        notes.append(f"{_n(s.parsed.skipped_blank)} blank rows were skipped")
    noted = f" Notes: {'; '.join(notes)}." if notes else ""
    return (
        f"Your own data: {_n(n)} rows, {len(s.class_names)} classes ({classes}), split into "
        f"{_n(s.n_train)} texts for training and {_n(s.n_test)} for testing with every class "
        f"in the same proportion. The network reads each text word by word and names its "
        f"class after the last one: it has to find which words — and which orders of words — "
        f"point to which label, from these examples alone. Always answering the most common "
        f"class, {_show(majority)}, scores {baseline:.0%} on the test split: that is the "
        f"baseline to beat. The vocabulary has {_n(s.vocab - 2)} words, all from the training "
        f"texts; {_pct(unknown)} of the test words never occur in training and read as "
        f"<unk>.{noted}"
    )


def _target_words(threshold: float, k: int, n: int, baseline: float, steps: int) -> str:
    if k > n:
        return (
            f"the test split is too small for any score to beat the {baseline:.0%} "
            f"majority-class baseline by more than luck; the target is all {n} test texts "
            f"right within {_n(steps)} steps"
        )
    return (
        f"≥ {threshold:.0%} test accuracy ({k} of {n} test texts) within {_n(steps)} steps: "
        f"better than the {baseline:.0%} of always answering the most common class, by more "
        f"than luck would give (one-sided binomial test, {ALPHA:.0%})"
    )


def _example(texts: tuple[str, ...], tokens: list[list[str]], test_idx: np.ndarray) -> str:
    """The first test text of at most 30 tokens (else the first one's first 30 tokens)."""
    for i in test_idx:
        if len(tokens[i]) <= 30:
            return texts[i]
    return " ".join(tokens[test_idx[0]][:30])
