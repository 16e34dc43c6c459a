"""Checks deploy/compose.yaml without a Docker engine: it parses, names the three services,
builds the service from the repository's Dockerfile, and pins every image to a version (a tag
that is neither absent nor `latest`, or a digest)."""
import pathlib
import sys

import yaml

root = pathlib.Path(__file__).resolve().parent.parent
compose = yaml.safe_load((root / "deploy" / "compose.yaml").read_text())
services = compose["services"]
problems = []
for name in ("promiseguard", "postgres", "mailpit"):
    if name not in services:
        problems.append(f"no service {name}")
build = services.get("promiseguard", {}).get("build", {})
if not (root / "deploy" / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).is_file():
    problems.append("promiseguard is not built from the repository's Dockerfile")
for name, service in services.items():
    image = service.get("image")
    if image is None:
        continue
    tag = image.rsplit("/", 1)[-1]
    if "@sha256:" not in image and (":" not in tag or tag.endswith(":latest")):
        problems.append(f"{name}: image {image} is not pinned to a version")
env = services.get("promiseguard", {}).get("environment", {})
for key in ("PROMISEGUARD_DATABASE_URL", "PROMISEGUARD_EMAIL__SMTP_URL"):
    if key not in env:
        problems.append(f"promiseguard: {key} is not set")
if problems:
    sys.exit("deploy/compose.yaml: " + "; ".join(problems))
print("deploy/compose.yaml: parses; images pinned:",
      ", ".join(s["image"] for s in services.values() if "image" in s))
