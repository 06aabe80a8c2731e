"""Video container layouts of known devices: the reference a file's structure is compared with.

``forensics/data/container_devices.json`` is built by ``scripts/container_device_table.py``
from the camera originals of ../shared/corpus (it records which files, from where, and
which it left out and why). Each entry holds one device's layout ``signature``
(``Layout.signature``: brands, top-level boxes, handler names, vendor codes, sample
formats, movie timescale). ``DeviceTable.compare`` answers:

- ``match``: the file's signature equals a device's: structure consistent with it;
- ``claimed_differs``: the file names a device (©mak, ©mod, ©inf) of a make the table
  holds, but its structure is not that device's (which fields differ is said);
- ``none``: no reference for this layout or for the device it names.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forensics.detectors.container_structure import Layout
from forensics.detectors.jpeg_reference import make_word
from forensics.pinned import shipped_file

TABLE_FILE = "container_devices.json"


@dataclass(frozen=True)
class DeviceComparison:
    """The table's answer for one layout."""

    outcome: str  #: match | claimed_differs | none
    device: str | None = None  #: the reference device matched or claimed
    source: str | None = None  #: the file its reference was built from (repository/path)
    differing: tuple[str, ...] = ()  #: signature fields that differ from the claimed device's


class DeviceTable:
    """The shipped (or a given) table of device layouts."""

    def __init__(self, path: Path) -> None:
        raw = path.read_bytes()
        self.path = path
        self.sha256 = hashlib.sha256(raw).hexdigest()
        self.devices: list[dict[str, Any]] = json.loads(raw)["devices"]

    def compare(self, layout: Layout) -> DeviceComparison:
        signature = layout.signature()
        for device in self.devices:
            if device["signature"] == signature:
                return DeviceComparison("match", device["device"], device["source"])
        claimed = {make_word(text) for text in layout.device_strings} - {""}
        for device in self.devices:
            if make_word(device["device"]) in claimed:
                differing = tuple(k for k, v in device["signature"].items() if signature.get(k) != v)
                return DeviceComparison("claimed_differs", device["device"], device["source"], differing)
        return DeviceComparison("none")


@functools.cache
def shipped_devices() -> DeviceTable:
    return DeviceTable(shipped_file(TABLE_FILE))
