#!/usr/bin/env python3
"""Regenerate NotoSansSC-subset.otf (needs `pip install fonttools` and Debian's fonts-noto-cjk).

Noto Sans CJK SC (SIL Open Font License 1.1), cut down to the CJK characters and full-width
punctuation that assets/i18n/zh-CN.ftl uses, so the bundle stays small. Run it again after
changing the Chinese catalogue; tests/i18n.rs fails when a character is not covered.
"""
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
NOTO = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
SC_INDEX = 2  # Noto Sans CJK SC inside the collection


def wanted_chars():
    text = (HERE.parent / "i18n" / "zh-CN.ftl").read_text(encoding="utf-8")
    # Only what the other bundled fonts lack: CJK ideographs, CJK punctuation, full-width forms.
    return sorted({c for c in text if ord(c) >= 0x2E80})


def main():
    chars = wanted_chars()
    unicodes = ",".join(f"U+{ord(c):04X}" for c in chars)
    subprocess.run(
        [sys.executable, "-m", "fontTools.subset", NOTO, f"--font-number={SC_INDEX}",
         f"--unicodes={unicodes}", "--output-file=" + str(HERE / "NotoSansSC-subset.otf"),
         "--layout-features=*", "--no-hinting", "--desubroutinize"],
        check=True,
    )
    print(f"{len(chars)} characters")


if __name__ == "__main__":
    main()
