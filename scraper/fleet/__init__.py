"""Many workers, on any number of machines, sharing one PostgreSQL database: the state store, the task queue
(procrastinate), the hosts' politeness and one committer. See docs/scale-out.md."""
