"""The deployment files as shipped: systemd units (deploy/systemd/)."""
