"""Data access: one module per store (a table, the bucket, a SageMaker or Lambda API).

These modules know keys, conditions and wire formats, never business rules: the logic layer decides
what to write and the store makes sure two writers cannot lose each other's update.
"""
