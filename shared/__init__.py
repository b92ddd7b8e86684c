"""Code shared by the Lambda functions, the model container and the local runtime.

Nothing in here knows about HTTP, Lambda or SageMaker: it is the one definition of the
domain (schemas, statuses, errors) and of the music (MIDI codec, melody rules, samples).
"""
