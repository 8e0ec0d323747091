"""The README's picture from the real demo report: its site maps and heatmap over the glass, with the stress–strain
curve below (both figures exactly as ``glassfail demo`` drew them), scaled to fit in under 300 KB.

    .venv/bin/glassfail demo && .venv/bin/python docs/make_demo_picture.py   # → docs/images/demo_report.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report", nargs="?", type=Path, default=ROOT / "demo_out")
    ap.add_argument("-o", "--out", type=Path, default=ROOT / "docs" / "images" / "demo_report.png")
    ap.add_argument("--width", type=int, default=1100)
    args = ap.parse_args(argv)
    maps = Image.open(args.report / "maps.png").convert("RGB")
    curve = Image.open(args.report / "stress_strain.png").convert("RGB")
    w = args.width
    maps = maps.resize((w, round(maps.height * w / maps.width)), Image.LANCZOS)
    cw = round(w * 0.62)
    curve = curve.resize((cw, round(curve.height * cw / curve.width)), Image.LANCZOS)
    page = Image.new("RGB", (w, maps.height + curve.height), "white")
    page.paste(maps, (0, 0))
    page.paste(curve, ((w - cw) // 2, maps.height))
    page = page.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    page.save(args.out, optimize=True)
    return args.out


if __name__ == "__main__":
    path = main()
    print(f"wrote {path} ({path.stat().st_size // 1024} KB)")
