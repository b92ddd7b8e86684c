"""Style corpora and their shipped models: training (``ship``), the style classifier (``classifier``) and
its evaluation (``evaluate``)."""
