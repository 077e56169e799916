"""``twin plugins [list|check|run|samples]``: the installed plugins, what they contribute, and whether their code loads."""

from __future__ import annotations

import argparse
import shutil
import sys
import textwrap

from twin.cli.output import dump_json
from twin.plugins.registry import PluginRecord, PluginRegistry, registry as default_registry
from twin.plugins.sections import LABELS



def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("plugins", help="list the installed plugins, check their code, run their analyses",
                       description="Plugins are found through the Python entry point group 'twin.plugins'.")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    p.set_defaults(action="list", json=False)
    ls = actions.add_parser("list", help="the plugins, their status and contributions (default)")
    ls.add_argument("--json", action="store_true", help="print only a JSON list on stdout")
    ck = actions.add_parser("check", help="import every contribution's code; exit 1 if any plugin is broken")
    ck.add_argument("--json", action="store_true", help="print only a JSON list on stdout")
    run = actions.add_parser("run", help="run a plugin analysis on a project")
    run.add_argument("analysis", help="analysis id (see 'twin plugins list'), or PLUGIN/ID")
    run.add_argument("project")
    run.add_argument("--layer", help="layer to analyse (default: the only layer of the kinds it needs)")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="analysis parameter (repeatable)")
    run.add_argument("--format", choices=("table", "csv", "json"), default="table")
    run.add_argument("--max-rows", type=int, default=100, help="rows shown in table format (default 100)")
    run.add_argument("--picture", metavar="PNG", help="also draw the analysis's chart or map into this PNG")
    samples = actions.add_parser("samples", help="the sample data files plugins ship, with their paths")
    samples.add_argument("--json", action="store_true", help="print only a JSON list on stdout")
    return p


def run(args: argparse.Namespace, *, registry: PluginRegistry | None = None) -> int:
    reg = registry or default_registry
    if args.action == "check":
        return _check(reg, as_json=args.json)
    if args.action == "run":
        return _run_analysis(reg, args)
    if args.action == "samples":
        return _samples(reg, as_json=args.json)
    return _list(reg, as_json=args.json)


def _list(reg: PluginRegistry, *, as_json: bool) -> int:
    records = reg.records()
    if as_json:
        dump_json([r.to_dict() for r in records])  # strict JSON: NaN and infinities as null
        return 0
    if not records:
        print("no plugins installed (entry point group 'twin.plugins')", file=sys.stderr)
        return 0
    rows = [(r.name, r.version, "enabled" if r.enabled else "DISABLED", "built-in" if r.builtin else r.source, r)
            for r in records]
    widths = [max(len(str(row[i])) for row in rows + [("PLUGIN", "VERSION", "STATUS", "FROM", None)]) for i in range(4)]
    lead = sum(widths) + 8
    wrap = max(40, shutil.get_terminal_size((120, 24)).columns - lead)
    print("  ".join(h.ljust(w) for h, w in zip(("PLUGIN", "VERSION", "STATUS", "FROM"), widths)) + "  CONTRIBUTES")
    for *cells, record in rows:
        text = _contributes(record) if record.enabled else f"error: {record.error}"
        lines = textwrap.wrap(text, wrap, break_on_hyphens=False) or [""]
        print("  ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + "  " + lines[0])
        for line in lines[1:]:
            print(" " * lead + line)
    disabled = sum(not r.enabled for r in records)
    if disabled:
        print(f"{disabled} plugin(s) disabled; 'twin plugins check' says why", file=sys.stderr)
    return 0


def _contributes(record: PluginRecord) -> str:
    if record.manifest is None:
        return ""
    parts = []
    for section, items in record.manifest.contributions.items():
        noun = LABELS[section][0 if len(items) == 1 else 1]
        ids = ", ".join(c.id for c in items)
        parts.append(f"{len(items)} {noun} ({ids})" if len(items) <= 6 else f"{len(items)} {noun}")
    return "; ".join(parts) or "nothing"


def _check(reg: PluginRegistry, *, as_json: bool) -> int:
    results = reg.check()
    records = {key: reg.plugins[key] for key in results}
    if as_json:
        out = [{"name": records[k].name, "version": records[k].version, "ok": not problems, "problems": problems}
               for k, problems in results.items()]
        dump_json(out)  # strict JSON: NaN and infinities as null
    else:
        for key, problems in results.items():
            record = records[key]
            count = sum(len(c.code_keys()) for c in record.manifest.all_contributions()) if record.manifest else 0
            if problems:
                print(f"{key} {record.version}: BROKEN")
                for problem in problems:
                    print(f"  - {problem}")
            else:
                print(f"{key} {record.version}: ok ({count} code reference(s) imported)")
    broken = [k for k, problems in results.items() if problems]
    if broken:
        print(f"twin plugins check: {len(broken)} broken plugin(s): {', '.join(broken)}", file=sys.stderr)
        return 1
    print(f"twin plugins check: all {len(results)} plugin(s) load", file=sys.stderr)
    return 0


def _run_analysis(reg: PluginRegistry, args: argparse.Namespace) -> int:
    from twin.cli.cmd_query import print_result
    from twin.plugins.analyses import parse_params, run_analysis
    from twin.store.project import Project

    params = parse_params(args.param)
    if args.picture and not str(args.picture).lower().endswith(".png"):
        from twin.errors import TwinError

        raise TwinError(f"--picture {args.picture}: the picture is written as PNG; give a file ending in .png")
    with Project.open(args.project, read_only=True) as project:
        result = run_analysis(project, args.analysis, layer=args.layer, params=params, registry=reg)
        if args.picture:
            from twin.plugins.analyses import draw_picture

            path = draw_picture(project, args.analysis, result, args.picture, registry=reg)
            print(f"twin plugins run: wrote {path}", file=sys.stderr)
    print_result(result, format=args.format, max_rows=args.max_rows)
    print(f"twin plugins run: {args.analysis}: {result.num_rows} row(s)", file=sys.stderr)
    return 0


def _samples(reg: PluginRegistry, *, as_json: bool) -> int:
    from twin.errors import TwinError

    out, failures = [], 0
    for contribution in reg.contributions("sample_data"):
        try:
            paths = [str(p) for p in reg.sample_data(contribution)]
        except TwinError as exc:
            print(f"twin plugins samples: {exc}", file=sys.stderr)
            failures += 1
            continue
        out.append({"plugin": contribution.plugin, "id": contribution.id, "title": contribution.title,
                    "stage": contribution.fields.get("stage"), "service": contribution.fields.get("service"),
                    "paths": paths})
    if as_json:
        dump_json(out)  # strict JSON: NaN and infinities as null
    else:
        for item in out:
            print(f"{item['id']} ({item['plugin']}): {item['title']}")
            for path in item["paths"]:
                print(f"  {path}")
        if not out:
            print("no sample data installed", file=sys.stderr)
    return 1 if failures else 0
