#!/usr/bin/env python3
"""Check digits used by the cmm-to-qms example, and a check of every id that carries one.

    python3 master/check_digits.py          # from examples/cmm-to-qms/

Two rules, both as schemas/quality.yaml declares them:

* Part numbers (PartNo): 8 digits, the last a GS1 mod-10 check digit over the first 7.
  From the rightmost data digit leftwards, multiply the digits by 3, 1, 3, 1, ...; the
  check digit is (10 - sum % 10) % 10.
  47301122: data 4730112, right to left 2*3 + 1*1 + 1*3 + 0*1 + 3*3 + 7*1 + 4*3 = 38,
            check (10 - 8) % 10 = 2.
  47301290: data 4730129, 9*3 + 2*1 + 1*3 + 0*1 + 3*3 + 7*1 + 4*3 = 60, check 0.
  47301125 (a row of data/gauge_readings.csv, a mistyped 47301122) has check digit 5,
            but the data 4730112 needs 2: it must be rejected.

* QMS characteristic ids (QmsCharId): 8 characters, 7 digits then an ISO/IEC 7064
  MOD 11-2 check character (0-9 or X). Left to right: p = 0; for each digit d,
  p = ((p + d) * 2) % 11; the check value is (12 - p) % 11, written X when it is 10.
  Worked by hand for 2101001 (digits 2,1,0,1,0,0,1):
      p = (0+2)*2 % 11 = 4
      p = (4+1)*2 % 11 = 10
      p = (10+0)*2 % 11 = 9
      p = (9+1)*2 % 11 = 9
      p = (9+0)*2 % 11 = 7
      p = (7+0)*2 % 11 = 3
      p = (3+1)*2 % 11 = 8
      check = (12 - 8) % 11 = 4  -> 21010014
  And for 2101009 (digits 2,1,0,1,0,0,9): p = 4, 10, 9, 9, 7, 3, (3+9)*2 % 11 = 2,
      check = (12 - 2) % 11 = 10 -> written X -> 2101009X
  The self-test below also checks both functions against published values.

Nothing here is imported by the mapping; the compiler is to implement the same rules
(spec: `check_digit: gs1_mod10` / `check_digit: iso7064_mod11_2`).
"""

import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def gs1_mod10(data):
    """GS1 mod-10 check digit (a str of one digit) for the digit string `data`."""
    total = 0
    for position, ch in enumerate(reversed(data)):
        total += int(ch) * (3 if position % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def iso7064_mod11_2(data):
    """ISO/IEC 7064 MOD 11-2 check character ('0'-'9' or 'X') for the digit string `data`."""
    p = 0
    for ch in data:
        p = ((p + int(ch)) * 2) % 11
    value = (12 - p) % 11
    return "X" if value == 10 else str(value)


def self_test():
    # GS1: the EAN-13 of the GS1 General Specifications / Wikipedia example 4006381333931.
    assert gs1_mod10("400638133393") == "1"
    # GS1: GTIN-12 036000291452 (a well-known UPC-A example).
    assert gs1_mod10("03600029145") == "2"
    # ISO 7064 MOD 11-2 as used by ORCID identifiers: 0000-0002-1825-0097, 0000-0002-1694-233X.
    assert iso7064_mod11_2("000000021825009") == "7"
    assert iso7064_mod11_2("000000021694233") == "X"
    # The hand-worked examples of the docstring.
    assert gs1_mod10("4730112") == "2"
    assert gs1_mod10("4730129") == "0"
    assert iso7064_mod11_2("2101001") == "4"
    assert iso7064_mod11_2("2101009") == "X"


def valid_part_no(text):
    return len(text) == 8 and text.isdigit() and gs1_mod10(text[:7]) == text[7]


def valid_qms_char_id(text):
    return (
        len(text) == 8
        and text[:7].isdigit()
        and (text[7].isdigit() or text[7] == "X")
        and iso7064_mod11_2(text[:7]) == text[7]
    )


def column(path, name):
    with open(path, encoding="utf-8", newline="") as f:
        return [row[name] for row in csv.DictReader(f)]


def main():
    self_test()
    master = HERE
    data = os.path.join(os.path.dirname(HERE), "data")
    checks = [
        (os.path.join(master, "parts.csv"), "part_number", valid_part_no),
        (os.path.join(master, "characteristics.csv"), "part_number", valid_part_no),
        (os.path.join(master, "operations.csv"), "part_number", valid_part_no),
        (os.path.join(master, "characteristics.csv"), "qms_characteristic_id", valid_qms_char_id),
        (os.path.join(master, "characteristic_crosswalk.csv"), "qms_characteristic_id", valid_qms_char_id),
        (os.path.join(data, "gauge_readings.csv"), "part_number", valid_part_no),
    ]
    master_ok = True
    for path, name, rule in checks:
        values = column(path, name)
        bad = [v for v in values if not rule(v)]
        rel = os.path.relpath(path, os.path.dirname(HERE))
        print(f"{rel}: {name}: {len(values) - len(bad)} valid, {len(bad)} invalid {bad}")
        if bad and os.path.basename(path) != "gauge_readings.csv":
            master_ok = False
    # Master data must be clean; the gauge file holds one deliberately wrong part number.
    return 0 if master_ok else 1


if __name__ == "__main__":
    sys.exit(main())
