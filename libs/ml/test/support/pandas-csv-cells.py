#!/usr/bin/env python3
"""Measure how pandas.read_csv (default options) reads single cells: the expectations of libs/ml/test/csv-cells.test.ts.

Run from the repository root: .venv/bin/python libs/ml/test/support/pandas-csv-cells.py

Each cell is written as the second data row of a column, twice: below "no" (a text column) and below "2.5" (a number
column; "2,5" with sep=";" and decimal=","), beside a second column "k" of 1s so that a blank cell is not a blank line.
For each it prints the column's dtype and the cell's value as JSON (NaN as null), one line per cell.
"""

from __future__ import annotations

import io
import json
import math

import pandas as pd

CELLS = [" yes", "yes ", " ", "  ", "\t", "", " 1.5", "1.5 ", "\t1.5", "\u00a01.5", " NA", "NA ", "NA", "nan", " nan", " inf"]
COMMA_CELLS = [" 1,5", "1,5 ", " 1.5"]


def read(first: str, cell: str, sep: str, decimal: str) -> dict[str, object]:
    """The column holding `first` then `cell`: its dtype and the value pandas gives the cell."""
    body = f"t{sep}k\n{first}{sep}1\n{cell}{sep}1\n"
    column = pd.read_csv(io.StringIO(body), sep=sep, decimal=decimal)["t"]
    value = column.iloc[1]
    missing = isinstance(value, float) and math.isnan(value)
    return {"dtype": str(column.dtype), "value": None if missing else value}


def main() -> None:
    print(f"pandas {pd.__version__}")
    for cell in CELLS:
        text, number = read("no", cell, ",", "."), read("2.5", cell, ",", ".")
        print(json.dumps({"cell": cell, "text": text, "number": number}))
    for cell in COMMA_CELLS:
        number = read("2,5", cell, ";", ",")
        print(json.dumps({"cell": cell, "sep": ";", "decimal": ",", "number": number}))


if __name__ == "__main__":
    main()
