"""The `gradstep` command line, the top floor: it parses flags and calls the library below.

gradstep train                                  # micrograd's demo
gradstep train --dataset iris                   # held-out test split, Adam, cross-entropy
gradstep train --dataset spirals --hidden 32,32 --steps 300 --out runs/spirals
gradstep train --dataset pets.csv --target kind    # your own data: a CSV with a header row
gradstep eval runs/spirals                          # score a saved model (the run's test split)
"""

from __future__ import annotations

from collections.abc import Sequence

from nn.cli.parser import build_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `gradstep` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.run(args, args.usage_error)


__all__ = ["build_parser", "main"]
