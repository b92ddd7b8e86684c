"""Business logic: what the API and the workers do, in terms of the shared schemas and the stores.

Knows no HTTP (it raises ``shared.errors`` types, the API maps them) and no boto3 (the stores do).
"""
