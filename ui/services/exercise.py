"""Exercise links: ``lock=`` and ``hide=`` URL keys that fix chosen controls, so a teacher can
hand out ``/train?cell=gru&hidden=8&lock=cell,hidden`` with one knob left to turn (in the
spirit of TensorFlow Playground's per-control hide flags).

Each key holds a comma-separated list of control names, which are the controls' own URL keys:
the settings table's keys (``cell``, ``hidden``, ``lr``…), Compare's ``a_…``/``b_…`` columns,
``task``, ``sentence`` and Explore's Write settings (``prime``, ``length``, ``temperature``,
``write_seed``). A name locks the control with that URL key wherever it is drawn
(``seed`` locks the Train page's seed and Compare's "Seed for both", which share the key;
``cell`` does not lock Compare's ``a_cell``). A hidden control is also locked.

Parsing is strict: the lock set is exactly the known names in the link. Anything else (``all``,
``*``, ``cell;hidden``, a name in another alphabet, an over-long value) is ignored and counted
for a one-line note; nothing here can lock or unlock a control the link does not name. No
Streamlit (``ui/glue/exercise.py`` applies it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ui.services.settings import BY_KEY, COMPARE_KEYS, SETTINGS, WRITE_SETTINGS

LOCK, HIDE = "lock", "hide"  # the URL keys
# every control a link may lock or hide, in the order a link lists them
LOCKABLE: tuple[str, ...] = (
    "task",
    "sentence",
    *(s.key for s in WRITE_SETTINGS),
    *(s.key for s in SETTINGS),
    *(f"{side}_{key}" for side in ("a", "b") for key in COMPARE_KEYS),
)
LABELS: dict[str, str] = {  # what "Share this view" calls each control
    "task": "Task",
    "sentence": "Sentence",
    **{s.key: f"Write: {s.label}" for s in WRITE_SETTINGS},
    **{s.key: s.label for s in SETTINGS},
    **{
        f"{side}_{key}": f"Compare {side.upper()}: {BY_KEY[key].label}"
        for side in ("a", "b")
        for key in COMPARE_KEYS
    },
}
MAX_VALUE = 1_000  # characters: a longer lock=/hide= value is ignored whole


@dataclass(frozen=True)
class Exercise:
    """What a link locks and hides. ``locked`` includes ``hidden`` (a hidden control is
    locked too); ``ignored`` counts the names (or over-long values) that could not be used."""

    locked: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()
    ignored: int = 0

    def __bool__(self) -> bool:
        return bool(self.locked)

    def is_locked(self, key: str) -> bool:
        return key in self.locked

    def is_hidden(self, key: str) -> bool:
        return key in self.hidden

    def query(self) -> dict[str, str]:
        """The ``lock``/``hide`` values of a link that gives this exercise (in LOCKABLE
        order, a hidden control under ``hide`` only); empty keys are left out."""
        out = {}
        lock = [k for k in LOCKABLE if k in self.locked and k not in self.hidden]
        hide = [k for k in LOCKABLE if k in self.hidden]
        if lock:
            out[LOCK] = ",".join(lock)
        if hide:
            out[HIDE] = ",".join(hide)
        return out

    def with_more(self, lock: Iterable[str] = (), hide: Iterable[str] = ()) -> Exercise:
        """This exercise with more controls locked or hidden (never fewer): what "Share this
        view" builds on a page that was opened with locks."""
        more_hidden = self.hidden | (set(hide) & set(LOCKABLE))
        more_locked = self.locked | (set(lock) & set(LOCKABLE)) | more_hidden
        return Exercise(frozenset(more_locked), frozenset(more_hidden), self.ignored)

    def note(self) -> str | None:
        """One line for a link with names it could not use (they are not echoed)."""
        if not self.ignored:
            return None
        what = "name" if self.ignored == 1 else "names"
        names = ", ".join(LOCKABLE[: -2 * len(COMPARE_KEYS)])
        return (
            f"This link's lock/hide had {self.ignored} unknown {what} (ignored). It can name "
            f"{names}, and Compare's a_… and b_… keys."
        )

    def summary(self) -> str | None:
        """One line saying, by the controls' labels, what is locked and hidden."""
        if not self.locked:
            return None
        lock = [LABELS[k] for k in LOCKABLE if k in self.locked and k not in self.hidden]
        hide = [LABELS[k] for k in LOCKABLE if k in self.hidden]
        parts = []
        if lock:
            parts.append(f"{_and(lock)} {'is' if len(lock) == 1 else 'are'} locked")
        if hide:
            verb = "is" if len(hide) == 1 else "are"
            parts.append(
                f"{_and(hide)} {verb} hidden (the link sets {'it' if len(hide) == 1 else 'them'})"
            )
        return "🔒 An exercise link: " + "; ".join(parts) + "."


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _names(values: Iterable[str]) -> tuple[set[str], int]:
    """The known names in a key's values (each a comma-separated list) and how many were
    not: blank items are skipped, ASCII case and surrounding spaces do not matter, a value
    longer than MAX_VALUE counts as one ignored name."""
    known, ignored = set(), 0
    for value in values:
        if not isinstance(value, str) or len(value) > MAX_VALUE:
            ignored += 1
            continue
        for item in value.split(","):
            name = item.strip()
            if not name:
                continue
            if name.isascii() and name.lower() in LOCKABLE:  # not "\u212a" (Kelvin) -> "k"
                name = name.lower()
                known.add(name)
            else:
                ignored += 1
    return known, ignored


def parse_exercise(lock: Iterable[str] = (), hide: Iterable[str] = ()) -> Exercise:
    """An :class:`Exercise` from every ``lock=`` and every ``hide=`` value of a link (a
    repeated key gives several values; the names add up)."""
    locked, bad_lock = _names(lock)
    hidden, bad_hide = _names(hide)
    return Exercise(frozenset(locked | hidden), frozenset(hidden), bad_lock + bad_hide)
