#!/usr/bin/env python3
"""Run mypy on app/ against a baseline that only shrinks.

mypy-baseline.txt holds the errors the code had when type checking started, one per line as
``file: [code] message`` (no line numbers, so moving code does not churn it; a repeated line means
that error occurs that many times in the file). The check fails on every error that is not in the
baseline and says which baseline entries no longer occur.

    python scripts/mypy_check.py                  # check (CI, pre-commit)
    python scripts/mypy_check.py --update         # drop the entries that no longer occur
    python scripts/mypy_check.py --update --allow-grow   # also record new errors (needs a reason in review)

Extra arguments after ``--`` go to mypy. The mypy settings are in pyproject.toml ([tool.mypy]).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "mypy-baseline.txt"
HEADER = """\
# mypy errors on app/ that are tolerated for now; this list may only shrink.
# One line per error as `file: [code] message` (no line numbers; a repeated line counts twice).
# Regenerate with `python scripts/mypy_check.py --update` (refuses to add lines without --allow-grow).
"""
ERROR = re.compile(
    r"^(?P<file>[^:\n]+\.pyi?):(?P<line>\d+)(?::\d+)?: error: (?P<message>.*?)(?:\s+\[(?P<code>[a-z0-9-]+)\])?$"
)
LINE_REFERENCE = re.compile(r"\b(line|lines) \d+(-\d+)?")


def normalise(file: str, code: str | None, message: str) -> str:
    """``file: [code] message`` without line numbers (also inside the message)."""
    message = LINE_REFERENCE.sub(r"\1 N", message.strip())
    return f"{Path(file).as_posix()}: [{code or 'misc'}] {message}"


def run_mypy(extra: list[str]) -> tuple[Counter[str], dict[str, list[str]], int]:
    """Run mypy; return the normalised errors (counted), their raw lines, and mypy's exit status."""
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--show-error-codes",
        "--no-pretty",
        "--no-error-summary",
        "--no-color-output",
        *extra,
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    errors: Counter[str] = Counter()
    raw: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        match = ERROR.match(line)
        if match:
            key = normalise(match["file"], match["code"], match["message"])
            errors[key] += 1
            raw.setdefault(key, []).append(line)
    if result.returncode not in (0, 1) or (result.returncode == 1 and not errors):
        sys.stderr.write(result.stdout + result.stderr)
        sys.stderr.write(f"mypy failed to run (exit status {result.returncode}).\n")
        raise SystemExit(2)
    return errors, raw, result.returncode


def read_baseline(path: Path = BASELINE) -> Counter[str]:
    """The baseline's entries, counted."""
    if not path.exists():
        return Counter()
    lines = path.read_text(encoding="utf-8").splitlines()
    return Counter(line for line in lines if line.strip() and not line.startswith("#"))


def write_baseline(errors: Counter[str], path: Path = BASELINE) -> None:
    """Write the entries sorted, a repeated entry once per occurrence."""
    body = "".join(f"{entry}\n" for entry in sorted(errors.elements()))
    path.write_text(HEADER + body, encoding="utf-8")


def main(argv: list[str]) -> int:
    """Compare mypy's findings with the baseline; with --update, rewrite the baseline."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true", help="rewrite the baseline with the current errors")
    parser.add_argument("--allow-grow", action="store_true", help="with --update: also record new errors")
    parser.add_argument("--baseline", type=Path, default=BASELINE, help="baseline file (default: %(default)s)")
    parser.add_argument("mypy_args", nargs="*", help="extra arguments for mypy (after --)")
    args = parser.parse_args(argv)

    errors, raw, _ = run_mypy(args.mypy_args)
    baseline = read_baseline(args.baseline)
    new = errors - baseline
    gone = baseline - errors
    total = sum(errors.values())

    if args.update:
        if new and not args.allow_grow:
            print(f"Refusing to add {sum(new.values())} new error(s) to the baseline (fix them, or pass --allow-grow):")
            for entry in sorted(new):
                print("  " + "\n  ".join(raw[entry]))
            return 1
        write_baseline(errors, args.baseline)
        print(f"{args.baseline.name}: {total} entries ({sum(gone.values())} removed, {sum(new.values())} added).")
        return 0

    if gone:
        count = sum(gone.values())
        print(f"{count} baseline {'entry no longer occurs' if count == 1 else 'entries no longer occur'}:")
        for entry in sorted(gone.elements()):
            print(f"  {entry}")
        print("Remove them with `python scripts/mypy_check.py --update` (the baseline only shrinks).")
    if new:
        print(f"mypy: {sum(new.values())} new error(s) not in {args.baseline.name}:")
        for entry in sorted(new):
            lines = raw[entry]
            # Of several identical errors, any could be the new one: show them all.
            print("  " + "\n  ".join(lines))
        print("Fix them (docs: CONTRIBUTING.md, 'Type checking').")
        return 1
    print(f"mypy: {total} error(s), all in the baseline ({sum(baseline.values())} entries).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
