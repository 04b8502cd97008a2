"""Task-group factories: typed specs in, a TaskGroup with setup/teardown out."""
