-- Planner settings PostgreSQL 15 has, accepted and shown (SQLite plans
-- its own way), compared with PostgreSQL 15 by t/053.  One statement per
-- line.
SET geqo_threshold = 2 -- shard
SHOW geqo_threshold -- shard
RESET geqo_threshold -- shard
SHOW geqo_threshold -- shard
SHOW max_stack_depth -- shard
SHOW constraint_exclusion -- shard
SHOW recursive_worktable_factor -- shard
SHOW geqo_effort -- shard
SHOW force_parallel_mode -- shard
