"""Gradient checking, and (`python -m minidl.gradcheck`) an experiment on choosing eps."""

from minidl.gradcheck.check import GradcheckError, gradcheck

__all__ = ["GradcheckError", "gradcheck"]
