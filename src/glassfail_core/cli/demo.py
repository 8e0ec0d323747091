"""``glassfail demo [-o OUT_DIR] [--quick]``: the main job end to end on the shipped samples, into a report.

One line per stage with its time, then a short table (prediction vs simulation of the same glass, the micrograph)
and the report's path. The job is :func:`glassfail_core.report.demo_steps`.
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import console, emit_json, json_option, run_with_progress
from .options import output_folder


def _stage_printer(quiet: bool):
    def show(event):
        if quiet or not event.data.get("stage_done"):
            return
        console.print(f"[bold]{event.stage:<19}[/] {event.data['seconds']:6.1f} s  {event.data['summary']}",
                      highlight=False)

    return show


def _f(v, fmt=".4f"):
    return "–" if v is None else format(v, fmt)


def _summary_table(report: dict):
    from rich.table import Table

    t = Table(title=f"{report['comparison']['glass']}: predicted vs simulated", title_justify="left")
    for col in ("", "predicted", "90 % interval", "simulated", "inside"):
        t.add_column(col, justify="left" if not col else "right")
    for row in report["comparison"]["strains"]:
        fmt = ".5f" if row["quantity"] == "max_stress" else ".4f"
        interval = "–" if row["low"] is None else f"{row['low']:{fmt}} – {row['high']:{fmt}}"
        inside = "–" if row["inside_interval"] is None else ("yes" if row["inside_interval"] else "no")
        t.add_row(row["quantity"], _f(row["predicted"], fmt), interval, _f(row["simulated"], fmt), inside)
    for s in report["comparison"]["sites"]:
        p, q = s["predicted"], s["simulated"]
        t.add_row(s["site"], "–" if p is None else f"({p[0]:.1f}, {p[1]:.1f})", "",
                  "–" if q is None else f"({q[0]:.1f}, {q[1]:.1f})", f"{_f(s['distance_A'], '.1f')} Å apart")
    return t


@click.command("demo")
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo_out"),
              show_default=True, callback=output_folder,
              help="Report folder: index.html, report.json, the figures, simulation/ and data/.")
@click.option("--quick", is_flag=True,
              help="Smallest inputs that run every stage (a 320-atom glass, few Grad-CAM copies): for tests and CI.")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), default=None,
              help="Model folder (default: the shipped model).")
@json_option
def command(out_dir, quick, model_dir, as_json):
    """Run glassfail end to end on the shipped samples and write a report (OUT_DIR/index.html).

    A simulated glass: its rings, the predicted failure and first-break strains with their intervals and sites,
    the Grad-CAM heatmap, then the simulation of the same glass past failure and both side by side. A micrograph:
    the atoms and rings found, the prediction and heatmap on it. And the model's test metrics.
    """
    from ..report import demo_steps

    job = demo_steps(out_dir, quick=quick, model=model_dir)
    outcome = run_with_progress(job, description="demo", quiet=as_json, on_event=_stage_printer(as_json))
    if as_json:
        emit_json(outcome.to_dict())
        return
    report = outcome.report
    console.print(_summary_table(report))
    m = report["micrograph"]
    mp = m["prediction"]["failure_strain"]
    console.print(f"micrograph {m['file']}: {m['n_atoms']} atoms found, "
                  f"{m['rings']['n_rings'] if m['rings'] else 0} rings; predicted failure strain "
                  f"{_f(mp and mp['value'])}", highlight=False)
    if quick:
        console.print("[yellow]quick mode:[/] small inputs, for tests; run without --quick for the demo",
                      highlight=False)
    console.print(f"report: {outcome.index}  ({outcome.wall_s:.0f} s in all)", highlight=False)
