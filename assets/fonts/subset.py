#!/usr/bin/env python3
"""Regenerate the bundled font subsets (needs `pip install fonttools`).

DejaVuSans-subset.ttf: Latin, Greek, combining marks, phonetic extensions (ᵢ), super/subscripts, arrows, math
operators, geometric shapes and dingbats from DejaVu Sans (Bitstream Vera / DejaVu licence),
so every formula the app draws renders without tofu.
"""
import subprocess
import sys

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Debian: fonts-dejavu-core
RANGES = [
    "U+0020-007E", "U+00A0-017F", "U+0300-036F", "U+0370-03FF", "U+1D00-1DBF", "U+1E00-1EFF",
    "U+1F00-1FFF",
    "U+2000-206F", "U+2070-209F", "U+20D0-20FF", "U+2100-214F", "U+2190-21FF", "U+2200-22FF",
    "U+2300-23FF", "U+2460-24FF", "U+2500-25FF", "U+2600-27BF", "U+27E8-27EF", "U+2A00-2AFF",
]

def main():
    subprocess.run(
        [sys.executable, "-m", "fontTools.subset", DEJAVU, "--unicodes=" + ",".join(RANGES),
         "--output-file=DejaVuSans-subset.ttf", "--layout-features=*", "--no-hinting"],
        check=True,
    )

if __name__ == "__main__":
    main()
