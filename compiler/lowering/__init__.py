"""Lowering: light cones, frame evolutions, the step plan and its circuits."""
