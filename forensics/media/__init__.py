"""Decoding evidence media: still images (Pillow), video frames (PyAV), faces (MediaPipe).

Detectors read an item's media through ``ItemMedia`` (``forensics.media.item``), which
decodes each item once for all of them. Damaged or refused files raise
``forensics.errors.EvidenceError`` with the reason. PyAV and MediaPipe are imported only
when a video is decoded or a face searched (``forensics.media.video``,
``forensics.media.faces``), so importing this package stays light.
"""
