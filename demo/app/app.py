#!/usr/bin/env python3
"""jitrun demo app: a small CLI that renders a status report.

It needs real third-party packages (click, jinja2, rich and rich's pygments,
markdown-it-py and mdurl), which the container's bootstrap installs into /app/.venv
from /app/wheels.  On a cold start that bootstrap runs first (seconds); on a warm
start jitrun mounts the cached layer that holds the venv and the app starts at once.
"""
import time

T0 = time.perf_counter()

import glob  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402

import click  # noqa: E402
import jinja2  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.panel import Panel  # noqa: E402
from rich.syntax import Syntax  # noqa: E402
from rich.table import Table  # noqa: E402

IMPORT_MS = (time.perf_counter() - T0) * 1000
HERE = os.path.dirname(os.path.abspath(__file__))


def os_release():
    try:
        with open("/etc/os-release") as f:
            kv = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
        return kv.get("PRETTY_NAME", "?").strip('"')
    except OSError:
        return "?"


def installed():
    """(name, version, site dir) of each distribution in the venv's site-packages."""
    rows = []
    for site in sys.path:
        for info in sorted(glob.glob(os.path.join(site, "*.dist-info"))):
            name, _, version = os.path.basename(info)[:-len(".dist-info")].partition("-")
            rows.append((name, version, site))
    return rows


def annotations():
    """The container's run.jitrun.* annotations, which demo/run.sh passes in
    JITRUN_ANNOTATIONS (a container cannot read its own config.json)."""
    return os.environ.get("JITRUN_ANNOTATIONS", "{}")


@click.command()
@click.option("--name", default="jitrun", show_default=True, help="Who to greet.")
@click.option("--color/--no-color", default=None, help="Force colours on or off.")
def main(name, color):
    """Render a short report about this container and its Python environment."""
    console = Console(force_terminal=color, no_color=(color is False))
    console.print(Panel.fit(f"[bold green]Hello from {name}![/] "
                            f"Python {platform.python_version()} on {os_release()}",
                            title="jitrun demo app"))

    table = Table(title="Packages the bootstrap installed into the venv")
    table.add_column("package")
    table.add_column("version", justify="right")
    table.add_column("site-packages")
    for row in installed():
        table.add_row(*row)
    console.print(table)

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(HERE, "templates")))
    console.print(env.get_template("report.j2").render(
        prefix=sys.prefix, executable=sys.executable, import_ms=IMPORT_MS,
        pid=os.getpid(), hostname=platform.node(), jinja_version=jinja2.__version__))
    console.print(Syntax(annotations(), "json", theme="monokai", word_wrap=True))


if __name__ == "__main__":
    main()
