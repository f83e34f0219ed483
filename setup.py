"""Package discovery for the repository's layout.

The import package ``kmsgibbs`` is assembled from four folders at the repository root (``kmsgibbs/``,
``compiler/``, ``circuits/``, ``simulators/``). A static ``packages`` list in pyproject.toml drifted from
the folders once (the wheel lost compiler's subpackages), so the list is found here from the folders
themselves: every folder with an ``__init__.py`` under a mapped root is a subpackage.
"""

from setuptools import find_packages, setup

ROOTS = {
    "kmsgibbs": "kmsgibbs",
    "kmsgibbs.compiler": "compiler",
    "kmsgibbs.circuits": "circuits",
    "kmsgibbs.simulators": "simulators",
}

setup(
    package_dir=ROOTS,
    packages=[
        name
        for package, folder in ROOTS.items()
        for name in [package, *(f"{package}.{sub}" for sub in find_packages(folder))]
    ],
)
