"""Map the design card's root folders onto the ``annexa`` import namespace.

The repository keeps ``collector/``, ``connectors/``, ``mappings/`` and ``store/`` at its root
(the product's design card fixes that layout), but installing them as top-level packages would
claim generic names such as ``store`` in every user's site-packages. They install as
``annexa.collector``, ``annexa.connectors``, ``annexa.mappings`` and ``annexa.store`` instead;
``annexa`` itself is an implicit namespace package. Everything else lives in pyproject.toml.
"""

from setuptools import find_packages, setup

ROOTS = ("collector", "connectors", "mappings", "store")

setup(
    packages=[f"annexa.{root}" for root in ROOTS]
    + [f"annexa.{root}.{sub}" for root in ROOTS for sub in find_packages(root)],
    package_dir={f"annexa.{root}": root for root in ROOTS},
)
