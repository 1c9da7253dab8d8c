"""How people read a comparison's variants.

The fractional variant is the ideal the others track (divisible and free), so tables,
progress bars and figures call it "ideal"; the ledger's label and the JSON output keep
the variant's own name, "fractional".
"""

from __future__ import annotations

VARIANT_NAMES = {"fractional": "ideal", "fractional_costs": "frac+costs"}


def variant_name(variant: str | None) -> str:
    """"dynamic lambda=10 buffer=0.05" (a label of compare's --lambda/--buffer) reads "dynamic λ=10 B=0.05"."""
    if variant is None:
        return ""
    name, _, rest = variant.partition(" ")
    short = VARIANT_NAMES.get(name, name)
    return f"{short} {rest.replace('lambda=', 'λ=').replace('buffer=', 'B=')}".strip()
