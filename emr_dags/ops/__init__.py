"""On-call operations: inventory of what emr-dags launched, the orphan reaper, the `reap`/`cost` CLI."""
