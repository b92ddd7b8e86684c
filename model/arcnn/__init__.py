"""The AR-CNN technique (model type ``ar-cnn``): a Coconet-like voice infiller for ``harmonize`` and
a DeepComposer-like track enhancer for ``enhance``, trained together, shipped as one model.

Modules: ``encoding`` (the voice and track views, the corruption enhance undoes), ``network``,
``masks`` (orderless training masks, the Gibbs schedule), ``sampling`` (both procedures on
arrays), ``training`` (``run``, the technique contract's entry), ``compose`` (``load``, what the
inference handlers call), ``settings`` (from ``shared.model_types.arcnn``), ``evaluate``.
"""
