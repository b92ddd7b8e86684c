"""Code shared by the Lambda functions, the model container and the local runtime.

Nothing in here knows about HTTP or the Lambda runtime: it is the one definition of the domain
(schemas, statuses, errors, the names components share), of the use cases (``logic``), of data
access (``store``, the only part that talks to AWS) and of the music (MIDI codec, melody rules, samples).
"""
