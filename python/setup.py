"""Builds NGramKit's C ABI library (libNGramKitCABI.so) and the `ngramkit` tool with SwiftPM and
puts both inside the package (ngramkit/lib, ngramkit/bin).

The Swift package is the repository this folder sits in (`..`), or NGRAMKIT_SOURCE. With
NGRAMKIT_STATIC_STDLIB=1 the Swift runtime and Foundation are linked in statically, so the wheel
runs where Swift is not installed.
"""
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution


def swift_package() -> Path:
    source = os.environ.get("NGRAMKIT_SOURCE")
    root = Path(source) if source else Path(__file__).resolve().parent.parent
    if not (root / "Package.swift").is_file():
        raise SystemExit(f"ngramkit: no Package.swift in {root}; set NGRAMKIT_SOURCE to NGramKit's repository")
    return root


class BuildWithSwift(build_py):
    def run(self):
        super().run()
        root = swift_package()
        static = os.environ.get("NGRAMKIT_STATIC_STDLIB") == "1"
        scratch = root / (".build-python-static" if static else ".build")
        command = ["swift", "build", "-c", "release", "--package-path", str(root), "--scratch-path", str(scratch)]
        if static:
            command += ["--static-swift-stdlib", "-Xswiftc", "-static-stdlib"]
        for product in ("NGramKitCABI", "ngramkit"):
            subprocess.run(command + ["--product", product], check=True)
        products = scratch / "release"
        package = Path(self.build_lib) / "ngramkit"
        (package / "lib").mkdir(parents=True, exist_ok=True)
        (package / "bin").mkdir(parents=True, exist_ok=True)
        shutil.copy2(products / "libNGramKitCABI.so", package / "lib" / "libNGramKitCABI.so")
        shutil.copy2(products / "ngramkit", package / "bin" / "ngramkit")


class BinaryDistribution(Distribution):
    """The package holds a native library: its wheel is for one platform."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithSwift}, distclass=BinaryDistribution)
