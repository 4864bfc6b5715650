"""Running: the worker pool, the daemon's wiring and main loop, the health endpoint, systemd and logging."""
