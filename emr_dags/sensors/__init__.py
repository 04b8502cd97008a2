"""Sensors that wait for several EMR steps / job runs with one listing call per interval."""
