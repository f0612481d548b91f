"""The production stack: gunicorn, nginx and systemd files, and `make prod-check`."""
