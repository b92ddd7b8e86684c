"""Data shipped with the functions: ``tags.json``, the data-set tag catalogue (see ``shared.logic.datasets``)."""
