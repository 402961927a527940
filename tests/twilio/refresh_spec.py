"""Refreshes the vendored SIP subset of Twilio's official OpenAPI spec.

    .venv/bin/python tests/twilio/refresh_spec.py [--version 0.7.0] [--sha256 HEX]

Fetches the npm package that ships twilio/twilio-oai's `twilio_api_v2010.json` (`npm pack`),
checks the file's sha256, and writes `spec/twilio_api_v2010_sip.json`: the paths of SIP
domains, credential lists, credentials and the three kinds of credential list mappings, with
every component they reference, unchanged. `spec/SOURCE.json` records where it came from.
A new version needs its sha256 passed explicitly, after reading the diff it makes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).parent / "spec"
PACKAGE = "@twilio-alpha/mcp"
VERSION = "0.7.0"
MEMBER = "package/twilio-oai/spec/json/twilio_api_v2010.json"
SHA256 = "475b69553e34e797af05d34679cdad3bc3b8b4b8b92e6ac044fa6ebc255bf052"
PREFIXES = (
    "/2010-04-01/Accounts/{AccountSid}/SIP/Domains",
    "/2010-04-01/Accounts/{AccountSid}/SIP/CredentialLists",
)


def wanted(path: str) -> bool:
    return path.startswith(PREFIXES) and "IpAccessControl" not in path


def references(node: object) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value.rsplit("/", 1)[-1])
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found


def subset(spec: dict) -> dict:
    paths = {path: item for path, item in spec["paths"].items() if wanted(path)}
    schemas = spec["components"]["schemas"]
    keep: set[str] = set()
    todo = references(paths)
    while todo:
        name = todo.pop()
        if name not in keep:
            keep.add(name)
            todo |= references(schemas[name])
    return {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "servers": spec["servers"],
        "security": spec["security"],
        "paths": paths,
        "components": {
            "securitySchemes": spec["components"]["securitySchemes"],
            "schemas": {name: schemas[name] for name in sorted(keep)},
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=VERSION)
    parser.add_argument("--sha256", default=SHA256)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        subprocess.run(
            ["npm", "pack", f"{PACKAGE}@{options.version}", "--silent"],
            cwd=work,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (tarball,) = Path(work).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            raw = archive.extractfile(MEMBER).read()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != options.sha256:
        print(f"sha256 {digest} is not the expected {options.sha256}", file=sys.stderr)
        return 1
    spec = json.loads(raw)
    HERE.mkdir(exist_ok=True)
    target = HERE / "twilio_api_v2010_sip.json"
    target.write_text(json.dumps(subset(spec), indent=1, sort_keys=True) + "\n")
    source = {
        "repository": "https://github.com/twilio/twilio-oai",
        "file": "spec/json/twilio_api_v2010.json",
        "shipped_in": f"npm {PACKAGE}@{options.version}, {MEMBER}",
        "sha256": digest,
        "subset": "paths under " + ", ".join(PREFIXES) + " (no IP access control)",
        "subset_sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
    }
    (HERE / "SOURCE.json").write_text(json.dumps(source, indent=1) + "\n")
    print(f"wrote {target} ({len(source)} facts in SOURCE.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
