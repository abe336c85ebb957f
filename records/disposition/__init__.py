"""Disposition: nomenclature + year -> due cases -> act -> agreement -> approval -> destroy or transfer.

Read in this order:

- :mod:`.rules`: which rule governs a case, and where a closed case stands in a year's expiry list;
- :mod:`.holds`: holds that freeze a case against destruction and transfer;
- :mod:`.expiry`: the yearly expiry list (destroy, review, transfer, held);
- :mod:`.closing`: year-end closing and the paper facts of a case (closing one case is
  :func:`records.cases.close_case`);
- :mod:`.overrides`: a case's own retention rule, shortened only with a second person's approval;
- :mod:`.acts`: destruction acts, from draft through the expert commission's agreement to approval;
- :mod:`.execution`: destroying what an approved act lists, as a job on the worker, resumably;
- :mod:`.inventories`: inventories of permanent cases and their transfer to the university archive;
- :mod:`.forms`: the act, the inventory and the nomenclature in their standard forms (their wording in
  :mod:`.form_words`, the pieces they share in :mod:`.form_parts`);
- :mod:`.organisation`: the organisation's details printed on the forms;
- :mod:`.exports`: the expiry list, the forms and the hand-over package as people take them away,
  each recorded on the audit trail.
"""
from records.disposition import (  # noqa: E402  (the modules, so that callers write disposition.acts.draft_act)
    acts,
    closing,
    execution,
    expiry,
    holds,
    inventories,
    organisation,
    overrides,
    rules,
)

__all__ = ["acts", "closing", "execution", "expiry", "holds", "inventories", "organisation", "overrides", "rules"]
