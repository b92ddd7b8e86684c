"""The Transformer technique (model type ``transformer``): extend a melody; see README.md here."""
