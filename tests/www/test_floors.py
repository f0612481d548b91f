"""The floors hold beyond Python imports (which import-linter checks in `make lint`).

The floors are read from the import-linter layers in pyproject.toml, the one place that says
them. An app may use what its own floor or a lower one owns; apps side by side on a floor
(``a | b``) do not use each other's. Three ways of reaching up that import-linter cannot see:

- a template of an app naming a page (``{% url %}``), a template library (``{% load %}``) or
  another template (``{% include %}``, ``{% extends %}``) of a floor above;
- an app's Python naming a page (``reverse``, ``redirect``…) or a template of a floor above;
- an app querying a reverse relation that a higher app declares on its model
  (``donation.devices``, ``Count("devices")``, ``devices__state``).

A lower floor reaches a page composed above it through the model: ``redirect(donation)``,
``{{ donation.get_absolute_url }}`` (``ABSOLUTE_URL_OVERRIDES`` in the settings).
"""

import ast
import re
import tomllib
from functools import cache
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.template import engines
from django.template.base import Lexer, TokenType
from django.urls import URLResolver, get_resolver

ROOT = Path(settings.BASE_DIR)
# Project templates that are not in an app's folder: the layout and what it includes and the
# error pages are the top floor's; the login pages (Django's ``registration/`` names) are
# those of acteurs, whose views render them (login, second factor, password reset).
TOP_FLOOR_TEMPLATES = ("base.html", "includes", "errors")
ACTEURS_TEMPLATES = ("registration",)
# Django's admin templates the project overrides (templates/admin/): the frame of the admin
# site, which the kernel owns (core/admin_site.py).
CORE_TEMPLATES = ("admin",)
# The frame the top floor gives every page, the only top-floor templates a lower floor may
# name: the layout every page extends (it asks nothing of the page) and the error page that
# core's refusal middleware renders for any view (as Django's own handlers render 404.html).
LAYOUT = "base.html"
ERROR_PAGE = "errors/refused.html"
# Functions whose first argument, a string, names a page.
URL_FUNCTIONS = {"reverse", "reverse_lazy", "redirect", "resolve_url"}
# Queryset methods and expressions whose string arguments are field lookups.
LOOKUP_CALLS = {
    "annotate",
    "Count",
    "exclude",
    "F",
    "filter",
    "get",
    "order_by",
    "Prefetch",
    "prefetch_related",
    "select_related",
    "Sum",
    "values",
    "values_list",
}


# --- the floors, from pyproject.toml ------------------------------------------------------------


@cache
def floors() -> dict[str, int]:
    """{app package: floor}, 0 for the lowest layer; siblings share a floor."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    result = {}
    for height, layer in enumerate(reversed(contract["layers"])):
        for app in re.split(r"[|:]", layer):
            result[app.strip()] = height
    return result


def may_use(user: str, owner: str | None) -> bool:
    """Whether code of app ``user`` may use what ``owner`` owns (None: Django or a library)."""
    if owner is None or owner == user:
        return True
    return floors()[owner] < floors()[user]


def test_the_floors_are_read_from_the_layers_contract():
    assert floors()["www"] == max(floors().values())
    assert floors()["core"] == 0
    assert floors()["ateliers"] == floors()["intake"]
    assert not may_use("ateliers", "intake") and not may_use("intake", "ateliers")
    assert may_use("parc", "dons") and not may_use("dons", "parc")
    installed = {config.name for config in apps.get_app_configs()}
    assert set(floors()) <= installed
    assert {name for name in installed if (ROOT / name).is_dir()} <= set(floors())


# --- who owns a template, a page, a template library --------------------------------------------


def template_owner(name: str) -> str:
    first = name.split("/", 1)[0]
    if first in floors():
        return first
    if first in TOP_FLOOR_TEMPLATES:
        return "www"
    if first in ACTEURS_TEMPLATES:
        return "acteurs"
    if first in CORE_TEMPLATES:
        return "core"
    raise AssertionError(f"template {name!r} belongs to no floor: put it in an app's folder")


def project_templates() -> list[tuple[str, str, Path]]:
    """(owner, name, path) of every template of the project: templates/ and the apps'."""
    found = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.is_file():
            name = path.relative_to(ROOT / "templates").as_posix()
            found.append((template_owner(name), name, path))
    for app in floors():
        folder = ROOT / app / "templates"
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file():
                found.append((app, path.relative_to(folder).as_posix(), path))
    return found


def _package(module_name: str) -> str | None:
    package = module_name.split(".", 1)[0]
    return package if package in floors() else None


@cache
def page_owners() -> dict[str, str | None]:
    """{URL name with its namespaces: the app whose URLconf config/urls.py includes it}."""
    owners: dict[str, str | None] = {}

    def walk(resolver: URLResolver, prefix: str, owner: str | None):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
                walk(pattern, namespace, owner)
            elif pattern.name:
                owners.setdefault(prefix + pattern.name, owner)

    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            module = getattr(pattern.urlconf_module, "__name__", "")  # the admin's is a list
            namespace = f"{pattern.namespace}:" if pattern.namespace else ""
            walk(pattern, namespace, _package(module))
        elif pattern.name:
            owners.setdefault(pattern.name, _package(pattern.callback.__module__))
    return owners


def page_owner(name: str) -> str | None:
    assert name in page_owners(), f"no page is named {name!r}"
    return page_owners()[name]


def library_package(name: str) -> str | None:
    modules = engines["django"].engine.libraries  # {name: module path}
    assert name in modules, f"no template library is named {name!r}"
    return _package(modules[name])


# --- templates ----------------------------------------------------------------------------------


def _literal(bit: str) -> str | None:
    if len(bit) >= 2 and bit[0] == bit[-1] and bit[0] in "'\"":
        return bit[1:-1]
    return None


def template_references(source: str):
    """(kind, name) of each page, library and template a template names."""
    for token in Lexer(source).tokenize():
        if token.token_type != TokenType.BLOCK:
            continue
        bits = token.split_contents()
        tag = bits[0]
        if tag == "url" and len(bits) > 1:
            # A literal name, or a literal namespace completed by a filter ('rapports:'|add:…).
            name = _literal(bits[1].split("|", 1)[0])
            assert name is not None, f"{{% {token.contents} %}}: name the page literally"
            yield ("page", name) if "|" not in bits[1] else ("pages", name)
        elif tag == "load":
            names = bits[bits.index("from") + 1 :] if "from" in bits else bits[1:]
            for name in names:
                yield "library", name
        elif tag in ("include", "extends") and len(bits) > 1:
            name = _literal(bits[1])
            if name is not None and not (tag == "extends" and name == LAYOUT):
                yield "template", name


def pages_owner(prefix: str) -> str | None:
    """The owner of every page whose name starts with ``prefix`` (one namespace)."""
    owners = {owner for name, owner in page_owners().items() if name.startswith(prefix)}
    assert len(owners) == 1, f"pages named {prefix!r}…: {owners or 'none'}"
    return owners.pop()


OWNERS = {
    "page": page_owner,
    "pages": pages_owner,
    "library": library_package,
    "template": template_owner,
}


def upward_template_references() -> list[str]:
    found = []
    for app, name, path in project_templates():
        for kind, target in template_references(path.read_text()):
            owner = OWNERS[kind](target)
            if not may_use(app, owner):
                found.append(f"{name} ({app}) names the {kind} {target!r} of {owner}")
    return found


def test_templates_name_only_their_floor_or_below():
    assert upward_template_references() == []


def test_the_template_check_sees_an_upward_link(monkeypatch, tmp_path):
    """The check itself: a floor-1 template linking to a loan page is reported."""
    (tmp_path / "acteurs").mkdir()
    (tmp_path / "acteurs" / "bad.html").write_text(
        "{% load i18n rapports_tags %}<a href=\"{% url 'prets:loans' %}\">x</a>"
        '{% include "parc/_device_rows.html" %}'
    )
    monkeypatch.setattr(
        "tests.www.test_floors.project_templates",
        lambda: [("acteurs", "acteurs/bad.html", tmp_path / "acteurs" / "bad.html")],
    )
    assert upward_template_references() == [
        "acteurs/bad.html (acteurs) names the library 'rapports_tags' of rapports",
        "acteurs/bad.html (acteurs) names the page 'prets:loans' of prets",
        "acteurs/bad.html (acteurs) names the template 'parc/_device_rows.html' of parc",
    ]


def test_every_template_belongs_to_a_floor():
    owners = {owner for owner, _name, _path in project_templates()}
    assert owners <= set(floors())
    assert template_owner("base.html") == "www"
    assert template_owner("registration/login.html") == "acteurs"


# --- Python naming pages ------------------------------------------------------------------------


@cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text())


def python_files(app: str) -> list[Path]:
    return [path for path in sorted((ROOT / app).rglob("*.py")) if "migrations" not in path.parts]


def _called_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def test_python_names_only_pages_of_its_floor_or_below():
    found = []
    for app in floors():
        for path in python_files(app):
            for node in ast.walk(parsed(path)):
                if not (isinstance(node, ast.Call) and _called_name(node) in URL_FUNCTIONS):
                    continue
                if not node.args or not isinstance(node.args[0], ast.Constant):
                    continue
                name = node.args[0].value
                if not isinstance(name, str) or "/" in name:  # an address, not a page name
                    continue
                owner = page_owner(name)
                if not may_use(app, owner):
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    found.append(f"{where} ({app}) names the page {name!r} of {owner}")
    assert found == []


def test_python_renders_only_templates_of_its_floor_or_below():
    templates = {name: owner for owner, name, _path in project_templates()}
    found = []
    for app in floors():
        for path in python_files(app):
            for node in ast.walk(parsed(path)):
                if not (isinstance(node, ast.Constant) and node.value in templates):
                    continue
                owner = templates[node.value]
                if not may_use(app, owner) and node.value != ERROR_PAGE:
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    found.append(f"{where} ({app}) names the template {node.value!r} of {owner}")
    assert found == []


# --- reverse relations --------------------------------------------------------------------------


def reverse_relations_declared_above() -> list[tuple[str, str, str, str]]:
    """(declaring app, model label, accessor, query name) of every reverse relation a model
    of the floors gets from a foreign key declared in another app of the floors."""
    found = []
    for model in apps.get_models():
        for relation in model._meta.get_fields():
            if not (relation.is_relation and relation.auto_created and not relation.concrete):
                continue
            if relation.hidden:
                continue
            declaring = _package(relation.related_model._meta.app_config.name)
            owner = _package(model._meta.app_config.name)
            if declaring and owner and declaring != owner:
                found.append(
                    (
                        declaring,
                        model._meta.label,
                        relation.get_accessor_name(),
                        relation.name,
                    )
                )
    return found


def relation_uses(tree) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
    """({attribute: lines}, {lookup: lines}) of a module, read in one walk. A lookup is the
    first part of ``x__y`` in a string or a keyword, or a string given whole to a queryset
    method or an expression (``Count("devices")``); a string elsewhere is not one."""
    attributes: dict[str, set[int]] = {}
    lookups: dict[str, set[int]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            attributes.setdefault(node.attr, set()).add(node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if "__" in node.value.strip("_"):
                lookups.setdefault(node.value.split("__", 1)[0], set()).add(node.lineno)
        elif isinstance(node, ast.keyword) and node.arg and "__" in node.arg.strip("_"):
            lookups.setdefault(node.arg.split("__", 1)[0], set()).add(node.value.lineno)
        elif isinstance(node, ast.Call) and _called_name(node) in LOOKUP_CALLS:
            for argument in node.args:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    lookups.setdefault(argument.value, set()).add(argument.lineno)
    return attributes, lookups


def uses_of(code: str, accessor: str, query_name: str) -> set[int]:
    attributes, lookups = relation_uses(ast.parse(code))
    return attributes.get(accessor, set()) | lookups.get(query_name, set())


def template_expressions(source: str) -> list[str]:
    return [
        token.contents
        for token in Lexer(source).tokenize()
        if token.token_type in (TokenType.VAR, TokenType.BLOCK)
    ]


def reverse_relation_uses() -> list[str]:
    relations = reverse_relations_declared_above()
    found = []
    for app in floors():
        # {(accessor, query name): the relations of that name this app may not read}
        forbidden: dict[tuple[str, str], list[str]] = {}
        for declaring, label, accessor, query_name in relations:
            if not may_use(app, declaring):
                forbidden.setdefault((accessor, query_name), []).append(
                    f"{label}.{accessor} of {declaring}"
                )
        for path in python_files(app):
            attributes, lookups = relation_uses(parsed(path))
            for (accessor, query_name), names in forbidden.items():
                lines = attributes.get(accessor, set()) | lookups.get(query_name, set())
                found += [
                    f"{path.relative_to(ROOT)}:{line} ({app}) reads {' or '.join(names)}"
                    for line in sorted(lines)
                ]
        for owner, _name, path in project_templates():
            if owner != app:
                continue
            expressions = template_expressions(path.read_text())
            for (accessor, _query_name), names in forbidden.items():
                pattern = re.compile(rf"\w\.{re.escape(accessor)}\b")
                if any(pattern.search(expression) for expression in expressions):
                    found.append(f"{path.relative_to(ROOT)} ({app}) reads {' or '.join(names)}")
    return found


def test_no_app_reads_a_reverse_relation_declared_above_it():
    assert reverse_relation_uses() == []


def test_the_relation_check_knows_the_relations_declared_above():
    """Donation.devices is declared by parc: dons may not read it, parc and above may."""
    relations = reverse_relations_declared_above()
    assert ("parc", "dons.Donation", "devices", "devices") in relations
    assert ("prets", "acteurs.Household", "loans", "loans") in relations


@pytest.mark.parametrize(
    "code",
    [
        "donation.devices.count()",
        'Donation.objects.annotate(n=Count("devices"))',
        "Donation.objects.filter(devices__state='ready')",
        'Donation.objects.values("devices__kind")',
    ],
)
def test_the_relation_check_sees_each_way_of_reading_a_relation(code):
    assert uses_of(code, "devices", "devices")


def test_the_relation_check_ignores_a_namesake():
    """A key or a variable that merely shares the name is not a query."""
    code = 'rows = {"devices": []}\ndevices = rows["devices"]\nsend("devices")\nx = "__devices__"'
    assert not uses_of(code, "devices", "devices")
