"""``make dev`` keeps users' work: a journal of every data write at the local AWS endpoint, replayed at start.

- :mod:`local.persistence.journal`: the crash-safe append-only file;
- :mod:`local.persistence.recorder`: which requests are journaled, and the replay;
- :mod:`local.persistence.datadir`: the data folder (lock, layout, stream positions, process registry);
- :mod:`local.persistence.interrupted`: work in flight at a stop, closed with a reason after the restart.
"""
