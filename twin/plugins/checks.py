"""``twin plugins check``: import every piece of code a plugin declares and say what fails."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twin.plugins.manifest import Contribution

if TYPE_CHECKING:
    from twin.plugins.registry import PluginRecord, PluginRegistry


def check_plugin(registry: "PluginRegistry", record: "PluginRecord") -> list[str]:
    """Problems of one plugin: its manifest error, or each code reference that does not import."""
    if record.manifest is None:
        return [record.error or "manifest could not be read"]
    problems: list[str] = []
    for contribution in record.manifest.all_contributions():
        problems.extend(check_contribution(registry, contribution))
    if not problems and not record.enabled and record.error:
        problems.append(f"disabled earlier in this session: {record.error}")
    return problems


def check_contribution(registry: "PluginRegistry", contribution: Contribution) -> list[str]:
    """Problems of one contribution: code that fails to import or is not callable, missing sample files."""
    from twin.plugins.registry import PluginError

    label = contribution.label
    problems = []
    for key in contribution.code_keys():
        reference = contribution.fields[key]
        try:
            obj = contribution.load(key)
        except (Exception, SystemExit) as exc:  # a module that calls sys.exit on import is broken too
            text = str(exc).strip().splitlines()
            problems.append(f"{label}: {key} = {reference}: {type(exc).__name__}: {text[0] if text else ''}".rstrip(": "))
            continue
        if not callable(obj):
            problems.append(f"{label}: {key} = {reference} is a {type(obj).__name__}, not something callable")
    if contribution.section == "sample_data" and "path" in contribution.fields:
        try:
            registry.sample_data(contribution)
        except PluginError as exc:
            problems.append(str(exc).removeprefix(f"plugin {contribution.plugin}: "))
    if contribution.section == "layer_kinds":
        problems.extend(_layer_kind_problems(contribution))
    return problems


def _layer_kind_problems(contribution: Contribution) -> list[str]:
    """A declared icon that is missing, style controls that do not exist."""
    from twin.plugins.kinds import STYLE_CONTROLS
    from twin.plugins.registry import package_file

    problems = []
    icon = contribution.fields.get("icon")
    if icon:
        path = package_file(contribution.package, icon) if contribution.package else None
        if path is None or not path.is_file():
            problems.append(f"{contribution.label}: icon = {icon}: no such file in package {contribution.package}")
    unknown = [s for s in contribution.fields.get("style", []) if s not in STYLE_CONTROLS]
    if unknown:
        problems.append(f"{contribution.label}: style lists unknown control(s) {', '.join(unknown)} "
                        f"(known: {', '.join(STYLE_CONTROLS)})")
    return problems
