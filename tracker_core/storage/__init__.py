"""The storage layer: where store files live (:mod:`.layout`), what each holds (:mod:`.codecs`),
and how append-only files are written and read back safely (:mod:`.append`).

Submodules are imported where used, so ``import tracker_core`` stays cheap.
"""
