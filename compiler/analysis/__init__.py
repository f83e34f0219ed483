"""Analysis of a compiled step: dense channels, the error budget, light-cone truncation, resources."""
