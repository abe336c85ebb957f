"""Capture: upload -> type and safety -> blob -> text -> catalogue -> index.

- :mod:`.documents`: filing documents into cases, new versions, moves and edits;
- :mod:`.intake`: what a file is, whether it is safe, and its text (text layers, office files, OCR);
- :mod:`.bulk`: importing an existing archive from a folder tree or a manifest;
- :mod:`.retext`: bringing older texts up to the current ways of reading and analysing;
- :mod:`.doctext`: a document's text as its page shows it;
- :mod:`.previews` and :mod:`.render_page`: page pictures of stored files.
"""
