"""Gate-level building blocks (no physics): product formulas, LCU block-encodings, dilation steps."""
