#!/usr/bin/env python3
"""Execute notebooks top to bottom in a fresh kernel and store their outputs in place.

Usage:  python tools/run_notebooks.py book/softmax.ipynb [more.ipynb ...]
        python tools/run_notebooks.py --all        # every notebook listed under book/

Each notebook runs with its own folder as working directory, exactly as nbval and
the book build run it, so the stored outputs are the ones they compare against.
Timing metadata is not recorded, and consecutive pieces of one stream (which the kernel
splits wherever it happened to flush) are joined, so re-running an unchanged notebook gives
no diff.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def coalesce_streams(outputs: list) -> list:
    """Join consecutive stdout (or stderr) outputs into one, as a reader sees them."""
    joined: list = []
    for out in outputs:
        prev = joined[-1] if joined else None
        if (out.get("output_type") == "stream" and prev is not None
                and prev.get("output_type") == "stream" and prev.get("name") == out.get("name")):
            prev["text"] += out["text"]
        else:
            joined.append(out)
    return joined


def run(path: Path, timeout: int = 600) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    nbformat.write(nb, path)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--all", action="store_true", help="run every notebook under book/")
    args = parser.parse_args(argv)
    paths = sorted((ROOT / "book").rglob("*.ipynb")) if args.all else args.notebooks
    paths = [p for p in paths if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts]
    if not paths:
        parser.error("name at least one notebook, or pass --all")
    for path in paths:
        print(f"running {path.resolve().relative_to(ROOT)}", flush=True)
        run(path.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
