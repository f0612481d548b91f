"""Hardware reports and erasure logs attached to a device as evidence, their pages."""
