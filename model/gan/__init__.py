"""The GAN technique (model type ``gan``): a conditional U-Net generator and a critic trained
adversarially (``network``, ``training``), composing window by window (``compose``)."""
