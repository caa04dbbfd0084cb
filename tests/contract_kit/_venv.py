"""A throwaway virtual environment that sees this project's installed packages.

Installing a scaffolded adapter (or a deliberately broken plug-in) into it leaves the shared
``.venv`` untouched: other test runs never see the temporary entry points.
"""

from __future__ import annotations

import importlib.util
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PARENT_SITE = site.getsitepackages()[0]


@dataclass(frozen=True)
class Venv:
    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def site_packages(self) -> Path:
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        return self.root / "lib" / version / "site-packages"

    def run(self, *args: str, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our interpreter, our arguments
            [str(self.python), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def interlock(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``interlock ARGS`` with this environment's interpreter."""
        program = "import sys; from interlock_gateway.cli import main; sys.argv[0] = 'x'; main()"
        return self.run("-c", program, *args)

    def pip_install_editable(self, project: Path) -> subprocess.CompletedProcess[str]:
        """``pip install --no-deps -e project``, without build isolation where possible."""
        args = ["-m", "pip", "install", "--no-deps", "--disable-pip-version-check"]
        if importlib.util.find_spec("wheel") is not None:
            args.append(
                "--no-build-isolation"
            )  # offline and fast; otherwise pip fetches setuptools
        return self.run(*args, "-e", str(project))

    def add_entry_point(self, dist: str, name: str, module: str, source: str) -> None:
        """Install a one-module distribution with an ``interlock.adapters`` entry point."""
        (self.site_packages / f"{module}.py").write_text(source, encoding="utf-8")
        # dist-info folders are named with underscores: the name ends at the first hyphen
        info = self.site_packages / f"{dist.replace('-', '_')}-0.0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.0.1\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(
            f"[interlock.adapters]\n{name} = {module}\n", encoding="utf-8"
        )


def make_venv(root: Path) -> Venv:
    """Create the environment; a ``.pth`` file adds the project's site-packages after its own."""
    subprocess.run(  # noqa: S603 - our interpreter
        [sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120
    )
    venv = Venv(root)
    (venv.site_packages / "_interlock_parent.pth").write_text(
        f"import site; site.addsitedir({PARENT_SITE!r})\n", encoding="utf-8"
    )
    return venv
