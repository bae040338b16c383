"""Generate the Python stubs (messages, gRPC, typing stubs) from protos/.

Usage: python scripts/gen_protos.py [--out DIR]

The stubs are committed under interop/ so that installing the product needs no
protoc; tests/unit/test_stubs_fresh.py regenerates them into a temporary folder
and fails when the committed ones are stale. Needs grpcio-tools and mypy-protobuf
(`pip install -e '.[dev]'`); the typing plugins are found beside this Python too, so a
virtualenv works without being on PATH.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
# mypy-protobuf's protoc plugins, for the .pyi typing stubs.
PLUGINS = ("protoc-gen-mypy", "protoc-gen-mypy_grpc")


def find_plugin(name: str) -> str | None:
    """The plugin installed beside this Python (a virtualenv not on PATH), or on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


def missing_plugins() -> list[str]:
    return [name for name in PLUGINS if find_plugin(name) is None]


def proto_files() -> list[Path]:
    return sorted(PROTOS.rglob("*.proto"))


def generate(out: Path) -> None:
    """Write the stubs of every .proto under protos/ into `out`, with package __init__ files."""
    missing = missing_plugins()
    if missing:
        raise SystemExit(f"{', '.join(missing)} not found: pip install mypy-protobuf")
    out.mkdir(parents=True, exist_ok=True)
    include = str(resources.files("grpc_tools") / "_proto")
    args = [
        "grpc_tools.protoc",
        *(f"--plugin={name}={find_plugin(name)}" for name in PLUGINS),
        f"-I{PROTOS}",
        f"-I{include}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        f"--mypy_out={out}",
        f"--mypy_grpc_out={out}",
        *[str(p) for p in proto_files()],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for proto in proto_files():
        package_dir = out / proto.parent.relative_to(PROTOS)
        while package_dir != out:
            init = package_dir / "__init__.py"
            if not init.exists():
                init.write_text('"""Generated from protos/; do not edit."""\n')
            package_dir = package_dir.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT, help="folder to write into (default: repo root)"
    )
    args = parser.parse_args(argv)
    generate(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
