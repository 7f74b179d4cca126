"""``python -m rnn_core``: train, save and evaluate the built-in tasks from a shell script.

    python -m rnn_core tasks                                  # the tasks and their targets
    python -m rnn_core train sentiment-tiny --until-goal      # train until the task's goal
    python -m rnn_core train parity --set cell=lstm --set hidden_size=64 --steps 500 \\
        --save runs/parity.npz --metrics runs/parity.csv
    python -m rnn_core train adding --set lr=100 --set clip=none --set optimizer=sgd --json
    python -m rnn_core eval runs/parity.npz                   # train/test loss and accuracy

``train`` starts from the task's ``default_config`` and applies every ``--set key=value`` to
that TrainConfig (``--steps N`` and ``--seed S`` are short for ``--set steps=N`` and
``--set seed=S``; the task's data is always built with seed 0, so ``eval`` can rebuild it).
A value is read by the field's type; ``none`` or ``null`` clears an optional field such as
``truncate`` or ``spectral_radius``. ``--until-goal`` stops at the first evaluation that meets
the task's goal (as :func:`rnn_core.tasks.train_to_goal` does). The final metrics are measured
on the whole train and test splits, exactly as ``eval`` measures them, and printed to stdout as
a table (or JSON with ``--json``). A progress bar is drawn on stderr when it is a terminal;
``--progress`` prints one line per evaluation instead when it is not, ``--quiet`` neither.

Exit codes: 0 success, 1 a file could not be written, 2 a bad argument, setting, task or
checkpoint, 3 training diverged (the model saved is the last finite one), 130 interrupted.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import sys
import time
import typing
from pathlib import Path

from rnn_core.checkpoint import load_checkpoint, save_checkpoint
from rnn_core.tasks import TASKS, load_task
from rnn_core.train import TrainConfig, Trainer, evaluate

EXIT_OK, EXIT_WRITE, EXIT_USAGE, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
CSV_COLUMNS = (
    "step",
    "loss",
    "accuracy",
    "grad_norm",
    "clipped",
    "lr",
    "train_loss",
    "train_acc",
    "test_loss",
    "test_acc",
)
BAR_WIDTH = 24
REDRAW_SECONDS = 0.1  # at most ~10 progress-bar redraws per second


class UsageError(Exception):
    """A bad argument, setting, task or checkpoint: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but its errors are one line on stderr (no usage block), exit code 2."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    _one_blas_thread()
    try:
        return args.run(args)
    except UsageError as e:
        print(f"rnn_core {args.command}: error: {e}", file=sys.stderr)
        return EXIT_USAGE


def _build_parser() -> _Parser:
    paragraphs = __doc__.replace("``", "").split("\n\n")
    parser = _Parser(
        prog="python -m rnn_core",
        description=paragraphs[0],
        epilog="examples:\n" + paragraphs[1] + "\n\n" + paragraphs[-1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("tasks", help="list the built-in tasks (name, title, target)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(run=_cmd_tasks)

    fields = ", ".join(f.name for f in dataclasses.fields(TrainConfig))
    p = sub.add_parser(
        "train",
        help="train a task from its default config",
        description="Train TASK from its default config with the numpy Trainer; print the "
        "final metrics (measured on the whole splits) to stdout.",
        epilog=f"TrainConfig fields for --set: {fields}",
    )
    p.add_argument("task", metavar="TASK", help=f"one of: {', '.join(TASKS)}")
    p.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a TrainConfig field (repeatable); 'none' clears an optional field",
    )
    p.add_argument("--steps", type=int, metavar="N", help="step budget (same as --set steps=N)")
    p.add_argument("--seed", type=int, metavar="S", help="training seed (same as --set seed=S)")
    p.add_argument(
        "--until-goal",
        action="store_true",
        help="stop at the first evaluation that meets the task's goal",
    )
    p.add_argument("--save", metavar="PATH.npz", type=Path, help="write a checkpoint here")
    p.add_argument("--metrics", metavar="PATH.csv", type=Path, help="write per-step metrics")
    p.add_argument("--json", action="store_true", help="print the final metrics as JSON")
    noise = p.add_mutually_exclusive_group()
    noise.add_argument(
        "--progress",
        action="store_true",
        help="report progress on stderr even when it is not a terminal (one line per evaluation)",
    )
    noise.add_argument("--quiet", action="store_true", help="no progress output on stderr")
    p.set_defaults(run=_cmd_train)

    p = sub.add_parser(
        "eval",
        help="evaluate a checkpoint on its task",
        description="Load CHECKPOINT, rebuild its built-in task and print train/test loss "
        "and accuracy on the whole splits.",
    )
    p.add_argument("checkpoint", metavar="CHECKPOINT", type=Path, help="a .npz checkpoint")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(run=_cmd_eval)
    return parser


def _one_blas_thread() -> None:
    """The core's matmuls are small: one BLAS thread is fastest (if threadpoolctl exists)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(1, user_api="blas")


# --------------------------------------------------------------------------------------
# tasks
# --------------------------------------------------------------------------------------


def _cmd_tasks(args) -> int:
    rows = []
    for name in TASKS:
        task = load_task(name)
        rows.append({"name": name, "title": task.title, "target": task.target})
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        _print_table(["name", "title", "target"], [list(r.values()) for r in rows])
    return EXIT_OK


# --------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------


def _cmd_train(args) -> int:
    task = _load_builtin(args.task)
    settings = parse_settings(args.settings)
    if args.steps is not None:
        settings["steps"] = args.steps
    if args.seed is not None:
        settings["seed"] = args.seed
    try:
        config = dataclasses.replace(task.default_config, **settings)
        trainer = Trainer(config, task.data)
    except (ValueError, TypeError) as e:
        raise UsageError(f"invalid setting: {e}") from None
    for path in (args.save, args.metrics):
        if path is not None:
            _prepare_output(path)

    if args.quiet:
        mode = None
    elif sys.stderr.isatty():
        mode = "bar"
    else:
        mode = "lines" if args.progress else None
    progress = _Progress(mode, config.steps, task.goal.metric, sys.stderr)
    status, reason, seconds = _train(trainer, task, args.until_goal, progress)

    per_step = task.data.output == "many_to_many"
    result = {"task": task.name, "status": status, "reason": reason}
    result["step"] = trainer.step_count
    result["seconds"] = seconds
    result.update(_scores(trainer.model, task.data, per_step))
    result["goal"] = {
        "metric": task.goal.metric,
        "threshold": task.goal.threshold,
        "met": task.goal.met(result[task.goal.metric]),
    }
    result["config"] = trainer.config.to_dict()

    code = EXIT_OK
    try:
        if args.metrics is not None:
            write_metrics_csv(args.metrics, trainer.history)
            result["metrics_csv"] = str(args.metrics)
        if args.save is not None:
            save_checkpoint(
                args.save,
                trainer.model,
                task=task.name,
                vocab=None if task.encoder is None else task.encoder.vocab,
                train_config=trainer.config,
                optimizer=trainer.optimizer,
                step=trainer.step_count,
                extra={"source": "python -m rnn_core train", "status": status},
            )
            result["checkpoint"] = str(args.save)
    except (OSError, ValueError) as e:  # ValueError: CheckpointError
        print(f"rnn_core train: error: cannot write output: {e}", file=sys.stderr)
        code = EXIT_WRITE

    if args.json:
        print(json.dumps(_jsonable(result), indent=2, ensure_ascii=False))
    else:
        shown = [k for k in result if k not in ("goal", "config")]
        rows = [[k, _fmt(result[k])] for k in shown if result[k] is not None]
        rows.insert(shown.index("test_acc") + 1, ["goal met", str(result["goal"]["met"])])
        _print_table(None, rows)
    if status == "diverged":
        print(f"rnn_core train: diverged: {reason}", file=sys.stderr)
        return EXIT_DIVERGED
    if status == "interrupted":
        return EXIT_INTERRUPTED
    return code


def parse_settings(items: list[str]) -> dict:
    """``["lr=0.1", "truncate=none"]`` -> ``{"lr": 0.1, "truncate": None}``, each value read
    by its TrainConfig field's type. Raises :class:`UsageError` with a one-line message."""
    hints = typing.get_type_hints(TrainConfig)
    out = {}
    for item in items:
        key, sep, text = item.partition("=")
        key, text = key.strip(), text.strip()
        if not sep or not key:
            raise UsageError(f"--set expects KEY=VALUE; got {item!r}")
        if key not in hints:
            raise UsageError(f"unknown setting {key!r}; TrainConfig fields: {', '.join(hints)}")
        out[key] = _parse_value(key, text, hints[key])
    return out


def _parse_value(key: str, text: str, hint):
    types = typing.get_args(hint) or (hint,)
    optional = type(None) in types
    (kind,) = [t for t in types if t is not type(None)]
    if optional and text.lower() in ("none", "null"):
        return None
    or_none = " or none" if optional else ""
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise UsageError(f"{key} must be a whole number{or_none}; got {text!r}") from None
    if kind is float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise UsageError(f"{key} must be a finite number{or_none}; got {text!r}")
        return value
    return text


def _train(trainer: Trainer, task, until_goal: bool, progress) -> tuple[str, str | None, float]:
    """Step until the budget is spent, the model diverges or (``until_goal``) the first
    evaluation meets the goal. Returns (status, reason, training seconds)."""
    goal = task.goal
    status, reason, elapsed = "done", None, 0.0
    try:
        while trainer.status == "ok" and trainer.step_count < trainer.config.steps:
            start = time.perf_counter()
            metrics = trainer.step(1)
            elapsed += time.perf_counter() - start
            for m in metrics:
                progress.update(m, elapsed)
            if until_goal and metrics and goal.metric in metrics[-1]:
                value = metrics[-1][goal.metric]
                if goal.met(value):
                    status = "goal"
                    sign = "≥" if goal.metric.endswith("acc") else "≤"
                    reason = f"goal met: {goal.metric} {value:.4g} {sign} {goal.threshold:.4g}"
                    break
    except KeyboardInterrupt:
        status, reason = "interrupted", f"interrupted at step {trainer.step_count}"
    finally:
        progress.close(elapsed)
    if trainer.status == "diverged":
        status, reason = "diverged", trainer.reason
    elif status == "done":
        reason = f"step budget of {trainer.config.steps} reached"
        if until_goal:
            reason += f" without meeting the goal ({goal.metric} {goal.threshold:.4g})"
    return status, reason, elapsed


class _Progress:
    """A redrawn text bar ("bar"), one line per evaluation ("lines"), or nothing (None)."""

    def __init__(self, mode: str | None, total: int, metric: str, stream):
        self.mode, self.total, self.metric, self.stream = mode, max(total, 1), metric, stream
        self.step, self.loss, self.evals = 0, math.nan, {}
        self._last_draw, self._width = -math.inf, 0

    def update(self, m: dict, elapsed: float) -> None:
        self.step, self.loss = m["step"], m["loss"]
        evaluated = "test_loss" in m
        if evaluated:
            self.evals = {k: m[k] for k in ("train_loss", "train_acc", "test_loss", "test_acc")}
        if self.mode == "lines" and evaluated:
            parts = [f"step {self.step}/{self.total}", *self._stats(elapsed)[:2]]
            parts += [f"{k} {v:.4g}" for k, v in self.evals.items() if math.isfinite(v)]
            print(" · ".join(parts), file=self.stream, flush=True)
        elif self.mode == "bar" and time.perf_counter() - self._last_draw >= REDRAW_SECONDS:
            self._draw(elapsed)

    def close(self, elapsed: float) -> None:
        if self.mode == "bar" and self.step:
            self._draw(elapsed)
            print(file=self.stream, flush=True)

    def _stats(self, elapsed: float) -> list[str]:
        rate = self.step / elapsed if elapsed > 0 else 0.0
        out = [f"{rate:.0f} steps/s", f"loss {self.loss:.4g}"]
        if self.metric in self.evals:
            out.append(f"{self.metric} {self.evals[self.metric]:.4g}")
        return out

    def _draw(self, elapsed: float) -> None:
        filled = round(BAR_WIDTH * min(self.step / self.total, 1.0))
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        text = " · ".join([f"[{bar}] {self.step}/{self.total} steps", *self._stats(elapsed)])
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width, self._last_draw = len(text), time.perf_counter()


def write_metrics_csv(path: Path, history: list[dict]) -> None:
    """One row per step with :data:`CSV_COLUMNS`; empty where a value is absent."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for m in history:
            writer.writerow([_csv_cell(m.get(k)) for k in CSV_COLUMNS])


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    value = float(value)
    return repr(value) if math.isfinite(value) else ""


def _prepare_output(path: Path) -> None:
    """Fail before training, not after, when an output file cannot be created."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create the folder for {str(path)!r}: {e.strerror}") from None
    if path.is_dir():
        raise UsageError(f"{str(path)!r} is a folder, not a file")


# --------------------------------------------------------------------------------------
# eval
# --------------------------------------------------------------------------------------


def _cmd_eval(args) -> int:
    try:
        ckpt = load_checkpoint(args.checkpoint)
    except OSError as e:
        raise UsageError(f"cannot read {str(args.checkpoint)!r}: {e.strerror or e}") from None
    except ValueError as e:  # CheckpointError
        raise UsageError(f"{str(args.checkpoint)!r} is not a valid checkpoint: {e}") from None
    if ckpt.task not in TASKS:
        raise UsageError(
            f"the checkpoint's task {ckpt.task!r} is not a built-in task "
            f"({', '.join(TASKS)}); it cannot be rebuilt here"
        )
    task = load_task(ckpt.task)
    if task.encoder is not None and ckpt.vocab != task.encoder.vocab:
        raise UsageError(
            f"the checkpoint's vocabulary differs from the {task.name} task's "
            f"({'none saved' if ckpt.vocab is None else f'{len(ckpt.vocab)} tokens'} vs "
            f"{len(task.encoder.vocab)})"
        )
    data, cfg = task.data, ckpt.model.config
    expected = {
        "input_size": data.input_size,
        "output_size": data.output_size,
        "output": data.output,
        "loss": data.loss,
    }
    for key, value in expected.items():
        if getattr(cfg, key) != value:
            raise UsageError(
                f"the model does not fit the {task.name} task: {key} is "
                f"{getattr(cfg, key)!r}, the task needs {value!r}"
            )
    result = {"task": task.name, "checkpoint": str(args.checkpoint), "step": ckpt.step}
    result.update(_scores(ckpt.model, data, data.output == "many_to_many"))
    if args.json:
        print(json.dumps(_jsonable(result), indent=2, ensure_ascii=False))
    else:
        _print_table(None, [[k, _fmt(v)] for k, v in result.items()])
    return EXIT_OK


# --------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------


def _load_builtin(name: str):
    try:
        return load_task(name)
    except ValueError as e:
        raise UsageError(str(e)) from None


def _scores(model, data, per_step: bool) -> dict:
    """Loss and accuracy on the whole train and test splits (accuracy nan for regression)."""
    out = {}
    for name in ("train", "test"):
        loss, acc = evaluate(model, getattr(data, name), per_step)
        out[f"{name}_loss"], out[f"{name}_acc"] = float(loss), float(acc)
    return out


def _jsonable(value):
    """Non-finite floats become null (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else "n/a"
    return str(value)


def _print_table(header: list[str] | None, rows: list[list[str]]) -> None:
    lines = ([header] if header else []) + rows
    widths = [max(len(str(r[i])) for r in lines) for i in range(len(lines[0]))]
    for row in lines:
        cells = [str(c).ljust(w) for c, w in zip(row, widths, strict=True)]
        print("  ".join(cells).rstrip())
