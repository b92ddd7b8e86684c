"""One Router per resource; ``common`` holds what they share (auth, pagination and error docs)."""
