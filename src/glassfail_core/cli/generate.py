"""``glassfail generate -o OUT``: amorphous (or preset) periodic 2D silica samples, optionally cut into a shape."""

from __future__ import annotations

from pathlib import Path

import click

from .common import console, emit_json, json_option, run_with_progress, set_quiet
from .options import output_file


def _rings(ctx, param, value):
    from ..errors import InputError
    from ..generation import parse_rings

    try:
        return parse_rings(value)
    except InputError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


@click.command("generate")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              callback=output_file("structure"), help="Output structure file (.extxyz keeps all metadata; .xyz, .data also work).")
@click.option("--rings", default="16x18", show_default=True, callback=_rings,
              help="Dual lattice columns x rows (rows even); 16x18 gives 576 Si + 864 O.")
@click.option("--variance", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Target ring-size variance s² (0: crystal).")
@click.option("--seed", type=int, default=None, help="Random seed (drawn and recorded when omitted).")
@click.option("--alpha", type=float, default=0.3, show_default=True, help="Target Aboav–Weaire parameter.")
@click.option("--max-ring", type=int, default=10, show_default=True, help="Largest ring size allowed (smallest: 4).")
@click.option("--no-relax", is_flag=True, help="Skip the final relaxation with the physics engine.")
@click.option("--preset", type=click.Choice(["crystal", "stone-wales"]), default=None,
              help="A named structure instead of an amorphous one (uses --rings).")
@click.option("--shape", type=click.Choice(["rect", "disc", "notch"]), default=None,
              help="Cut a non-periodic shape (free edges, dangling atoms removed) out of the periodic sample.")
@click.option("--platform", default=None, help="Physics engine platform for the relaxation (default: automatic).")
@json_option
@click.option("-q", "--quiet", is_flag=True, help="Only errors (as glassfail -q).")
def command(output, rings, variance, seed, alpha, max_ring, no_relax, preset, shape, platform, as_json, quiet):
    """Generate a 2D silica sample by bond switching on the dual lattice and write it to OUTPUT.

    Example: glassfail generate -o glass.extxyz --rings 16x18 --variance 1.0 --seed 7
    """
    from ..generation import GenerationParams, cut_shape, generate_steps, honeycomb, stone_wales
    from ..io import write_structure

    if quiet:
        set_quiet(True)
    nx, ny = rings
    if preset is None:
        extra = {} if platform is None else {"platform": platform}
        GenerationParams(rings=rings, variance=variance, alpha=alpha, max_ring=max_ring, relax=not no_relax, **extra)
        job = generate_steps(rings, variance, alpha=alpha, max_ring=max_ring, seed=seed, relax=not no_relax, **extra)
        glass = run_with_progress(job, description="generate", quiet=quiet or as_json,
                                  fields={"variance": "s²={:.3f}", "alpha": "α={:.3f}"})
    elif preset == "crystal":
        glass = honeycomb(nx, ny)
        if not no_relax:
            from ..physics import relax_steps

            glass = run_with_progress(relax_steps(glass, cell=True, platform=platform), description="relax",
                                      quiet=quiet or as_json)
    else:
        with console.status("building the Stone–Wales preset", spinner="dots") if not (quiet or as_json) else _null():
            glass = stone_wales(nx, ny, relax=not no_relax, **({} if platform is None else {"platform": platform}))
    if shape is not None:
        glass = cut_shape(glass, shape)
    write_structure(glass, output)
    summary = _summary(glass, output)
    if as_json:
        emit_json(summary)
        return
    counts = {int(k): int(v) for k, v in (summary.get("ring_counts") or {}).items()}
    total = sum(counts.values())
    console.print(
        f"wrote {output}: {summary['n_atoms']} atoms ({summary['n_si']} Si, {summary['n_o']} O), cell "
        f"{summary['cell'][0]:.3f} × {summary['cell'][1]:.3f} Å"
        + (f"; s² = {summary['variance']:.4f} (target {summary['target_variance']:g})" if "variance" in summary else "")
        + (f", α = {summary['alpha']:.3f} (target {summary['target_alpha']:g})" if summary.get("alpha") is not None
           else "")
        + ("; p(n) " + ", ".join(f"{k}: {v / total:.3f}" for k, v in sorted(counts.items())) if total else "")
        + (f"; seed {summary['seed']}" if "seed" in summary else ""),
        highlight=False, soft_wrap=True,
    )


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _summary(glass, output):
    info = glass.info.get("cut_from", glass.info)
    out = {"file": str(output), "n_atoms": len(glass), "n_si": glass.n_si, "n_o": glass.n_o,
           "cell": [float(c) for c in glass.cell], "pbc": list(glass.pbc)}
    for k in ("seed", "variance", "target_variance", "alpha", "target_alpha", "ring_counts", "generator_version",
              "preset"):
        if k in info:
            out[k] = info[k]
    if "shape" in glass.info:
        out["shape"] = glass.info["shape"]
    return out
