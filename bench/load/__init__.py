"""Load test of the production stack (locust through nginx and gunicorn): see run.py."""
