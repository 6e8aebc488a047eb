"""Provider zip archives as the Terraform Registry publishes them: one
executable, terraform-provider-TYPE_vVERSION (.exe on Windows), at the top
level, with Unix mode 0755 so it stays executable once Terraform unpacks it.

Python's zipfile, because a fresh machine has Python but not always `zip`.
Used by release.sh (pack) and install.sh (check, rename).

usage: provider_zip.py pack ZIP FILE MEMBER     write FILE into a new ZIP as MEMBER
       provider_zip.py check ZIP MEMBER         ZIP must hold MEMBER and nothing else, intact
       provider_zip.py rename ZIP NEW MEMBER    copy ZIP's one entry into NEW as MEMBER

Timestamps come from SOURCE_DATE_EPOCH when set (reproducible archives),
otherwise from FILE's modification time. Exit status 1 with a message on
stderr when an archive is not what it should be, 2 on bad usage.
"""

import calendar
import os
import sys
import time
import zipfile

EXECUTABLE = 0o100755 << 16


def fail(message):
    print(f"provider_zip: {message}", file=sys.stderr)
    sys.exit(1)


def entry(member, mtime):
    # Zip timestamps cannot be earlier than 1980.
    stamp = time.gmtime(max(mtime, 315532800))[:6]
    info = zipfile.ZipInfo(member, date_time=stamp)
    info.create_system = 3
    info.external_attr = EXECUTABLE
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write(path, info, source):
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open(info, "w") as out:
            while chunk := source.read(1 << 20):
                out.write(chunk)


def pack(path, file, member):
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    mtime = int(epoch) if epoch else int(os.stat(file).st_mtime)
    with open(file, "rb") as source:
        write(path, entry(member, mtime), source)


def only_entry(path):
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        fail(f"{path} is not a readable zip archive: {error}")
    names = archive.namelist()
    if len(names) != 1:
        fail(f"{path} should hold exactly one file, the provider executable; it holds {len(names)}: {names[:5]}")
    return archive, archive.infolist()[0]


def check(path, member):
    archive, info = only_entry(path)
    with archive:
        if info.filename != member:
            fail(f"{path} holds {info.filename!r}, expected {member!r}")
        try:
            damaged = archive.testzip()
        except (OSError, zipfile.BadZipFile, EOFError) as error:
            fail(f"{path} is damaged: {error}")
        if damaged is not None:
            fail(f"{path} is damaged: {damaged} fails its CRC check")


def rename(path, new, member):
    archive, info = only_entry(path)
    with archive, archive.open(info) as source:
        write(new, entry(member, calendar.timegm(info.date_time)), source)


def main(argv):
    commands = {"pack": (pack, 3), "check": (check, 2), "rename": (rename, 3)}
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        print("usage: " + __doc__.split("usage: ", 1)[1].split("\n\n", 1)[0], file=sys.stderr)
        return 2
    command, _ = commands[argv[1]]
    command(*argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
