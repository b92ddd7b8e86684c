"""The music core: one score type, the MIDI codec, the melody rules and the built-in samples."""
