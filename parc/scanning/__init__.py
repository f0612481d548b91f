"""Scanning: reading what a scanner typed, batch mode and inventories, their pages."""
