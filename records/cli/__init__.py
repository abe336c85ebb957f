"""``flask --app app ...`` commands, one module per area:

- :mod:`.core`: ``setup``, ``serve``, ``users``, ``db``, ``nomenclature`` and the registration of all;
- :mod:`.imports`: ``import folder|manifest``, bringing an existing archive in;
- :mod:`.worker`: ``text ...`` and ``worker run``, text extraction outside the web process;
- :mod:`.index`: ``index ...``, the search index in step with the catalogue;
- :mod:`.disposition`: ``cases ...``, ``acts ...`` and ``inventories ...``, the yearly clear-out;
- :mod:`.trust`: ``audit ...``, ``storage ...`` and ``backup ...``, proving and protecting what is kept.
"""
from records.cli.core import register_commands, setup_data

__all__ = ["register_commands", "setup_data"]
