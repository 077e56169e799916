"""Package layout: the top-level folders install under names of their own.

`ui/`, `plugins/` and `datasets/` would clash with common packages (Hugging Face's
`datasets`, for one), so they install as `twin_ui`, `twin_plugins` and `twin_datasets`.
Everything else lives in pyproject.toml.
"""
from setuptools import find_packages, setup

FOLDERS = {"twin": "twin", "twin_ui": "ui", "twin_plugins": "plugins", "twin_datasets": "datasets"}

packages, package_dir = [], {}
for name, folder in FOLDERS.items():
    package_dir[name] = folder
    packages.append(name)
    for sub in find_packages(folder):
        packages.append(f"{name}.{sub}")
        package_dir[f"{name}.{sub}"] = f"{folder}/{sub.replace('.', '/')}"

setup(packages=packages, package_dir=package_dir)
