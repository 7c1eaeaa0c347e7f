"""The differentiable primitives, a few per file, each a Function with forward beside backward."""
