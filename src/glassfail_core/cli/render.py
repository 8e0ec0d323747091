"""``glassfail render STRUCTURE -o IMAGE.tif``: a synthetic micrograph of a structure."""

from __future__ import annotations

from pathlib import Path

import click

from .common import console, emit_json, json_option, load_structure, structure_argument
from .options import output_file


@click.command("render")
@structure_argument()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              callback=output_file("micrograph"), help="TIFF to write (float32, calibrated: the pixel size reads back in glassfail, Fiji, napari).")
@click.option("--pixel-size", type=float, default=0.32, show_default=True, help="Pixel size in Å/px.")
@click.option("--style", type=click.Choice(["spots", "tem"]), default="spots", show_default=True,
              help="Gaussian spots (the reference recipe) or a contrast-transfer HRTEM model.")
@click.option("--noise/--no-noise", default=True, show_default=True, help="Poisson counting noise.")
@click.option("--dose", type=float, default=1.0, show_default=True,
              help="Multiplies every expected count before the noise (lower = noisier).")
@click.option("--seed", type=int, help="Seed of the noise.")
@json_option
def command(structure, output, pixel_size, style, noise, dose, seed, as_json):
    """Render a structure as a synthetic micrograph (Si bright, O faint) covering its cell."""
    from ..micrograph import render_glass, write_micrograph

    if not pixel_size > 0:
        raise click.BadParameter(f"must be positive (Å/px), got {pixel_size}", param_hint="--pixel-size")
    if not dose > 0:
        raise click.BadParameter(f"must be positive, got {dose}", param_hint="--dose")
    glass = load_structure(structure)
    m = render_glass(glass, pixel_size=pixel_size, style=style, noise=noise, seed=seed, dose=dose)
    m = m.replace(info={**m.info, "structure": str(structure)})
    write_micrograph(m, output)
    d = {"output": str(output), "shape": list(m.shape), "pixel_size": m.pixel_size, "extent": list(m.extent),
         "style": style, "noise": noise, "dose": dose, "seed": seed, "n_si": glass.n_si, "n_o": glass.n_o}
    if as_json:
        emit_json(d)
        return
    console.print(f"wrote {output}: {m.shape[0]} × {m.shape[1]} px at {m.pixel_size:g} Å/px "
                  f"({m.extent[0]:.1f} × {m.extent[1]:.1f} Å), style {style}", highlight=False)
