"""Speed measurements of minidl, beside PyTorch on the CPU when PyTorch is installed.

    python -m benchmarks [--repeats N]

Benchmarks print numbers; they never run as timed tests.
"""
