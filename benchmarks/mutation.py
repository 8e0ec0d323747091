"""Mutation testing of the label-producing code: does the fast test suite notice a small, realistic bug?

Each mutant is one small change to one module, applied alone: a comparison flipped or moved across its boundary
(``<`` → ``<=``, ``<`` → ``>``, ``==`` → ``!=``), an arithmetic operator swapped (``+``/``-``, ``*``/``/``, ``**`` →
``*``), a sign dropped, ``and``/``or`` or ``True``/``False`` exchanged, ``not`` removed, ``min``/``max`` and
``argmin``/``argmax`` exchanged, a float constant changed by 1 % and an integer by 1. Docstrings, error messages,
f-strings, annotations and ``__all__`` are not mutated. The mutated module is written into a scratch copy of the
repository (``src``, ``tests``, ``sample_data``, ``pyproject.toml``), and that target's fast tests run there (pytest
without plugin autoloading, ``-x``, fastest tests first); a failing run or one past the time limit (a mutant that
loops) kills the mutant, a passing run lets it survive. The working tree is never touched.

Targets (module: tests):

* ``models`` — ``physics/models.py``: ``tests/physics/test_model.py`` and the module's doctests.
* ``labels`` — ``dataset/labels.py``: ``tests/dataset/test_labels.py``, the doctests, the golden ``until="failure"``
  labels of ``tests/physics/test_aqs_golden.py``.
* ``statistics`` — ``rings/statistics.py``: the statistics and Aboav–Weaire tests of ``tests/rings``, the doctests.
* ``run`` — the event and refinement parts of ``physics/aqs/run.py`` (``_grid``, ``AQSRun.steps``, ``_break_order``,
  ``_past_failure``, ``_record``, ``_add_break``): the stepping and break-order tests of
  ``tests/physics/test_aqs_run.py``, the golden AQS runs, two grip tests (displacements; locations loaded at 90°).

    .venv/bin/python benchmarks/mutation.py                         # every target (~15-20 min on one core)
    .venv/bin/python benchmarks/mutation.py --targets models labels --list   # the mutants only, nothing run
    .venv/bin/python benchmarks/mutation.py --targets run --json mutation.json
    .venv/bin/python benchmarks/mutation.py --targets run --mutants 61 62 63     # re-check some (numbers of --list)

Prints one line per surviving mutant (module:line, function, before → after) and a table of the score per module
(killed / all mutants; time-outs count as killed and are shown apart).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = "src/glassfail_core"

#: name → (module path, pytest arguments (fastest first), functions to mutate or None for the whole module)
TARGETS = {
    "models": (f"{PKG}/physics/models.py",
               ["tests/physics/test_model.py", f"{PKG}/physics/models.py"], None),
    "labels": (f"{PKG}/dataset/labels.py",
               ["tests/dataset/test_labels.py", f"{PKG}/dataset/labels.py",
                "tests/physics/test_aqs_golden.py::test_golden_failure_labels_of_a_small_glass"], None),
    "statistics": (f"{PKG}/rings/statistics.py",
                   [f"{PKG}/rings/statistics.py", "tests/rings/test_ring_outputs.py", "tests/rings/test_find_rings.py",
                    "-k", "statistics or aboav or lemaitre or summary or hand_made or stone_wales or crop or tree "
                    "or explicit_bonds"], None),
    "run": (f"{PKG}/physics/aqs/run.py",
            ["tests/physics/test_aqs_run.py::test_run_owns_stepping_and_refinement",
             "tests/physics/test_aqs_run.py::test_break_order_in_one_step",
             "tests/physics/test_aqs_golden.py",
             "tests/physics/test_grips.py::test_crop_breaks_near_the_periodic_crystal",
             "tests/physics/test_grips.py::test_tension_at_90_degrees_equals_tension_along_y"],
            {"_grid", "AQSRun.steps", "AQSRun._break_order", "AQSRun._past_failure", "AQSRun._record",
             "AQSRun._add_break"}),
}

_CMP = {ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt, ast.GtE), ast.Gt: (ast.GtE, ast.Lt), ast.GtE: (ast.Gt, ast.LtE),
        ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,), ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,),
        ast.In: (ast.NotIn,), ast.NotIn: (ast.In,)}
_BIN = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult,
        ast.FloorDiv: ast.Div}
_NAMES = {"min": "max", "max": "min", "argmin": "argmax", "argmax": "argmin", "minimum": "maximum",
          "maximum": "minimum"}


@dataclass(frozen=True)
class Mutant:
    """One mutation: the node (index in ``ast.walk`` order of the parsed module) and what is done to it."""

    target: str
    node: int
    what: str
    arg: object
    line: int
    function: str
    before: str
    after: str = ""


def _skipped(tree):
    """Node ids not to mutate: docstrings, f-strings, annotations, ``raise`` statements, ``__all__``."""
    skip = set()

    def drop(n):
        skip.update(id(x) for x in ast.walk(n))

    for n in ast.walk(tree):
        body = getattr(n, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            drop(body[0])
        if isinstance(n, (ast.JoinedStr, ast.Raise)):
            drop(n)
        if isinstance(n, ast.arg) and n.annotation is not None:
            drop(n.annotation)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.returns is not None:
            drop(n.returns)
        if isinstance(n, ast.AnnAssign):
            drop(n.annotation)
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets):
            drop(n)
    return skip


def _functions(tree):
    """id(node) → qualified name of the function (or class body) it sits in ("" at module level)."""
    owner = {}

    def visit(n, name):
        for child in ast.iter_child_nodes(n):
            q = name
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                q = f"{name}.{child.name}" if name else child.name
            owner[id(child)] = q
            visit(child, q)

    visit(tree, "")
    return owner


def _variants(n):
    """``(what, arg, after)`` for every mutation of node ``n``."""
    out = []
    if isinstance(n, ast.Compare):
        for k, op in enumerate(n.ops):
            for new in _CMP.get(type(op), ()):
                out.append(("compare", (k, new.__name__), None))
    elif isinstance(n, (ast.BinOp, ast.AugAssign)) and type(n.op) in _BIN:
        out.append(("binop", _BIN[type(n.op)].__name__, None))
    elif isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.Not)):
        out.append(("unary", None, None))
    elif isinstance(n, ast.BoolOp):
        out.append(("boolop", None, None))
    elif isinstance(n, ast.Constant) and type(n.value) in (bool, int, float):
        v = n.value
        new = (not v) if isinstance(v, bool) else (v + 1 if isinstance(v, int) else (v * 1.01 if v else 1.0))
        out.append(("constant", new, None))
    elif isinstance(n, ast.Name) and n.id in _NAMES and isinstance(n.ctx, ast.Load):
        out.append(("name", _NAMES[n.id], None))
    elif isinstance(n, ast.Attribute) and n.attr in _NAMES:
        out.append(("attr", _NAMES[n.attr], None))
    return out


def _apply(tree, m: Mutant):
    """Apply ``m`` to ``tree`` (in place); returns the mutated node (or its replacement)."""
    nodes = list(ast.walk(tree))
    n = nodes[m.node]
    if m.what == "compare":
        k, new = m.arg
        n.ops[k] = getattr(ast, new)()
    elif m.what == "binop":
        n.op = getattr(ast, m.arg)()
    elif m.what == "boolop":
        n.op = ast.Or() if isinstance(n.op, ast.And) else ast.And()
    elif m.what == "constant":
        n.value = m.arg
    elif m.what == "name":
        n.id = m.arg
    elif m.what == "attr":
        n.attr = m.arg
    elif m.what == "unary":  # drop the operator: replace the node by its operand in its parent
        for parent in nodes:
            for field, value in ast.iter_fields(parent):
                if value is n:
                    setattr(parent, field, n.operand)
                    return n.operand
                if isinstance(value, list) and any(v is n for v in value):
                    value[[v is n for v in value].index(True)] = n.operand
                    return n.operand
    return n


def mutants(target: str) -> list:
    """Every mutant of a target, in source order."""
    path, _, only = TARGETS[target]
    source = (ROOT / path).read_text()
    tree = ast.parse(source)
    skip, owner = _skipped(tree), _functions(tree)
    out = []
    for k, n in enumerate(ast.walk(tree)):
        if id(n) in skip or not hasattr(n, "lineno"):
            continue
        fn = owner.get(id(n), "")
        if only is not None and not any(fn == f or fn.startswith(f + ".") for f in only):
            continue
        for what, arg, _ in _variants(n):
            m = Mutant(target, k, what, arg, n.lineno, fn, ast.unparse(n))
            t = ast.parse(source)
            after = ast.unparse(_apply(t, m))
            out.append(Mutant(target, k, what, arg, n.lineno, fn, m.before, after))
    return sorted(out, key=lambda m: (m.line, m.node, str(m.arg)))


def _scratch(workdir: Path):
    for name in ("src", "tests", "sample_data"):
        shutil.copytree(ROOT / name, workdir / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy2(ROOT / "pyproject.toml", workdir / "pyproject.toml")


def _pytest(workdir: Path, args, timeout):
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONPATH=str(workdir / "src"),
               NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-W", "ignore",
           "--doctest-modules", *args]
    t0 = time.perf_counter()
    try:
        rc = subprocess.run(cmd, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        rc = None
    return rc, time.perf_counter() - t0


def run_target(target: str, workdir: Path, factor: float, verbose: bool, only=None):
    path, tests, _ = TARGETS[target]
    original = (workdir / path).read_text()
    ms = [(i, m) for i, m in enumerate(mutants(target), 1) if not only or i in only]
    # the baseline: the original module, and the same module through ast.unparse (how every mutant is written)
    for label, text in (("original", original), ("unparsed", ast.unparse(ast.parse(original)) + "\n")):
        (workdir / path).write_text(text)
        rc, t_base = _pytest(workdir, tests, timeout=600)
        if rc != 0:
            (workdir / path).write_text(original)
            raise SystemExit(f"{target}: the tests fail on the {label} module (rc={rc}); nothing to measure")
    limit = max(10.0, factor * t_base)
    rows = []
    try:
        for i, m in ms:
            tree = ast.parse(original)
            _apply(tree, m)
            (workdir / path).write_text(ast.unparse(tree) + "\n")
            rc, dt = _pytest(workdir, tests, timeout=limit)
            status = "timeout" if rc is None else ("survived" if rc == 0 else "killed")
            rows.append({"number": i, **asdict(m), "status": status, "seconds": round(dt, 2)})
            if verbose or status == "survived":
                print(f"  [{i}] {status:8s} {path}:{m.line} {m.function or '<module>'}: "
                      f"{m.before} -> {m.after}", flush=True)
    finally:
        (workdir / path).write_text(original)
    return {"target": target, "module": path, "baseline_s": round(t_base, 2), "limit_s": round(limit, 1),
            "mutants": rows}


def table(results) -> str:
    lines = ["| module | mutants | killed | of which time-outs | survived | score |", "|---|---|---|---|---|---|"]
    for r in results:
        st = [m["status"] for m in r["mutants"]]
        n, surv, tout = len(st), st.count("survived"), st.count("timeout")
        score = f"{100 * (n - surv) / n:.1f} %" if n else "-"
        lines.append(f"| {r['module'].replace(PKG + '/', '')} | {n} | {n - surv} | {tout} | {surv} | {score} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--targets", nargs="+", choices=list(TARGETS), default=list(TARGETS))
    ap.add_argument("--list", action="store_true", help="print the mutants and stop")
    ap.add_argument("--timeout-factor", type=float, default=4.0, help="time limit of a mutant, × the baseline run")
    ap.add_argument("--json", type=Path, help="write every mutant and its outcome here")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per mutant, not only the survivors")
    ap.add_argument("--mutants", nargs="+", type=int, help="only these mutants (numbers as --list prints them)")
    args = ap.parse_args(argv)
    if args.list:
        for t in args.targets:
            ms = mutants(t)
            print(f"{t}: {len(ms)} mutants")
            for i, m in enumerate(ms, 1):
                print(f"  [{i}] {TARGETS[t][0]}:{m.line} {m.function or '<module>'}: {m.before} -> {m.after}")
        return
    results = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="glassfail-mutation-") as tmp:
        work = Path(tmp)
        _scratch(work)
        for t in args.targets:
            print(f"{t}: {len(mutants(t))} mutants of {TARGETS[t][0]}", flush=True)
            results.append(run_target(t, work, args.timeout_factor, args.verbose, set(args.mutants or ())))
    print()
    print(table(results))
    print(f"\n{sum(len(r['mutants']) for r in results)} mutants in {time.perf_counter() - t0:.0f} s "
          f"(Python {sys.version.split()[0]})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
