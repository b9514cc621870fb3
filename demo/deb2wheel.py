#!/usr/bin/env python3
"""Repackage Debian python3-* packages as standard wheels, offline.

Usage: deb2wheel.py OUTDIR PACKAGE.deb[,DATA.deb]...

An argument may join several .deb files with a comma: they are unpacked together and make
one wheel (Debian moves data such as Babel's locale files into a separate package and
links to it from the module directory).

Debian ships pure-Python libraries (python3-rich, python3-click, ...) as .deb files
that install into /usr/lib/python3/dist-packages.  The demo app installs its
dependencies the way users do, with `pip install --no-index --find-links DIR -r
requirements.txt` into a venv, so this script turns each .deb's dist-packages tree
into a wheel (PEP 427): the modules, plus a *.dist-info with METADATA (from the
package's dist-info, or from its egg-info's PKG-INFO + requires.txt), WHEEL,
entry_points.txt and RECORD.  Runs with only the standard library and dpkg-deb.
"""
import base64
import hashlib
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

SITE = "usr/lib/python3/dist-packages"


def egg_requires_to_dist(text):
    """Convert an egg-info requires.txt into Requires-Dist / Provides-Extra lines."""
    lines, extras, section = [], [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            extra, _, marker = section.partition(":")
            if extra and extra not in extras:
                extras.append(extra)
            continue
        extra, _, marker = section.partition(":")
        conds = []
        if marker:
            conds.append("(%s)" % marker if extra else marker)
        if extra:
            conds.append('extra == "%s"' % extra)
        lines.append("Requires-Dist: " + line + ("; " + " and ".join(conds) if conds else ""))
    return ["Provides-Extra: " + e for e in extras] + lines


def split_metadata(text):
    head, sep, body = text.partition("\n\n")
    return head.rstrip("\n").split("\n"), body if sep else ""


def header(lines, name):
    for line in lines:
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return None


def record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def convert(arg, outdir):
    debs = arg.split(",")
    deb = debs[0]
    with tempfile.TemporaryDirectory() as tmp:
        for d in debs:
            subprocess.run(["dpkg-deb", "-x", d, tmp], check=True)
        site = os.path.join(tmp, SITE)
        if not os.path.isdir(site):
            sys.exit("%s: no %s in this package" % (deb, SITE))
        entries = os.listdir(site)
        info = [e for e in entries if e.endswith((".dist-info", ".egg-info"))]
        if len(info) != 1:
            sys.exit("%s: expected one dist-info/egg-info, found %r" % (deb, info))
        info_dir = os.path.join(site, info[0])

        if info[0].endswith(".dist-info"):
            with open(os.path.join(info_dir, "METADATA"), encoding="utf-8") as f:
                head, body = split_metadata(f.read())
        else:
            with open(os.path.join(info_dir, "PKG-INFO"), encoding="utf-8") as f:
                head, body = split_metadata(f.read())
            head = [l for l in head if not l.startswith(("Requires-Dist:", "Provides-Extra:"))]
            req = os.path.join(info_dir, "requires.txt")
            if os.path.exists(req):
                with open(req, encoding="utf-8") as f:
                    head += egg_requires_to_dist(f.read())
        name, version = header(head, "Name"), header(head, "Version")
        if not name or not version:
            sys.exit("%s: metadata lacks Name or Version" % deb)
        dist = re.sub(r"[-_.]+", "_", name)
        metadata = "\n".join(head) + "\n\n" + body
        if not metadata.endswith("\n"):
            metadata += "\n"

        # Platform-specific if the package carries compiled extensions.
        payload = [e for e in entries if e not in info and e != "__pycache__"]
        has_ext = False
        for top in payload:
            for root, _, files in os.walk(os.path.join(site, top), followlinks=True):
                has_ext |= any(f.endswith(".so") for f in files)
        if has_ext:
            py = "cp%d%d" % sys.version_info[:2]
            plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
            tag = "%s-%s-%s" % (py, py, plat)
        else:
            tag = "py3-none-any"
        di = "%s-%s.dist-info" % (dist, version)
        wheel_meta = ("Wheel-Version: 1.0\nGenerator: jitrun-demo deb2wheel\n"
                      "Root-Is-Purelib: %s\nTag: %s\n" % ("false" if has_ext else "true", tag))

        out = os.path.join(outdir, "%s-%s-%s.whl" % (dist, version, tag))
        record = []
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            def add(arcname, data, mode=0o644):
                zi = zipfile.ZipInfo(arcname, date_time=(2023, 1, 1, 0, 0, 0))
                zi.external_attr = (0o100000 | mode) << 16
                zi.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(zi, data)
                record.append("%s,%s,%d" % (arcname, record_hash(data), len(data)))

            for top in sorted(payload):
                path = os.path.join(site, top)
                if os.path.isfile(path):
                    with open(path, "rb") as f:
                        add(top, f.read())
                    continue
                for root, dirs, files in os.walk(path, followlinks=True):
                    dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                    for fn in sorted(files):
                        if fn.endswith((".pyc", ".pyo")):
                            continue
                        full = os.path.join(root, fn)
                        if os.path.islink(full) and not os.path.exists(full):
                            # Debian replaces bundled copies (jquery.js...) with links
                            # into other packages: leave those out.
                            print("    (skipped %s: link to %s)" % (
                                os.path.relpath(full, site), os.readlink(full)))
                            continue
                        with open(full, "rb") as f:
                            add(os.path.relpath(full, site), f.read(),
                                os.stat(full).st_mode & 0o777)
            add(di + "/METADATA", metadata.encode("utf-8"))
            add(di + "/WHEEL", wheel_meta.encode())
            ep = os.path.join(info_dir, "entry_points.txt")
            if os.path.exists(ep):
                with open(ep, "rb") as f:
                    add(di + "/entry_points.txt", f.read())
            record.append(di + "/RECORD,,")
            z.writestr(di + "/RECORD", "\n".join(record) + "\n")
        print("  %-45s <- %s" % (os.path.basename(out), " + ".join(os.path.basename(d) for d in debs)))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    for deb in sys.argv[2:]:
        convert(deb, sys.argv[1])


if __name__ == "__main__":
    main()
